// Package inputs digests and copies the files of a book that runs read
// (stdin= and files=). The loader digests them for the run's key; the
// runner copies them into every trial's directory and digests what it
// copied, so that a trial runs on exactly the content its key covers: a
// file edited between the two is caught, not measured under the key of
// its old content. Both go through one walk, so the two digests cannot
// disagree about the format.
package inputs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/litbook/litbook/internal/fsx"
)

// Limits of files=: what is copied into every trial's directory.
const (
	MaxFiles = 10000
	MaxBytes = 256 << 20
)

// ErrChanged is the error of a file that changed while it was read.
var ErrChanged = errors.New("changed while it was read")

// Digest returns the SHA-256 of the file at abs, or of a directory's
// names, modes and contents, in order. It refuses what a copy could not
// reproduce or should not make: symbolic links, special files, and more
// than MaxFiles files or MaxBytes bytes.
func Digest(abs string) (string, error) {
	return walk(abs, "")
}

// Copy copies the file or directory at src to dst, keeping executable
// bits (a file must not exist at dst; a directory may, and is added to), and returns the digest of what it copied, as
// Digest would of the same content. It refuses what Digest refuses.
func Copy(src, dst string) (string, error) {
	return walk(src, dst)
}

// walk digests the tree at abs and, if dst is not empty, copies it there.
func walk(abs, dst string) (string, error) {
	fi, err := os.Lstat(abs)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	files, size := 0, int64(0)
	add := func(name, p, target string, fi fs.FileInfo) error {
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link: files= copies only regular files and directories", name)
		case fi.IsDir():
			fmt.Fprintf(h, "dir %q\n", name)
			if dst != "" {
				return os.MkdirAll(target, 0o755)
			}
			return nil
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s is not a regular file", name)
		}
		files++
		if files > MaxFiles {
			return tooMuch()
		}
		n, err := addFile(h, name, p, target, fi.Mode().Perm()&0o111, &size)
		size += n
		return err
	}
	if !fi.IsDir() {
		if err := add(".", abs, dst, fi); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(abs, p)
		target := ""
		if dst != "" {
			target = filepath.Join(dst, rel)
		}
		return add(filepath.ToSlash(rel), p, target, info)
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func tooMuch() error {
	return fmt.Errorf("more than %d files or %d MiB: too much to copy into every run", MaxFiles, MaxBytes>>20)
}

// addFile adds the regular file at p, named name in the tree, to h (and
// copies it to target, if the tree is copied), and returns its size. The
// size in the digest is the open file's, before its content: content that
// does not match it is ErrChanged. used is what the tree held before it.
func addFile(h hash.Hash, name, p, target string, exec fs.FileMode, used *int64) (int64, error) {
	f, err := fsx.OpenRegular(p) // never blocks on a file swapped for a FIFO
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if *used+fi.Size() > MaxBytes {
		return 0, tooMuch()
	}
	fmt.Fprintf(h, "file %q %o %d\n", name, exec, fi.Size())
	var w io.Writer = h
	var out *os.File
	if target != "" {
		if out, err = os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644|exec); err != nil {
			return 0, err
		}
		w = io.MultiWriter(h, out)
	}
	// One byte more than the size, to see a file that grew.
	n, err := io.Copy(w, io.LimitReader(f, fi.Size()+1))
	if out != nil {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return n, err
	}
	if n != fi.Size() {
		return n, fmt.Errorf("%s: %w", name, ErrChanged)
	}
	return n, nil
}
