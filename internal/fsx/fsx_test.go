package fsx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadRegularRefusesAtOnce checks that a FIFO with no writer, a
// directory and a device are refused, not waited on, and that a regular
// file reads whole.
func TestReadRegularRefusesAtOnce(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	want := strings.Repeat("litbook\n", 10000)
	if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, kind := range map[string]string{fifo: "a FIFO", dir: "a directory", "/dev/null": "a character device"} {
		_, err := ReadRegular(path)
		var nr *NotRegularError
		if !errors.As(err, &nr) || !strings.HasSuffix(err.Error(), "is not a regular file ("+kind+")") {
			t.Errorf("ReadRegular(%s) = %v, want it to be %s", path, err, kind)
		}
	}
	got, err := ReadRegular(file)
	if err != nil || string(got) != want {
		t.Errorf("ReadRegular(file) = %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	if _, err := ReadRegular(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadRegular(missing) = %v, want ErrNotExist", err)
	}
}

// TestWriteAtomic: the pieces end up in the file, of mode 0644, made with
// its directory, with no temporary file left, synced or not; and a file
// that cannot be made leaves nothing.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	for _, sync := range []bool{false, true} {
		name := filepath.Join(dir, "sub", "f.json")
		if err := WriteAtomic(name, sync, []byte("ab"), []byte("c")); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(name)
		fi, _ := os.Stat(name)
		if err != nil || string(data) != "abc" || fi.Mode().Perm() != 0o644 {
			t.Errorf("sync=%v: read %q (%v), mode %v", sync, data, err, fi.Mode())
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "sub", ".f.json.tmp-*")); len(left) > 0 {
			t.Errorf("sync=%v: left %v", sync, left)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(filepath.Join(dir, "file", "f"), false, []byte("x")); err == nil {
		t.Error("wrote under a regular file")
	}
}
