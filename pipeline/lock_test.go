package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLockSurvivesRemoval removes the work directory, lock information and
// all, while a build holds the lock: a second build must still wait.
func TestLockSurvivesRemoval(t *testing.T) {
	root := t.TempDir()
	var out bytes.Buffer
	unlock, err := Lock(context.Background(), root, "first", &out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, ".litbook")); err != nil {
		t.Fatal(err)
	}
	got := make(chan func())
	go func() {
		second, err := Lock(context.Background(), root, "second", &out)
		if err != nil {
			t.Error(err)
		}
		got <- second
	}()
	select {
	case second := <-got:
		second()
		t.Fatal("a second build took the lock while the first held it")
	case <-time.After(3 * lockPoll):
	}
	unlock()
	(<-got)()
}
