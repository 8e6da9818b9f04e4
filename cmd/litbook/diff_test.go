package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
)

// TestDiff builds a book, stores a second machine's record of the same
// run with other outputs, and compares the two.
func TestDiff(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("book.toml", "[book]\n")
	write("chapters/a.md", "# A\n\n```console run=r trials=2\n$ echo n=3\n```\n\nIt printed `=r.n == 3`, twice `=2 * r.n`.\n\n"+
		"```console run=only\n$ echo m=1\n```\n\nOnly here: `=only.m`.\n")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"build", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("build: %s", stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"diff", "-C", dir}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "name the machines to compare (machines with results: linux-") {
		t.Fatalf("diff with one machine: exit %d, %s", code, stderr.String())
	}

	// The other machine measured the same sources and printed 4.
	b, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := store.Load(dir)
	if err != nil || len(ix.Entries) != 2 {
		t.Fatalf("store: %v, %d entries", err, len(ix.Entries))
	}
	// The other machine measured run r only.
	entry := ix.Entries[0]
	if entry.RunID != b.Runs[0].ID {
		entry = ix.Entries[1]
	}
	rec, err := entry.Record(b.Runs[0])
	if err != nil {
		t.Fatal(err)
	}
	rec.Machine = model.Machine{OS: "Linux", Kernel: "6.1.0", Arch: "arm64", CPUs: 8, FS: "tmpfs", Hostname: "other", Unisolated: true}
	rec.Key, _ = store.Key(b.Runs[0], b.Config, rec.GoVersion, rec.Machine)
	for _, tr := range rec.Trials {
		tr.Commands[0].Stdout = model.Output{Data: []byte("n=4\n"), Total: 4}
	}
	if err := store.Save(dir, ix, rec); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"diff", "-C", dir, "arm64"}, &stdout, &stderr); code != 0 {
		t.Fatalf("diff: exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	// The book named first, as for every other command, says the same;
	// -C stays as the older spelling.
	var positional bytes.Buffer
	stderr.Reset()
	if code := run(context.Background(), []string{"diff", dir, "arm64"}, &positional, &stderr); code != 0 || positional.String() != out {
		t.Fatalf("diff DIR arm64: exit %d: %s\n%s\nwant the output of diff -C DIR arm64:\n%s", code, stderr.String(), positional.String(), out)
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"diff", "-C", dir, dir, "arm64"}, &positional, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "the book is named twice") {
		t.Errorf("diff -C DIR DIR arm64: exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		"A  linux-amd64-",
		"B  linux-arm64-8cpu-tmpfs-6.1.0-unisolated-",
		"  (Linux 6.1.0 arm64, 8 CPUs, tmpfs;",
		"runs (isolated / not isolated)",
		"chapters/a.md",
		"3     run r      2 trials",
		"7     =r.n == 3  3 ✓",
		"4 ✗ FAILS",
		"claim holds on one machine only",
		"=2 * r.n",
		"changed (each side's trials agree, on different values)",
		"1 value changed; 1 claim holds on one machine only",
		"They differ in: architecture (amd64 / arm64); ",
		"filesystem (ext4 / tmpfs); kernel version (",
		"The prose states what one machine refutes at chapters/a.md:7:14: ",
		"Mann–Whitney U test of the trials gives p < 0.05",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	// A run only this machine measured: its column widths vary with the
	// durations, so match loosely.
	for _, want := range []string{
		`run only +1 trial, \S+ each +not measured`,
		`=only\.m +1 +— +measured on A only`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("diff output does not match %q:\n%s", want, out)
		}
	}
	if code := run(context.Background(), []string{"diff", "-C", dir, "sparc"}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), `no machine matches "sparc"`) {
		t.Errorf("unknown machine: exit %d, %s", code, stderr.String())
	}
}
