// Package fsx reads the files a book is made of (chapters, book.toml,
// go.mod, go.sum, linked files) without ever blocking on one that is not a
// regular file: open(2) of a FIFO waits for a writer, and neither SIGINT
// nor SIGTERM can interrupt it once the Go runtime catches them.
package fsx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// NotRegularError is the error of a path that exists but is not a regular
// file.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is not a regular file (%s)", e.Path, Kind(e.Mode))
}

// Kind names the type of a file of mode m as prose: "a FIFO", "a
// directory", ...
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}

// CheckRegular returns a *NotRegularError if path (following symbolic
// links) exists and is not a regular file, and the error of stat(2)
// otherwise. It never blocks on a FIFO, since it opens nothing.
func CheckRegular(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return nil
}

// OpenRegular opens path for reading if it is a regular file. It checks the
// type before opening (so that a device is never opened) and again on the
// open file (so that a file swapped for a FIFO in between is caught), and
// opens with O_NONBLOCK so that the open itself cannot wait for a FIFO's
// writer. O_NONBLOCK has no effect on reading a regular file.
func OpenRegular(path string) (*os.File, error) {
	if err := CheckRegular(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		if errors.Is(err, syscall.ENXIO) {
			// A socket (or a FIFO without a writer opened for writing):
			// say what it is.
			if fi, serr := os.Stat(path); serr == nil && !fi.Mode().IsRegular() {
				return nil, &NotRegularError{Path: path, Mode: fi.Mode()}
			}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return f, nil
}

// ReadRegular is os.ReadFile for a file that must be a regular one: a
// FIFO, device, socket or directory gives a *NotRegularError at once.
func ReadRegular(path string) ([]byte, error) {
	return ReadRegularInto(path, nil)
}

// ReadRegularInto is ReadRegular reading into buf's array, from its
// start, if it is large enough; a caller that reads many files can reuse
// one buffer.
func ReadRegularInto(path string, buf []byte) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := buf[:0]
	if fi, err := f.Stat(); err == nil && int64(cap(data)) < fi.Size()+512 {
		data = make([]byte, 0, fi.Size()+512)
	}
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}

// Within reports whether path is dir or inside it. Both are clean and
// absolute.
func Within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// RealPath resolves the symbolic links in the longest existing prefix of
// the absolute path p, so that two names for one directory compare equal.
func RealPath(p string) string {
	p = filepath.Clean(p)
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	parent := filepath.Dir(p)
	if parent == p {
		return p
	}
	return filepath.Join(RealPath(parent), filepath.Base(p))
}

// TempBeside writes the pieces one after the other to a new file beside
// name, .NAME.tmp-*, of mode 0644, in name's directory, which it makes
// if need be, and returns the new file's path; with sync, the file is on
// the disk when it returns. On an error it leaves nothing behind.
func TempBeside(name string, sync bool, pieces ...[]byte) (string, error) {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-")
	if err != nil {
		return "", err
	}
	err = writePieces(f, pieces)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// writePieces writes the pieces to f: one as it is, more through a buffer
// no larger than they are together (a build saves hundreds of small
// records, and a buffer of its own for each was most of what it
// allocated).
func writePieces(f *os.File, pieces [][]byte) error {
	if len(pieces) == 1 {
		_, err := f.Write(pieces[0])
		return err
	}
	n := 0
	for _, p := range pieces {
		n += len(p)
	}
	bw := bufio.NewWriterSize(f, max(min(n, 256<<10), 16))
	for _, p := range pieces {
		_, _ = bw.Write(p) // Flush returns the error
	}
	return bw.Flush()
}

// WriteAtomic writes the pieces to name through TempBeside and a rename:
// readers, and a process killed at any point, see the old file or the new
// one, never a part. With sync, so does a machine that loses power: the
// file is synced before the rename, and its directory after.
func WriteAtomic(name string, sync bool, pieces ...[]byte) error {
	tmp, err := TempBeside(name, sync, pieces...)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if sync {
		if d, err := os.Open(filepath.Dir(name)); err == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	return nil
}
