package inputs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// tree makes a directory with a file and an executable in a subdirectory.
func tree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "t")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "run.sh"), []byte("#!/bin/sh\necho x\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDigestStable pins the digest's format: the keys of stored results
// hold it, so a change would make every result of a run with files= or
// stdin= look stale. The values are what litbook computed before this
// package existed.
func TestDigestStable(t *testing.T) {
	dir := tree(t)
	for p, want := range map[string]string{
		dir:                         "21648372b6375759e2fa6680a716c187c4eb5403adde3ad3b00601c88533d382",
		filepath.Join(dir, "a.txt"): "fc2b044ec1f101d2110730d91f5fb52f65307fc86bed68b02949ddbe95de754e",
	} {
		if got, err := Digest(p); err != nil || got != want {
			t.Errorf("Digest(%s) = %s, %v; want %s", p, got, err, want)
		}
	}
}

// TestCopyDigestsWhatItCopies copies a tree and a file: each copy has the
// content and executable bits of the original, and Copy's digest is
// Digest's of the original and of the copy.
func TestCopyDigestsWhatItCopies(t *testing.T) {
	src := tree(t)
	for _, p := range []string{src, filepath.Join(src, "a.txt")} {
		dst := filepath.Join(t.TempDir(), "copy")
		got, err := Copy(p, dst)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Digest(p)
		again, _ := Digest(dst)
		if got != want || again != want {
			t.Errorf("%s: Copy's digest %s, the original's %s, the copy's %s", p, got, want, again)
		}
	}
	dst := filepath.Join(t.TempDir(), "copy")
	if _, err := Copy(src, dst); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dst, "sub", "run.sh"))
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("the executable's copy: %v, %v", fi, err)
	}
}

// TestCopyRefuses copies what a run's directory must not get: a symbolic
// link and a FIFO (which would block an open), and fails on each without
// blocking.
func TestCopyRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	fifoDir := filepath.Join(dir, "d")
	if err := os.Mkdir(fifoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mkfifo(filepath.Join(fifoDir, "fifo")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "link"), fifoDir} {
		if _, err := Copy(p, filepath.Join(t.TempDir(), "copy")); err == nil || errors.Is(err, ErrChanged) {
			t.Errorf("Copy(%s): %v, want a refusal", p, err)
		}
	}
}

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o644) }
