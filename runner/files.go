package runner

import (
	"errors"
	"fmt"
	"os"
	"path"
	"sort"

	"github.com/litbook/litbook/model"
	"golang.org/x/sys/unix"
)

// maxFilesLeft bounds how many entries of a run directory a result records;
// maxFilesCounted bounds how many more are counted before litbook stops
// looking, so that a run leaving millions of files does not stall the build.
var (
	maxFilesLeft    = 1000
	maxFilesCounted = 100000
)

// filesLeft lists what a run left in its directory dir, in lexical order,
// each directory before its contents: at most maxFilesLeft entries, then a
// count of those omitted. partial says why that count is only a lower
// bound, or is "" if it is exact.
//
// The walk opens each directory relative to its parent (openat), holding
// one directory open at a time, so that no path is ever longer than a name:
// a tree deeper than PATH_MAX is counted to its last file.
func filesLeft(dir string) (files []model.FileInfo, omitted int, partial string) {
	w := &fileWalk{}
	root, err := os.Open(dir)
	if err != nil {
		return nil, 0, "litbook could not read the run directory: " + errText(err)
	}
	if d, _ := w.walk(root, ""); d != nil {
		d.Close()
	}
	return w.files, w.omitted, w.partial
}

type fileWalk struct {
	files   []model.FileInfo
	omitted int
	partial string
	stop    bool
}

// note records why the walk missed something; the first reason stands.
func (w *fileWalk) note(format string, args ...any) {
	if w.partial == "" {
		w.partial = fmt.Sprintf(format, args...)
	}
}

// walk lists the directory open as dir, at rel in the run directory, and
// returns it open again (to descend, it closes it, and reopens it from the
// child through ".."), or nil if it could not reopen it.
func (w *fileWalk) walk(dir *os.File, rel string) (*os.File, error) {
	entries, err := dir.ReadDir(-1)
	if err != nil {
		w.note("litbook could not read %s: %s", orDot(rel), errText(err))
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if w.stop {
			return dir, nil
		}
		p := path.Join(rel, e.Name())
		w.add(dir, p, e)
		if !e.IsDir() {
			continue
		}
		fd, err := unix.Openat(int(dir.Fd()), e.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			w.note("litbook could not read %s: %s", p, errText(err))
			continue
		}
		dir.Close()
		child, err := w.walk(os.NewFile(uintptr(fd), e.Name()), p)
		if err != nil {
			return nil, err
		}
		up, err := unix.Openat(int(child.Fd()), "..", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		child.Close()
		if err != nil {
			w.note("litbook could not return from %s: %s", p, errText(err))
			return nil, err
		}
		dir = os.NewFile(uintptr(up), path.Base(orDot(rel)))
	}
	return dir, nil
}

// add records the entry e of dir, at p, or counts it once maxFilesLeft are
// recorded, and stops the walk at maxFilesCounted.
func (w *fileWalk) add(dir *os.File, p string, e os.DirEntry) {
	if len(w.files) >= maxFilesLeft {
		w.omitted++
		if w.omitted >= maxFilesCounted {
			w.stop = true
			w.note("litbook stopped counting at %d", maxFilesCounted)
		}
		return
	}
	fi := model.FileInfo{Name: p}
	switch t := e.Type(); {
	case t.IsDir():
		fi.Mode = "dir"
	case t&os.ModeSymlink != 0:
		fi.Mode = "symlink"
	case t.IsRegular():
		fi.Mode = "file"
		var st unix.Stat_t
		if unix.Fstatat(int(dir.Fd()), e.Name(), &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			fi.Size = st.Size
		}
	default:
		fi.Mode = "other"
	}
	w.files = append(w.files, fi)
}

func orDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

// errText is the system's words for err, without the path it names.
func errText(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}
