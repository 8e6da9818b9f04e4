package pipeline_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/pipeline"
	"github.com/litbook/litbook/store"
)

// TestKernelRebuildRerunsNothing builds a book, then builds it again as if
// the kernel had been rebuilt from the same release, with another load and
// another litbook: nothing runs. A new kernel release, another CPU model or
// another shell runs everything again.
func TestKernelRebuildRerunsNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "chapters"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\ntitle = \"Identity\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "chapters", "a.md"), []byte("# A\n\n```console run=r\n$ echo n=1\n```\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(change func(*model.Machine)) *pipeline.Result {
		t.Helper()
		bd := &pipeline.Builder{Identity: func(m *model.Machine) {
			m.Kernel, m.CPUModel, m.Load = "6.18.44-fc-v669", "Test CPU", 0.5
			change(m)
		}}
		res, err := bd.Build(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := build(func(*model.Machine) {}); res.Ran != 1 {
		t.Fatalf("first build ran %d runs", res.Ran)
	}
	rebuilt := build(func(m *model.Machine) { m.Kernel, m.Load, m.Litbook = "6.18.44-fc-v1147", 9.5, "v9" })
	if rebuilt.Ran != 0 {
		t.Errorf("a kernel rebuild of the same release ran %d runs", rebuilt.Ran)
	}
	for name, change := range map[string]func(*model.Machine){
		"kernel release": func(m *model.Machine) { m.Kernel = "6.18.45-fc-v1" },
		"CPU model":      func(m *model.Machine) { m.CPUModel = "Other CPU" },
		"shell":          func(m *model.Machine) { m.Shells = "sh=dash@sha256:00000000" },
	} {
		if res := build(change); res.Ran != 1 {
			t.Errorf("another %s ran %d runs, want 1", name, res.Ran)
		}
	}
	ix, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ix.Entries {
		if e.Machine.Hostname != "" {
			t.Errorf("%s records the hostname %q, which the book did not ask for", e.Path, e.Machine.Hostname)
		}
		if !strings.HasPrefix(e.Machine.Shells, "sh=") && e.Machine.Shells != "sh=dash@sha256:00000000" {
			t.Errorf("%s does not record the shells: %q", e.Path, e.Machine.Shells)
		}
	}
	if len(ix.Entries) != 4 {
		t.Errorf("%d records, want 4 (one per machine)", len(ix.Entries))
	}
}

// TestLockedDespiteBadConfig builds a book whose book.toml has a value of
// the wrong type while another build holds the lock: the build must wait
// for it, since it still writes into the book.
func TestLockedDespiteBadConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "chapters"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\ntitle = 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "chapters", "a.md"), []byte("# A\n\n```console run=r\n$ echo n=1\n```\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unlock, err := pipeline.Lock(context.Background(), dir, "the test", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := (&pipeline.Builder{KeepGoing: true}).Build(context.Background(), dir)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the build ran while another held the lock: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	unlock()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "book.toml:2") {
		t.Errorf("after the lock: %v", err)
	}
}
