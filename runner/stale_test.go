package runner

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestStaleEntries checks which run directories a later litbook removes:
// those of a litbook process that is gone, never those of a live one, nor
// names that runPrefix did not make.
func TestStaleEntries(t *testing.T) {
	dir := t.TempDir()
	// A pid above the kernel's limit is no process.
	const dead = 1 << 30
	for _, name := range []string{
		runPrefix(dead) + "123",          // a killed litbook's: stale
		runPrefix(os.Getppid()) + "456",  // a live process's
		runPrefix(os.Getpid()) + "789",   // this litbook's own
		"litbook-run-2116079858",         // an older litbook's, no pid in it
		"something-else-" + "1073741824", // not litbook's
	} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got := staleEntries(dir)
	want := []string{filepath.Join(dir, runPrefix(dead)+"123")}
	if !slices.Equal(got, want) {
		t.Errorf("stale entries %v, want %v", got, want)
	}
}
