package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
)

var (
	here  = model.Machine{OS: "Linux", Kernel: "6.18.44", Arch: "amd64", CPUs: 2, FS: "ext4", GoVersion: "go1.26.8", RunDirRoot: "/tmp"}
	there = model.Machine{OS: "Linux", Kernel: "6.1.0", Arch: "arm64", CPUs: 8, FS: "tmpfs", GoVersion: "go1.26.8", RunDirRoot: "/dev/shm"}
)

// planBook is a book of two chapters: "race" and "other" call program
// appender, "plain" calls nothing, and program unused is called by no run.
func planBook() *model.Book {
	ch := &model.Chapter{Path: "chapters/01-a.md", Slug: "01-a"}
	b := &model.Book{Root: "/book", Config: model.Config{Timeout: time.Minute, OutputLimit: 1 << 20}, Chapters: []*model.Chapter{ch}}
	appender := &model.Program{Name: "appender", Chapter: ch, Files: []*model.File{{Name: "main.go", Source: []byte("package main\n")}}}
	unused := &model.Program{Name: "unused", Chapter: ch, Files: []*model.File{{Name: "main.go", Source: []byte("package main\n")}}}
	b.Programs = []*model.Program{appender, unused}
	for i, name := range []string{"race", "other", "plain"} {
		cmd := "appender f"
		progs := []*model.Program{appender}
		if name == "plain" {
			cmd, progs = "echo hi", nil
		}
		b.Runs = append(b.Runs, &model.Run{
			ID: ch.Slug + "/" + name, Name: name, Chapter: ch, Pos: model.Pos{File: ch.Path, Line: 10 * (i + 1)},
			Block:    []byte("console run=" + name + "\n$ " + cmd + "\n"),
			Commands: []*model.Command{{Text: cmd}}, Programs: progs, Trials: 1,
		})
	}
	return b
}

// stored saves a record of run measured on m with Go version gover.
func stored(t *testing.T, root string, ix *store.Index, b *model.Book, run *model.Run, m model.Machine, gover string) {
	t.Helper()
	key, sources := store.Key(run, b.Config, gover, m)
	m.GoVersion = gover
	rec := &model.Record{Run: run, Key: key, Sources: sources, GoVersion: gover, Machine: m, Fresh: true}
	rec.Trials = []*model.Result{{
		Run: run, Trial: 1, Start: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Machine: m,
		Commands: []model.CommandResult{{Ran: true, Done: true, Stdout: model.Output{Data: []byte("ok\n"), Total: 3}}},
	}}
	if err := store.Save(root, ix, rec); err != nil {
		t.Fatal(err)
	}
}

func TestMakePlan(t *testing.T) {
	const gover = "go1.26.8"
	for _, tc := range []struct {
		name string
		// setup stores records (in a store that starts empty) and may
		// damage them; it returns the plan's input.
		setup func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput
		// runs is each run's decision, programs whether each compiles.
		runs     string
		programs string
		errs     []string
	}{
		{
			name: "new machine runs everything and compiles what runs call and what never compiled",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				return PlanInput{}
			},
			runs: "execute execute execute", programs: "appender unused",
		},
		{
			name: "everything stored and compiled: nothing to do",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				for _, r := range b.Runs {
					stored(t, root, ix, b, r, here, gover)
				}
				return PlanInput{Built: programHashes(b, gover)}
			},
			runs: "reuse reuse reuse", programs: "",
		},
		{
			name: "-rerun runs everything and compiles what runs call",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				for _, r := range b.Runs {
					stored(t, root, ix, b, r, here, gover)
				}
				return PlanInput{Built: programHashes(b, gover), Rerun: true}
			},
			runs: "execute execute execute", programs: "appender",
		},
		{
			name: "-rerun with current binaries runs everything and compiles nothing",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				for _, r := range b.Runs {
					stored(t, root, ix, b, r, here, gover)
				}
				return PlanInput{Built: programHashes(b, gover), Rerun: true, Current: map[string]bool{"appender": true, "unused": true}}
			},
			runs: "execute execute execute", programs: "",
		},
		{
			name: "an edited program compiles and reruns exactly the runs that call it",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				for _, r := range b.Runs {
					stored(t, root, ix, b, r, here, gover)
				}
				built := programHashes(b, gover)
				b.Programs[0].Files[0].Source = []byte("package main // edited\n")
				return PlanInput{Built: built}
			},
			runs: "execute execute reuse", programs: "appender",
		},
		{
			name: "an edited run block executes alone",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				for _, r := range b.Runs {
					stored(t, root, ix, b, r, here, gover)
				}
				b.Runs[2].Block = append(b.Runs[2].Block, "$ true\n"...)
				return PlanInput{Built: programHashes(b, gover)}
			},
			runs: "reuse reuse execute", programs: "",
		},
		{
			name: "another Go version runs everything again",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				for _, r := range b.Runs {
					stored(t, root, ix, b, r, here, "go1.25.0")
				}
				return PlanInput{Built: programHashes(b, "go1.25.0")}
			},
			runs: "execute execute execute", programs: "appender unused",
		},
		{
			name: "-frozen thaws another machine's records and reports the missing",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				stored(t, root, ix, b, b.Runs[0], there, gover)
				stored(t, root, ix, b, b.Runs[1], there, gover)
				return PlanInput{Frozen: true, GoVersion: "-"}
			},
			runs: "thaw thaw missing", programs: "",
			errs: []string{"chapters/01-a.md:30: run plain has no stored result for its current sources, and -frozen never runs anything"},
		},
		{
			name: "a record that does not fit its run is measured again",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				for _, r := range b.Runs {
					stored(t, root, ix, b, r, here, gover)
				}
				b.Runs[1].Trials = 3 // the block is unchanged, so the key matches
				return PlanInput{Built: programHashes(b, gover)}
			},
			runs: "reuse execute reuse", programs: "appender",
		},
		{
			name: "shard 2 of 3 executes every third run and compiles only what they call",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				return PlanInput{Shard: Shard{2, 3}}
			},
			runs: "elsewhere execute elsewhere", programs: "appender",
		},
		{
			name: "shard 1 of 2 of a stored book has nothing to do",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				for _, r := range b.Runs {
					stored(t, root, ix, b, r, here, gover)
				}
				return PlanInput{Built: programHashes(b, gover), Shard: Shard{1, 2}}
			},
			runs: "reuse reuse reuse", programs: "",
		},
		{
			name: "a newer litbook's record is refused",
			setup: func(t *testing.T, root string, ix *store.Index, b *model.Book) PlanInput {
				p := filepath.Join(root, filepath.FromSlash(store.RecordPath(here, b.Runs[0])))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, fmt.Appendf(nil, `{"format": %d}`, store.Format+1), 0o644); err != nil {
					t.Fatal(err)
				}
				return PlanInput{}
			},
			runs: "refused execute execute", programs: "appender unused",
			errs: []string{"chapters/01-a.md:10: " + store.RecordPath(here, planBook().Runs[0])},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			b := planBook()
			b.Root = root
			ix, err := store.Load(root)
			if err != nil {
				t.Fatal(err)
			}
			in := tc.setup(t, root, ix, b)
			if ix, err = store.Load(root); err != nil {
				t.Fatal(err)
			}
			in.Book, in.Index, in.Machine = b, ix, here
			if in.GoVersion == "" {
				in.GoVersion = gover
			} else if in.GoVersion == "-" {
				in.GoVersion = ""
			}
			if in.Hashes == nil {
				in.Hashes = programHashes(b, in.GoVersion)
			}
			p := MakePlan(in)
			var runs, progs []string
			for _, rp := range p.Runs {
				runs = append(runs, rp.Decision.String())
			}
			for _, prog := range p.Compiles() {
				progs = append(progs, prog.Name)
			}
			if got := strings.Join(runs, " "); got != tc.runs {
				t.Errorf("runs: %s, want %s", got, tc.runs)
			}
			if got := strings.Join(progs, " "); got != tc.programs {
				t.Errorf("compiles: %q, want %q", got, tc.programs)
			}
			errs := p.Errors()
			if len(errs) != len(tc.errs) {
				t.Fatalf("errors: %v, want %d", errs, len(tc.errs))
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.Error(), tc.errs[i]) {
					t.Errorf("error %d: %s\nwant prefix %s", i, e, tc.errs[i])
				}
			}
			for _, rp := range p.Runs {
				if (rp.Decision == Reuse || rp.Decision == Thaw) != (rp.Record != nil) {
					t.Errorf("run %s: decision %s with record %v", rp.Run.Name, rp.Decision, rp.Record != nil)
				}
			}
		})
	}
}
