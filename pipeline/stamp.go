package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/runner"
	"github.com/litbook/litbook/store"
)

// A build that succeeded leaves a stamp of everything its output came
// from: book.toml, the book's go.mod and go.sum, every chapter, the files
// program blocks include and the book's packages programs import, the
// files runs read (stdin=, files=), every file a chapter links to, every
// file of results/, the commands the runs call,
// the go command, the output itself (the caller's StampFiles), litbook's
// own executable, this machine, the environment litbook and go read, and
// the caller's Stamp (the flags that change the output). A later build
// whose stamp is the same does nothing: it loads no chapter, starts no
// process and writes nothing.
//
// A file is compared by its identity: device, inode, size, mode, mtime
// and ctime (which no program can set back), taken when the build read it
// (just before, or just after for the chapters). A file that changed
// shortly before or while the build read it may change again within the
// same timestamp tick, leaving its identity as it was; for such a file the
// stamp also keeps the hash of the content the build used (a chapter's
// parsed text; any other file's content before the build read it), and
// the next build compares that too.

// stampFile is where the stamp is kept, relative to the book's root.
const stampFile = ".litbook/stamp.json"

// racyWindow is how long before the build started a change still makes a
// file's identity unreliable: more than any filesystem's timestamp tick.
const racyWindow = 2 * time.Second

// stamp is what stampFile holds.
type stamp struct {
	Key   string            `json:"key"`            // hash of everything but the files
	Files map[string]fileID `json:"files"`          // by absolute path
	Hash  map[string]string `json:"hash,omitempty"` // chapter path → sha256 of the text parsed
	Log   string            `json:"log"`            // what the stamped build said of its results
}

// fileID identifies a file's state; the zero fileID is a missing file.
type fileID struct {
	Dev, Ino   uint64
	Size       int64
	Mode       uint32
	Mtime      int64 // ns
	Ctime      int64 // ns
	Missing    bool  `json:",omitempty"`
	Unreadable bool  `json:",omitempty"`
}

func statID(path string) fileID {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return fileID{Missing: true}
		}
		return fileID{Unreadable: true}
	}
	return fileID{
		Dev: st.Dev, Ino: st.Ino, Size: st.Size, Mode: st.Mode,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(),
	}
}

// stampKey hashes what the stamp covers besides files: the caller's key,
// the flags of bd that change the output, litbook's version, this machine
// and the environment.
func (bd *Builder) stampKey(b *loader.Parsed) (string, error) {
	m, err := (&runner.Runner{}).Machine("")
	if err != nil {
		return "", err
	}
	m.Load = 0 // changes all the time and changes no output
	if b.Config.RecordHostname {
		m.Hostname, _ = os.Hostname()
	}
	m.Litbook = version()
	if bd.Identity != nil {
		bd.Identity(&m)
	}
	h := sha256.New()
	mj, _ := json.Marshal(m)
	fmt.Fprintf(h, "stamp 1\n%q\nfrozen=%v\nmachine=%s\n", bd.Stamp, bd.Frozen, mj)
	// Which litbook and which go, by path and identity: another binary
	// at another path is another build.
	for _, p := range executables() {
		id, _ := json.Marshal(statID(p))
		fmt.Fprintf(h, "exe %q %s\n", p, id)
	}
	// The go command and the environment that litbook and go read.
	env := os.Environ()
	sort.Strings(env)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == "PATH" || k == "HOME" || k == "TMPDIR" || strings.HasPrefix(k, "GO") || strings.HasPrefix(k, "CGO") || strings.HasPrefix(k, "LITBOOK") {
			fmt.Fprintf(h, "env %q\n", kv)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// executables are litbook's own executable and the go command, whose
// identity the stamp covers.
func executables() []string {
	var out []string
	if exe, err := os.Executable(); err == nil {
		out = append(out, exe)
	}
	if goCmd, err := lookGo(); err == nil {
		out = append(out, goCmd)
	}
	return out
}

// lookGo finds the go command on PATH and what it links to.
func lookGo() (string, error) {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, "go")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				return real, nil
			}
			return p, nil
		}
	}
	return "", errors.New("no go on PATH")
}

// upToDate reports whether the book whose configuration is b was built
// with a stamp that is still good, and if so what that build said of its
// results. Otherwise it removes any stamp: this build replaces it.
func (bd *Builder) upToDate(b *loader.Parsed) (string, bool) {
	path := filepath.Join(b.Root, stampFile)
	if bd.Stamp == "" || bd.Rerun || bd.Shard.N > 1 {
		return "", false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	var st stamp
	if json.Unmarshal(data, &st) != nil || len(st.Files) == 0 {
		_ = os.Remove(path)
		return "", false
	}
	key, err := bd.stampKey(b)
	if err != nil || key != st.Key {
		_ = os.Remove(path)
		return "", false
	}
	for p, id := range st.Files {
		if statID(p) != id {
			_ = os.Remove(path)
			return "", false
		}
	}
	for p, sum := range st.Hash {
		data, err := os.ReadFile(p)
		if err != nil || hashOf(data) != sum {
			_ = os.Remove(path)
			return "", false
		}
	}
	return st.Log, true
}

func hashOf(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// stamper takes a build's stamp as the build goes: each input just before
// or just after the build reads it, each output once written.
type stamper struct {
	st     stamp
	cutoff int64 // ns: a file changed since may change again unseen
	root   string
}

func newStamper(root string, start time.Time) *stamper {
	return &stamper{root: root, cutoff: start.Add(-racyWindow).UnixNano(), st: stamp{Files: map[string]fileID{}, Hash: map[string]string{}}}
}

func (sp *stamper) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(sp.root, filepath.FromSlash(p))
}

// input stamps the input p. If it changed too recently for its identity to
// be trusted, its content is hashed too: used, the content the build used
// (a chapter's parsed text), or else what it holds now, before the build
// reads it.
func (sp *stamper) input(p string, used []byte) {
	p = sp.abs(p)
	id := statID(p)
	sp.st.Files[p] = id
	if id.Missing || id.Ctime < sp.cutoff && id.Mtime < sp.cutoff || id.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return
	}
	if used == nil {
		data, err := os.ReadFile(p)
		if err != nil {
			sp.st.Files[p] = fileID{Unreadable: true} // never equal: no stamp is good
			return
		}
		used = data
	}
	sp.st.Hash[p] = hashOf(used)
}

// inputRead stamps the input p, which the build has already read: if it
// changed too recently for its identity to be trusted, what it holds now
// may not be what the build read, and the stamp is made never to match.
func (sp *stamper) inputRead(p string) {
	p = sp.abs(p)
	id := statID(p)
	if !id.Missing && id.Mode&syscall.S_IFMT != syscall.S_IFDIR && (id.Ctime >= sp.cutoff || id.Mtime >= sp.cutoff) {
		id = fileID{Unreadable: true} // no file ever has this identity
	}
	sp.st.Files[p] = id
}

// inputTree stamps the input p, a file or a directory with everything in
// it, which the build has already read: the loader digested it for the
// run's key, and the runs use that content or fail (see
// runner.copyInputs), so a file changed since is a change to stamp, not
// content the build used.
func (sp *stamper) inputTree(p string) {
	root := sp.abs(p)
	_ = filepath.WalkDir(root, func(q string, d fs.DirEntry, err error) error {
		if err == nil {
			sp.inputRead(q)
		}
		return nil
	})
	if _, ok := sp.st.Files[root]; !ok {
		sp.inputRead(root) // missing: stamped as missing
	}
}

// output stamps p, which the build wrote (or, for the commands and
// executables, does not read).
func (sp *stamper) output(p string) {
	p = sp.abs(p)
	sp.st.Files[p] = statID(p)
}

// inputsLoaded stamps the chapters of b, as parsed, and the directories
// they are in: a chapter added to or removed from a directory of chapters
// (book.toml may list none) changes the directory's identity.
//
// It also stamps what else the loader read (the files program blocks
// include, the files of the book's packages that programs import) and
// the files runs read (stdin=, files=), which it digested.
func (sp *stamper) inputsLoaded(b *loader.Parsed) {
	for _, ch := range b.Chapters {
		sp.input(ch.Path, ch.Source)
		sp.output(filepath.Dir(sp.abs(ch.Path)))
	}
	for _, p := range b.Includes {
		sp.inputRead(p)
	}
	for _, p := range b.Packages {
		sp.inputRead(p)
		sp.output(filepath.Dir(sp.abs(p))) // a file added to a package
	}
	for _, run := range b.Runs {
		if run.Stdin != nil {
			sp.inputTree(run.Stdin.Path)
		}
		for _, in := range run.Files {
			sp.inputTree(in.Path)
		}
	}
}

// write completes the stamp of the build s, which succeeded: the caller's
// outputs, the results store (which litbook itself changed, under the
// book's lock), the commands the runs call and the executables; then it
// writes it.
func (sp *stamper) write(s *state, outputs []string) error {
	bd, b := s.bd, s.res.Book
	key, err := bd.stampKey(b)
	if err != nil {
		return err
	}
	sp.st.Key = key
	sp.st.Log = "nothing to run: " + fromStore(len(b.Runs), s.res.Records, s.res.Machine)
	for _, p := range outputs {
		sp.output(p)
	}
	results := sp.abs(store.Dir)
	sp.output(results)
	_ = filepath.WalkDir(results, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != results {
			sp.output(p)
		}
		return nil
	})
	for _, p := range runner.CommandPaths(b.Book) {
		sp.output(p)
	}
	st := sp.st
	if len(st.Hash) == 0 {
		st.Hash = nil
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	// Not synced: a stamp lost in a crash only costs a full build.
	return fsx.WriteAtomic(filepath.Join(b.Root, stampFile), false, data)
}
