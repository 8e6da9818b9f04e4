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
