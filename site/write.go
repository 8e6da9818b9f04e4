package site

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/links"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/naming"
	"github.com/litbook/litbook/store"
	"golang.org/x/sys/unix"
)

// ErrNotOurs is the error when the build directory exists and holds
// something litbook did not make; Write and Clean leave it alone.
var ErrNotOurs = errors.New("it exists and was not made by litbook (no " + MarkerFile + " file); remove it or choose another build-dir")

// Input is what a site is rendered from.
type Input struct {
	Book *loader.Parsed
	// Records are the results of the book's runs, parallel to Book.Runs.
	Records []*model.Record
	// Store is every machine's stored results, for the Machines page; nil
	// if there are none.
	Store *store.Index
	// Machine is the machine that built the site.
	Machine model.Machine
	// Links are the book's links as links.Resolve found them; nil to
	// have Write resolve them.
	Links *links.Links
}

// Write renders the site of in.Book into buildDir: a title page, a page
// per chapter, a print page with the whole book, a Machines page, a
// not-found page, the search index, scripts and a stylesheet, all at the
// top level so that every link is relative and the site works from
// file://; and, under FilesDir, copies of the book's files that chapters
// link to. Records[i] is the record of Book.Runs[i]; a nil entry (or a nil
// slice) means not run, and the transcript shows its commands only. A
// run's page shows its first trial, and the values and charts of the prose
// are drawn from all of them.
//
// If buildDir holds a site made from the same inputs (see inputDigest),
// Write does nothing. Otherwise the site is rendered into a fresh
// directory beside buildDir and then put in its place in one step, so a
// failed or interrupted build leaves the previous site as it was. An
// existing buildDir is replaced only if litbook made it (it holds
// MarkerFile) or it is empty; buildDir must not hold the book itself.
//
// Highlighted code is cached in the book's .litbook/site directory.
func Write(in Input, buildDir string) error {
	return writeSite(in, buildDir, nil)
}

// siteDir returns the directory of the site that in is written to, the
// book's buildDir, once it checked that litbook may replace it, and
// resolves in's links if they are not resolved yet.
func siteDir(in *Input, buildDir string) (string, error) {
	dir, err := checkBuildDir(in.Book, buildDir)
	if err != nil {
		return "", err
	}
	if _, err := replaceable(dir, buildDir, true); err != nil {
		return "", err
	}
	in.Links = linksFor(in.Book, in.Links, dir)
	return dir, nil
}

// writeSite is Write; with inc, the site's parts are kept in inc for
// its next Write.
func writeSite(in Input, buildDir string, inc *Incremental) error {
	b := in.Book
	dir, err := siteDir(&in, buildDir)
	if err != nil {
		return err
	}
	digest, err := inputDigest(in, in.Links.Files())
	if err != nil {
		return err
	}
	if PublishedDigest(dir) == digest {
		return nil
	}
	parent, base := filepath.Split(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return err
	}
	hl := loadHighlighter(filepath.Join(b.Root, WorkDir, "site", "highlight.cache"))
	if err := publish(in, hl, digest, tmp, dir, buildDir, inc); err != nil {
		hl.abort()
		_ = os.RemoveAll(tmp)
		return err
	}
	hl.commit()
	if inc != nil {
		inc.known = loadHighlighter(hl.file).known
	}
	return nil
}

// WorkDir is the book's directory for litbook's own files (generated
// sources, binaries, caches), relative to the book root.
const WorkDir = ".litbook"

// publish renders into tmp and puts tmp in place of dir, which the user
// calls name.
// With inc, what the site was made of is kept there once it is in
// place.
func publish(in Input, hl *highlighter, digest, tmp, dir, name string, inc *Incremental) (err error) {
	// MkdirTemp makes the directory private; a site is for reading.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	outs, err := renderKeep(in, tmp, hl, inc != nil)
	if err != nil {
		return err
	}
	// Every link of every page leads somewhere, or the site is not
	// published.
	scan, err := scanSite(tmp)
	if err != nil {
		return err
	}
	if inc != nil {
		// The site in dir is changing: until it has changed, inc knows
		// none.
		inc.reset()
		defer func() {
			if err == nil {
				err = inc.remember(in, dir, digest, outs, scan)
			}
		}()
	}
	// The marker goes last: a directory with it is a complete site.
	if err := os.WriteFile(filepath.Join(tmp, MarkerFile), markerContent(digest), 0o644); err != nil {
		return err
	}
	// Check again: the directory may have appeared or changed meanwhile.
	exists, err := replaceable(dir, name, true)
	if err != nil {
		return err
	}
	if !exists {
		return os.Rename(tmp, dir)
	}
	err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		// tmp now holds the old site.
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("the new site is in %s, but the old one could not be removed: %w", dir, err)
		}
		return nil
	case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS):
		return swapByRenames(tmp, dir)
	default:
		return &os.LinkError{Op: "renameat2 RENAME_EXCHANGE", Old: tmp, New: dir, Err: err}
	}
}

// swapByRenames replaces dir by tmp on filesystems without
// RENAME_EXCHANGE: dir moves aside, tmp moves in, the old site goes. Between
// the two renames dir does not exist; it is never half-written.
func swapByRenames(tmp, dir string) error {
	parent, base := filepath.Split(dir)
	aside, err := os.MkdirTemp(parent, "."+base+".old-")
	if err != nil {
		return err
	}
	old := filepath.Join(aside, base)
	if err := os.Rename(dir, old); err != nil {
		_ = os.Remove(aside)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w (and the old site could not be put back from %s: %v)", err, old, rerr)
		}
		_ = os.Remove(aside)
		return err
	}
	if err := os.RemoveAll(aside); err != nil {
		return fmt.Errorf("the new site is in %s, but the old one could not be removed: %w", dir, err)
	}
	return nil
}

// Check reports, before anything is built, whether Write could publish to
// buildDir: it must not hold the book, and if it exists it must be a
// directory that litbook made or an empty one.
func Check(b *loader.Parsed, buildDir string) error {
	dir, err := checkBuildDir(b, buildDir)
	if err != nil {
		return err
	}
	_, err = replaceable(dir, buildDir, true)
	return err
}

// Clean removes buildDir if litbook made it (it holds MarkerFile) or it is
// empty. A buildDir that does not exist is already clean.
func Clean(b *loader.Parsed, buildDir string) error {
	dir, err := checkBuildDir(b, buildDir)
	if err != nil {
		return err
	}
	exists, err := replaceable(dir, buildDir, false)
	if err != nil || !exists {
		return err
	}
	return os.RemoveAll(dir)
}

// replaceable reports whether dir exists, and returns an error if it
// exists but is not for litbook to replace or remove: it is not a
// directory, or it is neither empty nor marked with MarkerFile. Errors
// call dir name, as the user does.
func replaceable(dir, name string, write bool) (exists bool, err error) {
	verb := "replace"
	if !write {
		verb = "remove"
	}
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case !fi.IsDir():
		return true, fmt.Errorf("refusing to %s %s: it is not a directory; remove it or choose another build-dir", verb, name)
	}
	if _, err := os.Lstat(filepath.Join(dir, MarkerFile)); err == nil {
		return true, nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return true, err
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err == io.EOF {
		return true, nil // empty
	}
	return true, fmt.Errorf("refusing to %s %s: %w", verb, name, ErrNotOurs)
}

// checkBuildDir returns the absolute path of buildDir, or an error if
// replacing or removing it would touch the book: if it is the book's root
// or an ancestor of it, lies in the chapters directory, or holds a chapter.
func checkBuildDir(b *loader.Parsed, buildDir string) (string, error) {
	if buildDir == "" {
		return "", errors.New("no build directory given")
	}
	dir, err := filepath.Abs(buildDir)
	if err != nil {
		return "", err
	}
	real := fsx.RealPath(dir)
	root := fsx.RealPath(b.Root)
	refuse := func(why string) (string, error) {
		return "", fmt.Errorf("refusing to use %s as the build directory: %s", buildDir, why)
	}
	switch {
	case fsx.Within(real, root):
		return refuse("it holds the book")
	case fsx.Within(fsx.RealPath(filepath.Join(b.Root, "chapters")), real):
		return refuse("it is in the chapters directory")
	}
	// Resolve each directory of chapters once: a book of a thousand
	// chapters has one or two.
	dirs := map[string]string{}
	for _, ch := range b.Chapters {
		p := filepath.Join(b.Root, filepath.FromSlash(ch.Path))
		d := filepath.Dir(p)
		rd, ok := dirs[d]
		if !ok {
			rd = fsx.RealPath(d)
			dirs[d] = rd
		}
		rp := filepath.Join(rd, filepath.Base(p))
		if fi, err := os.Lstat(rp); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			rp = fsx.RealPath(rp)
		}
		if fsx.Within(real, rp) {
			return refuse("it holds the chapter " + ch.Path)
		}
	}
	return dir, nil
}

// RemoveLeftovers removes the temporary files that a build killed by
// SIGKILL leaves behind: the site it was rendering beside the build
// directory out (.book.tmp-*), the old site it was removing (.book.old-*),
// the files an Incremental was writing in the site (.NAME.tmp-*), and the
// highlight cache it was writing in the work directory. The names
// are those Write gives them. Call it only while holding the book's
// lock: then no other build is writing them.
func RemoveLeftovers(root, out string) {
	parent, base := filepath.Split(filepath.Clean(out))
	var left []string
	for _, pattern := range []string{
		filepath.Join(parent, "."+base+".tmp-*"),
		filepath.Join(parent, "."+base+".old-*"),
		filepath.Join(out, ".*.tmp-*"),
		filepath.Join(root, WorkDir, "site", "*.tmp-*"),
	} {
		m, _ := filepath.Glob(pattern)
		left = append(left, m...)
	}
	for _, p := range left {
		_ = os.RemoveAll(p)
	}
}

// copyFiles copies the book files that chapters link to into dir's
// FilesDir.
func copyFiles(root string, files []string, dir string) error {
	for _, rel := range files {
		src := filepath.Join(root, filepath.FromSlash(rel))
		dst := filepath.Join(dir, FilesDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		data, err := fsx.ReadRegular(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// FilesDir is the directory of the site that holds copies of the book's
// files that chapters link to or show as images.
const FilesDir = naming.FilesDir

// linksFor returns l if it was resolved for b, and resolves the links of
// b otherwise.
func linksFor(b *loader.Parsed, l *links.Links, buildDir string) *links.Links {
	if l != nil && l.Book() == b {
		return l
	}
	l, _ = links.Resolve(b, buildDir)
	return l
}
