package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/pipeline"
	"github.com/litbook/litbook/store"
)

// TestMatrixMerge simulates the regeneration workflow of
// .github/workflows/regenerate.yml on one machine: two machines build the
// whole book, a third builds it in three shards (three checkouts, as three
// CI jobs would), and a fresh checkout merges every results/ directory and
// renders with -frozen. Every run must be present exactly once per machine.
func TestMatrixMerge(t *testing.T) {
	writeFile := func(dir, name, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkout := func() string {
		dir := t.TempDir()
		writeFile(dir, "book.toml", "[book]\ntitle = \"Matrix\"\n")
		for c := 1; c <= 2; c++ {
			var md strings.Builder
			fmt.Fprintf(&md, "# Chapter %d\n", c)
			for r := 1; r <= 4; r++ {
				fmt.Fprintf(&md, "\n```console run=r%d\n$ echo n=%d\n```\n", r, 10*c+r)
			}
			fmt.Fprintf(&md, "\nThe first run printed `=r1.n`.\n")
			writeFile(dir, fmt.Sprintf("chapters/%d.md", c), md.String())
		}
		return dir
	}
	machine := func(cpu string) func(*model.Machine) {
		return func(m *model.Machine) { m.CPUModel = cpu }
	}
	build := func(dir string, o *options) {
		t.Helper()
		var stderr bytes.Buffer
		e := &env{stdout: io.Discard, stderr: &stderr, bookArg: dir}
		o.jobs = 2
		if err := cmdBuild.Run(context.Background(), e, o, dir); err != nil {
			t.Fatalf("build %s: %v\n%s", dir, err, stderr.String())
		}
	}
	var artifacts []string
	for _, cpu := range []string{"Alpha CPU", "Beta CPU"} {
		dir := checkout()
		build(dir, &options{identity: machine(cpu)})
		artifacts = append(artifacts, filepath.Join(dir, store.Dir))
	}
	for i := 1; i <= 3; i++ {
		dir := checkout()
		build(dir, &options{identity: machine("Gamma CPU"), shard: pipeline.Shard{I: i, N: 3}})
		ix, err := store.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{3, 3, 2}[i-1]; len(ix.Entries) != want {
			t.Errorf("shard %d/3 stored %d records, want %d", i, len(ix.Entries), want)
		}
		if _, err := os.Stat(filepath.Join(dir, "book", "index.html")); err == nil {
			t.Errorf("shard %d/3 rendered a site", i)
		}
		artifacts = append(artifacts, filepath.Join(dir, store.Dir))
	}

	final := checkout()
	var stdout, stderr bytes.Buffer
	args := append([]string{"merge", "-C", final}, artifacts...)
	if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("merge: exit %d\n%s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"build", "-frozen", final}, &stdout, &stderr); code != exitOK {
		t.Fatalf("build -frozen: exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "nothing to run") {
		t.Errorf("the frozen build ran something:\n%s", stderr.String())
	}
	ix, err := store.Load(final)
	if err != nil {
		t.Fatal(err)
	}
	perMachine := map[string]map[string]int{}
	for _, e := range ix.Entries {
		if perMachine[e.Machine.CPUModel] == nil {
			perMachine[e.Machine.CPUModel] = map[string]int{}
		}
		perMachine[e.Machine.CPUModel][e.RunID]++
	}
	if len(perMachine) != 3 {
		t.Errorf("%d machines in the merged results, want 3", len(perMachine))
	}
	for cpu, runs := range perMachine {
		if len(runs) != 8 {
			t.Errorf("%s has %d runs, want 8", cpu, len(runs))
		}
		for id, n := range runs {
			if n != 1 {
				t.Errorf("%s has run %s %d times", cpu, id, n)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(final, "book", "machines.html")); err != nil {
		t.Errorf("no site: %v", err)
	}
	// Merging again changes nothing.
	stderr.Reset()
	if code := run(context.Background(), args, &stdout, &stderr); code != exitOK || strings.Contains(stderr.String(), " 1 record added") {
		t.Errorf("second merge: exit %d\n%s", code, stderr.String())
	}
}
