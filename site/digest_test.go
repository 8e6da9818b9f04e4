package site

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestGoBuildID checks that the build ID read from the ELF note is the
// one the Go toolchain reports for the same executable.
func TestGoBuildID(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	got, err := goBuildID(exe)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	if want := strings.TrimSpace(string(out)); got != want {
		t.Errorf("goBuildID = %q, want %q", got, want)
	}
	if _, err := goBuildID("digest.go"); err == nil {
		t.Error("a source file has a Go build ID")
	}
}
