package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/internal/par"
	"github.com/litbook/litbook/model"
	"golang.org/x/sys/unix"
)

// Format is the version of the record format this litbook writes. Records
// of an older format are measured again; records of a newer one are left
// alone, and a build that would have to replace one stops.
const Format = 1

// Dir is the store's directory, relative to the book's root.
const Dir = "results"

// Key returns the key of run on machine m with Go version goVersion, and
// the run's Sources (see the package documentation). cfg is the book's
// configuration: its default time limit, output cap and run limits change
// what a run can record.
func Key(run *model.Run, cfg model.Config, goVersion string, m model.Machine) (key, sources string) {
	h := sha256.New()
	fmt.Fprintf(h, "litbook results format %d\n", Format)
	field := func(name string, data []byte) {
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	timeout := run.Timeout
	if timeout <= 0 {
		timeout = cfg.Timeout
	}
	field("run", []byte(run.ID))
	limits := fmt.Sprintf("timeout=%s output-limit=%d", timeout, cfg.OutputLimit)
	// Limits added after the first records enter the key only when a book
	// changes them, so that records measured under the defaults stay valid.
	if l := cfg.FileSizeLimit; l > 0 && l != model.DefaultFileSizeLimit {
		limits += fmt.Sprintf(" file-size-limit=%d", l)
	}
	if l := cfg.ProcessLimit; l > 0 && l != model.DefaultProcessLimit {
		limits += fmt.Sprintf(" process-limit=%d", l)
	}
	field("limits", []byte(limits))
	field("block", run.Block)
	// The files of the book a run reads are keyed by content; a run that
	// reads none keeps the key it had before litbook could copy files.
	if in := run.Stdin; in != nil {
		field("stdin", []byte(in.Path+" "+in.Digest))
	}
	for _, in := range run.Files {
		field("input", []byte(in.Path+" "+in.Name+" "+in.Digest))
	}
	for _, p := range run.Programs {
		field("program", []byte(p.Name))
		for _, f := range p.Files {
			field("file", []byte(f.Name))
			field("source", f.Source)
		}
		// Only a program that imports modules adds them, so that the keys
		// of standard-library programs stay what they were.
		if len(p.Modules) > 0 {
			field("modules", []byte(strings.Join(p.Modules, "\n")))
		}
	}
	sources = hex.EncodeToString(h.Sum(nil))
	return machineKey(sources, goVersion, m), sources
}

// machineKey combines a run's sources with where they were measured.
func machineKey(sources, goVersion string, m model.Machine) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("sources %s\ngo %s\nmachine %s\n", sources, goVersion, fingerprint(m))))
	return hex.EncodeToString(sum[:])
}

// fingerprint is the part of m that results depend on: see the package
// documentation for the rule. The Go version is keyed beside it.
func fingerprint(m model.Machine) string {
	fp := strings.Join([]string{m.OS, model.KernelVersion(m.Kernel), m.Arch, fmt.Sprint(m.CPUs), m.CPUModel, m.FS, m.Shells}, "\x00")
	if m.Unisolated {
		// Added only when set: records measured isolated keep their keys.
		fp += "\x00unisolated"
	}
	return fp
}

// validRunID reports whether id has the form of a run's ID, CHAPTER/NAME,
// and so names a file two levels under a machine directory.
func validRunID(id string) bool {
	ch, name, ok := strings.Cut(id, "/")
	bad := func(s string) bool {
		return s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\\x00")
	}
	return ok && !bad(ch) && !bad(name)
}

// within reports whether the slash-separated path p, relative to a book's
// root, lies in the store.
func within(p string) bool {
	return strings.HasPrefix(path.Clean(p), Dir+"/")
}

// legacyKey is machineKey under the first fingerprint rule (OS, full
// kernel release, architecture, CPU count, filesystem), which records
// stored before December 2026 carry; Migrate rewrites them.
func legacyKey(sources, goVersion string, m model.Machine) string {
	fp := strings.Join([]string{m.OS, m.Kernel, m.Arch, fmt.Sprint(m.CPUs), m.FS}, "\x00")
	sum := sha256.Sum256([]byte(fmt.Sprintf("sources %s\ngo %s\nmachine %s\n", sources, goVersion, fp)))
	return hex.EncodeToString(sum[:])
}

// SameMachine reports whether a and b have the same fingerprint.
func SameMachine(a, b model.Machine) bool { return fingerprint(a) == fingerprint(b) }

// MachineDir is the name of the directory that holds m's records: the
// fingerprint, its readable part in words and the rest (CPU model, shells)
// as a digest, e.g. linux-amd64-2cpu-ext4-6.18.44-1f2e3d4c
// (linux-amd64-2cpu-ext4-6.18.44-unisolated-5a6b7c8d where runs could not
// be isolated).
func MachineDir(m model.Machine) string {
	sum := sha256.Sum256([]byte(fingerprint(m)))
	words := fmt.Sprintf("%s-%s-%dcpu-%s-%s", m.OS, m.Arch, m.CPUs, m.FS, model.KernelVersion(m.Kernel))
	if m.Unisolated {
		words += "-unisolated"
	}
	name := fmt.Sprintf("%s-%x", words, sum[:4])
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, name)
}

// RecordPath is where the record of run on machine m is stored, relative to
// the book's root and slash-separated.
func RecordPath(m model.Machine, run *model.Run) string {
	return path.Join(Dir, MachineDir(m), run.ID+".json")
}

// Entry is a record found in the store.
type Entry struct {
	Path      string // relative to the book's root, slash-separated
	RunID     string
	Source    string // where the run block was when it was measured: chapters/x.md:12
	Key       string
	Sources   string
	GoVersion string
	Machine   model.Machine
	Stored    time.Time
	Trials    int
	file      *file
}

// Record returns the entry as a record of run. It fails if the record does
// not fit run (another number of commands or trials, or other commands):
// such a record was measured from something else and must not be shown.
func (e *Entry) Record(run *model.Run) (*model.Record, error) {
	f := e.file
	if f.Run != run.ID {
		return nil, fmt.Errorf("%s: holds run %s, not %s", e.Path, f.Run, run.ID)
	}
	if want := max(run.Trials, 1); len(f.Trials) != want {
		return nil, fmt.Errorf("%s: holds %d trials; the run has trials=%d", e.Path, len(f.Trials), want)
	}
	for _, t := range f.Trials {
		if len(t.Commands) != len(run.Commands) {
			return nil, fmt.Errorf("%s: holds %d commands; the run has %d", e.Path, len(t.Commands), len(run.Commands))
		}
		for i, c := range t.Commands {
			if c.Cmd != run.Commands[i].Text {
				return nil, fmt.Errorf("%s: command %d is %q; the run's is %q", e.Path, i+1, c.Cmd, run.Commands[i].Text)
			}
		}
	}
	rec := &model.Record{
		Run:       run,
		Key:       e.Key,
		Sources:   e.Sources,
		GoVersion: e.GoVersion,
		Machine:   e.Machine,
		Path:      e.Path,
	}
	if f.FS != nil {
		if f.FS.Type != run.FS {
			return nil, fmt.Errorf("%s: was measured on %s; the run is on %s", e.Path, f.FS.Type, run.FS)
		}
		rec.FS = &model.Filesystem{Type: f.FS.Type, How: f.FS.How}
	} else if run.FS != "" {
		return nil, fmt.Errorf("%s: names no filesystem; the run is on %s", e.Path, run.FS)
	}
	for i, t := range f.Trials {
		res := t.result(run, i+1, e.Machine)
		res.FS = rec.FS
		rec.Trials = append(rec.Trials, res)
	}
	return rec, nil
}

// Problem is a results file that cannot be used.
type Problem struct {
	Path string // relative to the book's root
	Msg  string
	// Newer is set when the file was written by a newer litbook: it must
	// not be replaced. Corrupt is set when its content is damaged (not
	// when it is merely of an older format).
	Newer, Corrupt bool
}

func (p *Problem) Error() string { return p.Path + ": " + p.Msg }

// Index is what the store holds.
type Index struct {
	Entries  []*Entry   // in the order Load walks them (see comparePaths)
	Problems []*Problem // sorted by Path
	byKey    map[string][]*Entry
	bad      map[string]*Problem
}

// Find returns the entry of the run with id whose key is key, or nil.
func (ix *Index) Find(id, key string) *Entry {
	for _, e := range ix.byKey[key] {
		if e.RunID == id {
			return e
		}
	}
	return nil
}

// Problem returns the problem with the file at p (relative to the root), or
// nil.
func (ix *Index) Problem(p string) *Problem { return ix.bad[p] }

// FindSources returns the entry of the run with id measured from sources on
// machine m, or nil.
func (ix *Index) FindSources(id, sources string, m model.Machine) *Entry {
	for _, e := range ix.Entries {
		if e.RunID == id && e.Sources == sources && SameMachine(e.Machine, m) {
			return e
		}
	}
	return nil
}

// Load reads every record under root's results directory. Files that
// cannot be used are listed in the index's Problems, not returned as an
// error; the error is for a store that cannot be read at all. Records are
// read and verified on every CPU at once: a build of a few hundred runs
// waited several milliseconds for them on one.
func Load(root string) (*Index, error) {
	ix := &Index{byKey: map[string][]*Entry{}, bad: map[string]*Problem{}}
	dir := filepath.Join(root, Dir)
	var paths, rels []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipAll
			}
			return err
		}
		name := d.Name()
		if d.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		paths, rels = append(paths, p), append(rels, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the results store: %w", err)
	}
	entries := make([]*Entry, len(paths))
	probs := make([]*Problem, len(paths))
	par.Each(len(paths), func(i int) { entries[i], probs[i] = readEntry(paths[i], rels[i]) })
	for i, e := range entries {
		if prob := probs[i]; prob != nil {
			ix.Problems = append(ix.Problems, prob)
			ix.bad[prob.Path] = prob
			continue
		}
		ix.Entries = append(ix.Entries, e)
		ix.byKey[e.Key] = append(ix.byKey[e.Key], e)
	}
	return ix, nil
}

// readEntry reads and verifies one results file.
func readEntry(p, rel string) (*Entry, *Problem) {
	// A FIFO in the store must not block the build.
	data, err := fsx.ReadRegular(p)
	var notRegular *fsx.NotRegularError
	if errors.As(err, &notRegular) {
		return nil, &Problem{Path: rel, Msg: "not a regular file (" + fsx.Kind(notRegular.Mode) + ")"}
	}
	if err != nil {
		return nil, &Problem{Path: rel, Msg: err.Error()}
	}
	// The whole record first, and its format alone only if that fails:
	// another format may have other fields.
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(&f)
	format := f.Format
	if err != nil {
		var head struct {
			Format int `json:"format"`
		}
		if herr := json.Unmarshal(data, &head); herr != nil {
			return nil, &Problem{Path: rel, Corrupt: true, Msg: "corrupt: " + jsonError(data, herr)}
		}
		format = head.Format
	}
	switch {
	case format > Format:
		return nil, &Problem{Path: rel, Newer: true, Msg: fmt.Sprintf("written by a newer litbook (results format %d; this one reads %d): update litbook, or delete the file to measure again", format, Format)}
	case format < Format:
		return nil, &Problem{Path: rel, Msg: fmt.Sprintf("results format %d is older than this litbook's (%d): measuring again", format, Format)}
	case err != nil:
		return nil, &Problem{Path: rel, Corrupt: true, Msg: "corrupt: " + jsonError(data, err)}
	}
	if dec.More() {
		return nil, &Problem{Path: rel, Corrupt: true, Msg: "corrupt: data after the record"}
	}
	want := f.Digest
	if want == "" || f.digest() != want {
		return nil, &Problem{Path: rel, Corrupt: true, Msg: "corrupt: its digest does not match its content (was it edited by hand?)"}
	}
	if !validRunID(f.Run) {
		// The run names where the record goes (Migrate, Merge): a forged
		// one must not lead out of the store.
		return nil, &Problem{Path: rel, Corrupt: true, Msg: fmt.Sprintf("corrupt: %q is not a run (CHAPTER/NAME)", f.Run)}
	}
	e := f.entry(rel)
	if len(f.Trials) == 0 {
		return nil, &Problem{Path: rel, Corrupt: true, Msg: "corrupt: no trials"}
	}
	if machineKey(f.Sources, f.Go, e.Machine) != f.Key && legacyKey(f.Sources, f.Go, e.Machine) != f.Key {
		return nil, &Problem{Path: rel, Corrupt: true, Msg: "corrupt: its key does not match its sources, Go version and machine"}
	}
	for _, t := range f.Trials {
		if err := t.check(); err != nil {
			return nil, &Problem{Path: rel, Corrupt: true, Msg: "corrupt: " + err.Error()}
		}
	}
	return e, nil
}

// entry is f as the Entry at rel.
func (f *file) entry(rel string) *Entry {
	return &Entry{
		Path: rel, RunID: f.Run, Source: f.Source, Key: f.Key, Sources: f.Sources,
		GoVersion: f.Go, Machine: f.Machine.model(f.Go), Stored: f.Stored, Trials: len(f.Trials), file: f,
	}
}

// put puts e in ix as Load would find it, in place of what was at its
// path: another entry, or a problem.
func (ix *Index) put(e *Entry) {
	i, found := slices.BinarySearchFunc(ix.Entries, e.Path, func(x *Entry, p string) int { return comparePaths(x.Path, p) })
	if found {
		old := ix.Entries[i]
		ix.byKey[old.Key] = slices.DeleteFunc(ix.byKey[old.Key], func(x *Entry) bool { return x == old })
		if len(ix.byKey[old.Key]) == 0 {
			delete(ix.byKey, old.Key)
		}
		ix.Entries[i] = e
	} else {
		ix.Entries = slices.Insert(ix.Entries, i, e)
	}
	// In the walk's order too, as Load lists them.
	same := ix.byKey[e.Key]
	j, _ := slices.BinarySearchFunc(same, e.Path, func(x *Entry, p string) int { return comparePaths(x.Path, p) })
	ix.byKey[e.Key] = slices.Insert(same, j, e)
	if ix.bad[e.Path] != nil {
		delete(ix.bad, e.Path)
		ix.Problems = slices.DeleteFunc(ix.Problems, func(p *Problem) bool { return p.Path == e.Path })
		if len(ix.Problems) == 0 {
			ix.Problems = nil
		}
	}
}

// comparePaths orders slash-separated paths as Load's walk finds them:
// name by name, a directory's files where its name falls among its
// siblings.
func comparePaths(a, b string) int {
	for {
		ah, at, amore := strings.Cut(a, "/")
		bh, bt, bmore := strings.Cut(b, "/")
		if c := strings.Compare(ah, bh); c != 0 {
			return c
		}
		switch {
		case !amore && !bmore:
			return 0
		case !amore:
			return -1
		case !bmore:
			return 1
		}
		a, b = at, bt
	}
}

// jsonError describes a decoding error with the line it happened on.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err.Error() == "unexpected end of JSON input" {
		return "truncated"
	}
	if off >= 0 && off <= int64(len(data)) {
		return fmt.Sprintf("line %d: %v", bytes.Count(data[:off], []byte("\n"))+1, err)
	}
	return err.Error()
}

// Save stores rec atomically at RecordPath under root, sets rec.Path, and
// puts it in ix as Load would now find it.
// A corrupt file in its place is kept beside it as NAME.json.corrupt; a
// file from a newer litbook is never replaced. It does not wait for the
// disk: see Syncer.
func Save(root string, ix *Index, rec *model.Record) error {
	rel := RecordPath(rec.Machine, rec.Run)
	if p := ix.Problem(rel); p != nil && p.Newer {
		return p
	}
	f := newFile(rec, time.Now().UTC())
	data, err := f.encode()
	if err != nil {
		return err
	}
	target := filepath.Join(root, filepath.FromSlash(rel))
	if p := ix.Problem(rel); p != nil && p.Corrupt {
		// Keep what was there for whoever wants to look: never over an
		// earlier copy.
		_ = os.Link(target, fmt.Sprintf("%s.corrupt-%s", target, time.Now().UTC().Format("20060102T150405.000000000")))
	}
	if err := fsx.WriteAtomic(target, false, data); err != nil {
		return fmt.Errorf("storing the result of %s: %w", rec.Run.ID, err)
	}
	rec.Path = rel
	ix.put(f.entry(rel))
	return nil
}

// A Syncer waits until the records a build saves are on the disk, once,
// after the build's runs (syncfs of the book's filesystem). A build saves
// records as their runs end, without waiting for the disk each time: every
// fsync commits the filesystem's journal, and a build of many short runs
// spent its time waiting for those commits, as did every run's own
// directory operations on the same filesystem. A build that is killed
// still leaves each record whole or absent (a rename replaces it). A
// machine that loses power during a build, or soon after it, may come
// back with records of that build empty or cut short (and, on a
// filesystem that does not flush a file renamed over another, without
// the earlier record either); the store reports each such record as
// corrupt and measures it again, so a power cut loses work, never a
// wrong result.
type Syncer struct{ f *os.File }

// OpenSync opens root's filesystem for a Sync after the build's records
// are saved. It is opened before they are, so that Sync reports an error
// in writing any of them back even if another process's syncfs saw it
// first.
func OpenSync(root string) (*Syncer, error) {
	f, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	return &Syncer{f: f}, nil
}

// Sync waits until everything written on the filesystem since OpenSync is
// on the disk, and closes s.
func (s *Syncer) Sync() error {
	defer s.f.Close()
	return unix.Syncfs(int(s.f.Fd()))
}

// Close closes s without a sync.
func (s *Syncer) Close() { s.f.Close() }

// Prune removes, from m's directory, records of runs that keep is false
// for, and temporary files left by interrupted builds. Other machines'
// records are never touched.
// It returns how many files it removed.
func Prune(root string, m model.Machine, keep func(runID string) bool) (int, error) {
	dir := filepath.Join(root, Dir, MachineDir(m))
	var remove []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		rel, _ := filepath.Rel(dir, p)
		id := strings.TrimSuffix(filepath.ToSlash(rel), ".json")
		switch {
		case strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-"):
			remove = append(remove, p)
		case strings.HasSuffix(name, ".json") && !strings.HasPrefix(name, ".") && !keep(id):
			remove = append(remove, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, p := range remove {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
	}
	// Remove chapter directories left empty.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			_ = os.Remove(filepath.Join(dir, e.Name())) // fails unless empty
		}
	}
	return len(remove), nil
}

// Machines returns the machines that have records in ix, each with the
// latest time one of its records was stored and its Go versions.
func (ix *Index) Machines() []MachineInfo {
	byDir := map[string]*MachineInfo{}
	var out []*MachineInfo
	for _, e := range ix.Entries {
		d := EntryDir(e)
		mi := byDir[d]
		if mi == nil {
			mi = &MachineInfo{Dir: d, Machine: e.Machine}
			byDir[d] = mi
			out = append(out, mi)
		}
		mi.Records++
		if e.Stored.After(mi.Last) {
			mi.Last, mi.Machine = e.Stored, e.Machine
		}
		if mi.First.IsZero() || e.Stored.Before(mi.First) {
			mi.First = e.Stored
		}
		if !contains(mi.GoVersions, e.GoVersion) {
			mi.GoVersions = append(mi.GoVersions, e.GoVersion)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	res := make([]MachineInfo, len(out))
	for i, mi := range out {
		sort.Strings(mi.GoVersions)
		res[i] = *mi
	}
	return res
}

// EntryDir returns the machine directory e is stored in.
func EntryDir(e *Entry) string {
	parts := strings.SplitN(e.Path, "/", 3)
	if len(parts) == 3 {
		return parts[1]
	}
	return MachineDir(e.Machine)
}

// MachineInfo summarises one machine's records.
type MachineInfo struct {
	Dir         string // under results/
	Machine     model.Machine
	Records     int
	First, Last time.Time // when records were stored
	GoVersions  []string
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// file is the JSON form of a record.
type file struct {
	Format  int     `json:"format"`
	Run     string  `json:"run"`
	Source  string  `json:"source"`
	Key     string  `json:"key"`
	Sources string  `json:"sources"`
	Go      string  `json:"go"`
	Machine machine `json:"machine"`
	// FS is the scratch filesystem of a run with fs=: each trial ran on a
	// fresh one of this type.
	FS     *filesystem `json:"fs,omitempty"`
	Stored time.Time   `json:"stored"`
	Trials []trial     `json:"trials"`
	// Digest is the SHA-256 of the file's JSON encoding with Digest empty.
	Digest string `json:"digest"`
}

type machine struct {
	OS         string  `json:"os"`
	Kernel     string  `json:"kernel"`
	Arch       string  `json:"arch"`
	CPUs       int     `json:"cpus"`
	CPUModel   string  `json:"cpuModel,omitempty"`
	FS         string  `json:"fs"`
	Shells     string  `json:"shells,omitempty"`
	Unisolated bool    `json:"unisolated,omitempty"`
	Hostname   string  `json:"hostname,omitempty"`
	RunDirRoot string  `json:"runDirRoot"`
	Load       float64 `json:"load,omitempty"`
	Litbook    string  `json:"litbook,omitempty"`
}

func newMachine(m model.Machine) machine {
	return machine{OS: m.OS, Kernel: m.Kernel, Arch: m.Arch, CPUs: m.CPUs, CPUModel: m.CPUModel, FS: m.FS, Shells: m.Shells,
		Unisolated: m.Unisolated, Hostname: m.Hostname, RunDirRoot: m.RunDirRoot, Load: m.Load, Litbook: m.Litbook}
}

type filesystem struct {
	Type string `json:"type"`
	How  string `json:"how"`
}

func (m machine) model(goVersion string) model.Machine {
	return model.Machine{OS: m.OS, Kernel: m.Kernel, Arch: m.Arch, CPUs: m.CPUs, CPUModel: m.CPUModel, FS: m.FS, Shells: m.Shells,
		Unisolated: m.Unisolated, GoVersion: goVersion, Hostname: m.Hostname, RunDirRoot: m.RunDirRoot, Load: m.Load, Litbook: m.Litbook}
}

type trial struct {
	Start        time.Time  `json:"start"`
	Duration     duration   `json:"duration"`
	Exit         int        `json:"exit"`
	TimedOut     bool       `json:"timedOut,omitempty"`
	Shell        *output    `json:"shell,omitempty"`
	Commands     []command  `json:"commands"`
	Files        []fileInfo `json:"files,omitempty"`
	FilesOmitted int        `json:"filesOmitted,omitempty"`
	FilesPartial string     `json:"filesPartial,omitempty"`
}

type command struct {
	Cmd      string   `json:"cmd"` // for the reviewer of the file; not read back
	Ran      bool     `json:"ran"`
	Done     bool     `json:"done"`
	Exit     int      `json:"exit"`
	Duration duration `json:"duration"`
	Pid      int      `json:"pid,omitempty"`
	Killed   bool     `json:"killed,omitempty"`
	Stdout   *output  `json:"stdout,omitempty"`
	Stderr   *output  `json:"stderr,omitempty"`
	// Order is the order in which the kept bytes of the two streams
	// arrived: "out 12", "err 40", ...
	Order []string `json:"order,omitempty"`
}

// newOrder writes the order of a command's output chunks.
func newOrder(chunks []model.Chunk) []string {
	var out []string
	for _, c := range chunks {
		stream := "out"
		if c.Stderr {
			stream = "err"
		}
		out = append(out, fmt.Sprintf("%s %d", stream, c.Len))
	}
	return out
}

// order reads back the order of c's chunks, checking that it accounts for
// every kept byte of each stream.
func (c *command) order() ([]model.Chunk, error) {
	if len(c.Order) == 0 {
		return nil, nil
	}
	var chunks []model.Chunk
	var sum [2]int
	for _, s := range c.Order {
		stream, n, ok := strings.Cut(s, " ")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || v <= 0 || (stream != "out" && stream != "err") {
			return nil, fmt.Errorf("output order %q is not \"out N\" or \"err N\"", s)
		}
		ch := model.Chunk{Stderr: stream == "err", Len: v}
		if ch.Stderr {
			sum[1] += v
		} else {
			sum[0] += v
		}
		chunks = append(chunks, ch)
	}
	out, _ := c.Stdout.model()
	errs, _ := c.Stderr.model()
	if sum[0] != len(out.Data) || sum[1] != len(errs.Data) {
		return nil, fmt.Errorf("output order accounts for %d and %d bytes, but the command kept %d and %d", sum[0], sum[1], len(out.Data), len(errs.Data))
	}
	return chunks, nil
}

type fileInfo struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	Mode string `json:"mode"`
}

// output is a captured stream: text when it is valid UTF-8, so that the
// file reads well in review, and base64 otherwise.
type output struct {
	Text   string `json:"text,omitempty"`
	Base64 string `json:"base64,omitempty"`
	Total  int64  `json:"total"`
}

// duration is a time.Duration written as Go writes it: "4.213s".
type duration time.Duration

func (d duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

func newOutput(o model.Output) *output {
	if o.Total == 0 && len(o.Data) == 0 {
		return nil
	}
	if utf8.Valid(o.Data) {
		return &output{Text: string(o.Data), Total: o.Total}
	}
	return &output{Base64: base64.StdEncoding.EncodeToString(o.Data), Total: o.Total}
}

func (o *output) model() (model.Output, error) {
	if o == nil {
		return model.Output{}, nil
	}
	data := []byte(o.Text)
	if o.Base64 != "" {
		var err error
		if data, err = base64.StdEncoding.DecodeString(o.Base64); err != nil {
			return model.Output{}, err
		}
	}
	if o.Total < int64(len(data)) {
		return model.Output{}, fmt.Errorf("output of %d bytes claims a total of %d", len(data), o.Total)
	}
	return model.Output{Data: data, Total: o.Total}, nil
}

func newFile(rec *model.Record, now time.Time) *file {
	m := rec.Machine
	f := &file{
		Format: Format, Run: rec.Run.ID, Source: rec.Run.Pos.String(), Key: rec.Key, Sources: rec.Sources,
		Go: rec.GoVersion, Stored: now,
		Machine: newMachine(m),
	}
	if rec.FS != nil {
		f.FS = &filesystem{Type: rec.FS.Type, How: rec.FS.How}
	}
	for _, res := range rec.Trials {
		t := trial{
			Start: res.Start.UTC(), Duration: duration(res.Duration), Exit: res.Exit, TimedOut: res.TimedOut,
			Shell: newOutput(res.Shell), FilesOmitted: res.FilesOmitted, FilesPartial: res.FilesPartial,
		}
		for i, c := range res.Commands {
			t.Commands = append(t.Commands, command{
				Cmd: rec.Run.Commands[i].Text, Ran: c.Ran, Done: c.Done, Exit: c.Exit, Duration: duration(c.Duration),
				Pid: c.Pid, Killed: c.Killed, Stdout: newOutput(c.Stdout), Stderr: newOutput(c.Stderr),
				Order: newOrder(c.Order),
			})
		}
		for _, fi := range res.Files {
			t.Files = append(t.Files, fileInfo{Name: fi.Name, Size: fi.Size, Mode: fi.Mode})
		}
		f.Trials = append(f.Trials, t)
	}
	return f
}

// check validates what result would otherwise trust.
func (t *trial) check() error {
	for _, o := range []*output{t.Shell} {
		if _, err := o.model(); err != nil {
			return err
		}
	}
	for _, c := range t.Commands {
		for _, o := range []*output{c.Stdout, c.Stderr} {
			if _, err := o.model(); err != nil {
				return err
			}
		}
		if _, err := c.order(); err != nil {
			return err
		}
	}
	return nil
}

// result converts a trial of run; the file was checked by readEntry, and
// its commands match run's because its Sources do.
func (t *trial) result(run *model.Run, n int, m model.Machine) *model.Result {
	res := &model.Result{
		Run: run, Trial: n, Exit: t.Exit, TimedOut: t.TimedOut, Start: t.Start, Duration: time.Duration(t.Duration),
		FilesOmitted: t.FilesOmitted, FilesPartial: t.FilesPartial, Machine: m,
	}
	res.Shell, _ = t.Shell.model()
	res.Commands = make([]model.CommandResult, len(run.Commands))
	for i, c := range t.Commands {
		if i >= len(res.Commands) {
			break
		}
		cr := model.CommandResult{Ran: c.Ran, Done: c.Done, Exit: c.Exit, Duration: time.Duration(c.Duration), Pid: c.Pid, Killed: c.Killed}
		cr.Stdout, _ = c.Stdout.model()
		cr.Stderr, _ = c.Stderr.model()
		cr.Order, _ = c.order()
		res.Commands[i] = cr
	}
	for _, fi := range t.Files {
		res.Files = append(res.Files, model.FileInfo{Name: fi.Name, Size: fi.Size, Mode: fi.Mode})
	}
	return res
}

// encode returns f as indented JSON with its digest set. It encodes f
// once: the digest is of the compact encoding with Digest empty, and the
// file is that encoding with the digest written in, indented (a build
// saves a record per run, and encoding was half of saving one).
func (f *file) encode() ([]byte, error) {
	compact, err := f.compact()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(compact)
	f.Digest = hex.EncodeToString(sum[:])
	// Digest is the last field: the encoding ends with it.
	const empty = `"digest":""}` + "\n"
	if !bytes.HasSuffix(compact, []byte(empty)) {
		return nil, fmt.Errorf("encoding a record: it does not end with its digest")
	}
	compact = append(compact[:len(compact)-len(empty)], `"digest":"`+f.Digest+`"}`+"\n"...)
	var out bytes.Buffer
	out.Grow(len(compact) * 3 / 2)
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// compact returns f's compact JSON encoding with Digest empty, as
// json.Encoder writes it (a newline after it, HTML not escaped).
func (f *file) compact() ([]byte, error) {
	g := *f
	g.Digest = ""
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&g); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// digest returns the SHA-256 of f's compact JSON encoding with Digest empty.
func (f *file) digest() string {
	compact, err := f.compact()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(compact)
	return hex.EncodeToString(sum[:])
}
