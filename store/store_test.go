package store

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/litbook/litbook/model"
)

var (
	cfg   = model.Config{Timeout: time.Minute, OutputLimit: 1 << 20}
	here  = model.Machine{OS: "Linux", Kernel: "6.18.44", Arch: "amd64", CPUs: 2, FS: "ext4", GoVersion: "go1.26.8", Hostname: "a", RunDirRoot: "/tmp"}
	there = model.Machine{OS: "Linux", Kernel: "6.1.0", Arch: "arm64", CPUs: 8, FS: "tmpfs", GoVersion: "go1.26.8", Hostname: "b", RunDirRoot: "/dev/shm"}
)

func testRun() *model.Run {
	ch := &model.Chapter{Path: "chapters/01-append.md", Slug: "01-append"}
	prog := &model.Program{Name: "appender", Chapter: ch, Files: []*model.File{{Name: "main.go", Source: []byte("package main\n")}}}
	return &model.Run{
		ID: "01-append/seek", Name: "seek", Chapter: ch, Pos: model.Pos{File: ch.Path, Line: 40},
		Block:    []byte("console run=seek trials=2\n$ appender race.log\n$ printf '\\377'\n"),
		Commands: []*model.Command{{Text: "appender race.log"}, {Text: `printf '\377'`}},
		Programs: []*model.Program{prog},
		Trials:   2,
	}
}

func testRecord(run *model.Run, m model.Machine) *model.Record {
	key, sources := Key(run, cfg, "go1.26.8", m)
	rec := &model.Record{Run: run, Key: key, Sources: sources, GoVersion: "go1.26.8", Machine: m, Fresh: true}
	for i := range run.Trials {
		rec.Trials = append(rec.Trials, &model.Result{
			Run: run, Trial: i + 1, Start: time.Date(2026, 11, 23, 10, 0, i, 5, time.UTC), Duration: 4213456789 * time.Nanosecond,
			Machine: m,
			Commands: []model.CommandResult{
				{Ran: true, Done: true, Duration: time.Second, Stdout: model.Output{Data: []byte("lost=868916\n"), Total: 12},
					Stderr: model.Output{Data: []byte("warn\n"), Total: 5},
					Order:  []model.Chunk{{Len: 5}, {Stderr: true, Len: 5}, {Len: 7}}},
				{Ran: true, Done: true, Exit: 0, Stdout: model.Output{Data: []byte{0xff}, Total: 3}},
			},
			Files: []model.FileInfo{{Name: "race.log", Size: 1131084, Mode: "file"}},
		})
	}
	return rec
}

func TestSaveLoadRoundTrip(t *testing.T) {
	root := t.TempDir()
	run := testRun()
	rec := testRecord(run, here)
	ix, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(root, ix, rec); err != nil {
		t.Fatal(err)
	}
	if want := "results/linux-amd64-2cpu-ext4-6.18.44-aff5fa6b/01-append/seek.json"; rec.Path != want {
		t.Errorf("Path = %q, want %q", rec.Path, want)
	}
	ix, err = Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Problems) > 0 {
		t.Fatalf("problems: %v", ix.Problems[0])
	}
	e := ix.Find(run.ID, rec.Key)
	if e == nil {
		t.Fatal("saved record not found by key")
	}
	got, err := e.Record(run)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got.Trials {
		if !reflect.DeepEqual(got.Trials[i], rec.Trials[i]) {
			t.Errorf("trial %d:\ngot  %+v\nwant %+v", i+1, got.Trials[i], rec.Trials[i])
		}
	}
	if got.Key != rec.Key || got.Sources != rec.Sources || got.Path != rec.Path || got.Fresh {
		t.Errorf("record fields: %+v", got)
	}
	// Text is stored as text, for review; bytes that are not UTF-8 as base64.
	data, _ := os.ReadFile(filepath.Join(root, rec.Path))
	if !strings.Contains(string(data), `"order": [
            "out 5",
            "err 5",
            "out 7"
          ]`) {
		t.Errorf("stored file does not keep the order of the output:\n%s", data)
	}
	if !strings.Contains(string(data), `"text": "lost=868916\n"`) || !strings.Contains(string(data), `"base64": "/w=="`) {
		t.Errorf("stored file does not keep text readable:\n%s", data)
	}
}

func TestKey(t *testing.T) {
	run := testRun()
	key, sources := Key(run, cfg, "go1.26.8", here)
	k2, s2 := Key(run, cfg, "go1.26.8", there)
	if k2 == key || s2 != sources {
		t.Error("another machine must change the key and not the sources")
	}
	if k3, s3 := Key(run, cfg, "go1.27.0", here); k3 == key || s3 != sources {
		t.Error("another Go version must change the key and not the sources")
	}
	// What is recorded but not keyed: the hostname, where runs were
	// made, the kernel's local build suffix, the load and the litbook.
	moved := here
	moved.Hostname, moved.RunDirRoot = "other", "/var/tmp"
	moved.Kernel, moved.Load, moved.Litbook = here.Kernel+"-fc-v1147", 7.5, "v0.2.0"
	if k4, _ := Key(run, cfg, "go1.26.8", moved); k4 != key {
		t.Error("a recorded-only field changed the key")
	}
	if MachineDir(moved) != MachineDir(here) || !SameMachine(moved, here) {
		t.Error("a kernel rebuild of the same release is another machine")
	}
	// What is keyed besides the OS, architecture, CPU count, filesystem
	// and kernel version.
	for name, change := range map[string]func(*model.Machine){
		"CPU model":      func(m *model.Machine) { m.CPUModel = "AMD EPYC 7763" },
		"shells":         func(m *model.Machine) { m.Shells = "sh=dash@sha256:00000000" },
		"kernel version": func(m *model.Machine) { m.Kernel = "6.18.45" },
		"isolation":      func(m *model.Machine) { m.Unisolated = true },
	} {
		other := here
		change(&other)
		if k, _ := Key(run, cfg, "go1.26.8", other); k == key {
			t.Errorf("another %s must change the key", name)
		}
		if MachineDir(other) == MachineDir(here) {
			t.Errorf("another %s must be another machine directory", name)
		}
	}
	// The run limits change the key only when they leave their defaults,
	// so that records made before they existed stay valid.
	limited := cfg
	limited.FileSizeLimit, limited.ProcessLimit = model.DefaultFileSizeLimit, model.DefaultProcessLimit
	if k, _ := Key(run, limited, "go1.26.8", here); k != key {
		t.Error("the default run limits changed the key")
	}
	limited.FileSizeLimit = 1 << 20
	if _, s := Key(run, limited, "go1.26.8", here); s == sources {
		t.Error("a file-size-limit must change the sources")
	}
	limited.FileSizeLimit, limited.ProcessLimit = model.DefaultFileSizeLimit, 10
	if _, s := Key(run, limited, "go1.26.8", here); s == sources {
		t.Error("a process-limit must change the sources")
	}
	run.Programs[0].Files[0].Source = []byte("package main // edited\n")
	if k5, s5 := Key(run, cfg, "go1.26.8", here); k5 == key || s5 == sources {
		t.Error("a program edit must change key and sources")
	}
	run.Block = append(run.Block, '\n')
	if _, s6 := Key(run, cfg, "go1.26.8", here); s6 == sources {
		t.Error("a run block edit must change the sources")
	}
}

// TestUnisolatedRecords stores a record measured where runs could not be
// isolated: it is kept apart, says so when loaded, and is not what a build
// on an isolating machine finds, nor the other way round; while the key
// of an isolated run is what it was before isolation was keyed, so that
// committed results stay valid.
func TestUnisolatedRecords(t *testing.T) {
	root := t.TempDir()
	run := testRun()
	open := here
	open.Unisolated = true
	rec := testRecord(run, open)
	ix, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(root, ix, rec); err != nil {
		t.Fatal(err)
	}
	if want := "results/linux-amd64-2cpu-ext4-6.18.44-unisolated-"; !strings.HasPrefix(rec.Path, want) {
		t.Errorf("Path = %q, want %s...", rec.Path, want)
	}
	if ix, err = Load(root); err != nil {
		t.Fatal(err)
	}
	e := ix.Find(run.ID, rec.Key)
	if e == nil || !e.Machine.Unisolated {
		t.Fatalf("the record read back: %+v", e)
	}
	isolatedKey, sources := Key(run, cfg, "go1.26.8", here)
	if ix.Find(run.ID, isolatedKey) != nil || ix.FindSources(run.ID, sources, here) != nil {
		t.Error("an isolating machine reuses a result measured unisolated")
	}
	if ix.FindSources(run.ID, sources, open) == nil {
		t.Error("an unisolated machine does not find its own result")
	}
	// Pinned: the key of this run measured isolated, as it was before.
	if want := "576cf52c1a05"; !strings.HasPrefix(isolatedKey, want) {
		t.Errorf("the isolated key changed: %s, want %s...", isolatedKey, want)
	}
}

func TestCorruptRecordsAreNotTrusted(t *testing.T) {
	root := t.TempDir()
	run := testRun()
	rec := testRecord(run, here)
	ix, _ := Load(root)
	if err := Save(root, ix, rec); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, rec.Path)
	good, _ := os.ReadFile(path)
	for name, c := range map[string]struct {
		data string
		want string
	}{
		"truncated":  {string(good[:len(good)/2]), "corrupt: truncated"},
		"empty":      {"", "corrupt: truncated"},
		"edited":     {strings.Replace(string(good), "lost=868916", "lost=0", 1), "digest does not match"},
		"conflict":   {"<<<<<<< HEAD\n" + string(good), "corrupt: line 1: invalid character '<'"},
		"unknown":    {strings.Replace(string(good), `"format": 1,`, `"format": 1, "extra": true,`, 1), `corrupt: json: unknown field "extra"`},
		"older":      {strings.Replace(string(good), `"format": 1,`, `"format": 0,`, 1), "older than this litbook's"},
		"newer":      {strings.Replace(string(good), `"format": 1,`, `"format": 2,`, 1), "written by a newer litbook (results format 2; this one reads 1)"},
		"bad base64": {strings.Replace(string(good), `"/w=="`, `"!!"`, 1), "corrupt"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(c.data), 0o644); err != nil {
				t.Fatal(err)
			}
			ix, err := Load(root)
			if err != nil {
				t.Fatal(err)
			}
			if ix.Find(run.ID, rec.Key) != nil {
				t.Fatal("a damaged record was trusted")
			}
			if len(ix.Problems) != 1 || !strings.Contains(ix.Problems[0].Error(), c.want) || !strings.HasPrefix(ix.Problems[0].Error(), rec.Path+": ") {
				t.Fatalf("problems %v, want one at %s containing %q", ix.Problems, rec.Path, c.want)
			}
			// Saving again: a newer file is never replaced; anything else
			// is, and a corrupt one is kept beside it.
			err = Save(root, ix, testRecord(run, here))
			after, _ := os.ReadFile(path)
			if name == "newer" {
				if err == nil || string(after) != c.data {
					t.Fatalf("a newer record was replaced (err %v)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			kept, _ := filepath.Glob(path + ".corrupt-*")
			switch {
			case name == "older" && len(kept) != 0:
				t.Errorf("an older record was kept as corrupt: %v", kept)
			case name != "older" && len(kept) != 1:
				t.Errorf("the damaged file was not kept beside the new one: %v", kept)
			case name != "older":
				if data, _ := os.ReadFile(kept[0]); string(data) != c.data {
					t.Errorf("%s does not hold the damaged file", kept[0])
				}
				os.Remove(kept[0])
			}
		})
	}
}

func TestFindSourcesAndPrune(t *testing.T) {
	root := t.TempDir()
	run := testRun()
	ix, _ := Load(root)
	old := testRecord(run, there)
	if err := Save(root, ix, old); err != nil {
		t.Fatal(err)
	}
	gone := testRun()
	gone.ID = "01-append/gone"
	gone.Block = []byte("console run=gone\n$ true\n")
	if err := Save(root, ix, testRecord(gone, here)); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(root, Dir, MachineDir(here), "01-append", ".seek.json.tmp-123")
	if err := os.WriteFile(leftover, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix, _ = Load(root)
	_, sources := Key(run, cfg, "go1.26.8", here)
	if e := ix.FindSources(run.ID, sources, here); e != nil {
		t.Fatalf("FindSources: got %+v from another machine", e)
	}
	if e := ix.FindSources(run.ID, sources, there); e == nil || e.Machine.Hostname != "b" {
		t.Fatalf("FindSources: got %+v, want the other machine's record", e)
	}
	if e := ix.FindSources(gone.ID, sources, here); e != nil {
		t.Fatalf("FindSources: got %+v, another run's record", e)
	}
	if err := Save(root, ix, testRecord(run, here)); err != nil {
		t.Fatal(err)
	}
	ix, _ = Load(root)
	if e := ix.FindSources(run.ID, sources, here); e == nil || e.Machine.Hostname != "a" {
		t.Fatalf("FindSources: got %+v, want this machine's record", e)
	}
	if got := len(ix.Machines()); got != 2 {
		t.Errorf("Machines: %d, want 2", got)
	}
	if n, err := Prune(root, here, func(id string) bool { return id == run.ID }); err != nil || n != 2 {
		t.Fatalf("Prune removed %d files (%v), want the record of gone and the temporary file", n, err)
	}
	ix, _ = Load(root)
	var paths []string
	for _, e := range ix.Entries {
		paths = append(paths, e.Path)
	}
	want := []string{
		"results/linux-amd64-2cpu-ext4-6.18.44-aff5fa6b/01-append/seek.json",
		"results/linux-arm64-8cpu-tmpfs-6.1.0-26113c27/01-append/seek.json",
	}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("after Prune: %v, want %v", paths, want)
	}
	if _, err := os.Stat(leftover); err == nil {
		t.Error("Prune left a temporary file")
	}
}

func TestRecordMustFitRun(t *testing.T) {
	root := t.TempDir()
	run := testRun()
	ix, _ := Load(root)
	if err := Save(root, ix, testRecord(run, here)); err != nil {
		t.Fatal(err)
	}
	ix, _ = Load(root)
	e := ix.Entries[0]
	for _, c := range []struct {
		change func(r *model.Run)
		want   string
	}{
		{func(r *model.Run) { r.Trials = 3 }, "holds 2 trials; the run has trials=3"},
		{func(r *model.Run) { r.Commands = r.Commands[:1] }, "holds 2 commands; the run has 1"},
		{func(r *model.Run) { r.Commands[1] = &model.Command{Text: "true"} }, `command 2 is "printf '\\377'"; the run's is "true"`},
		{func(r *model.Run) { r.ID = "01-append/other" }, "holds run 01-append/seek, not 01-append/other"},
	} {
		r := testRun()
		c.change(r)
		if _, err := e.Record(r); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
}

func TestSameRunInTwoRunsKeepsOwnRecords(t *testing.T) {
	// Two runs with the same block have different keys: each keeps its own
	// measurement.
	a, b := testRun(), testRun()
	b.ID = "01-append/twin"
	ka, _ := Key(a, cfg, "go1.26.8", here)
	kb, _ := Key(b, cfg, "go1.26.8", here)
	if ka == kb {
		t.Error("two runs share a key")
	}
	limits := cfg
	limits.OutputLimit = 1 << 30
	if k, _ := Key(a, limits, "go1.26.8", here); k == ka {
		t.Error("the output limit does not change the key")
	}
}

func TestFSRecordsApart(t *testing.T) {
	// The runs of one block on two filesystems are stored side by side,
	// each with its filesystem, and read back with it.
	root := t.TempDir()
	ix, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]*model.Record{}
	for _, fs := range []string{"ext4", "xfs"} {
		run := testRun()
		run.Base, run.FS = run.Name, fs
		run.Name = run.Base + "[" + fs + "]"
		run.ID = "01-append/" + run.Name
		rec := testRecord(run, here)
		rec.FS = &model.Filesystem{Type: fs, How: "512 MiB loop image, mkfs." + fs}
		for _, t := range rec.Trials {
			t.FS = rec.FS
		}
		if err := Save(root, ix, rec); err != nil {
			t.Fatal(err)
		}
		recs[fs] = rec
	}
	if recs["ext4"].Path == recs["xfs"].Path {
		t.Fatalf("both filesystems' records are stored at %s", recs["ext4"].Path)
	}
	ix, err = Load(root)
	if err != nil || len(ix.Problems) > 0 {
		t.Fatalf("load: %v %v", err, ix.Problems)
	}
	for fs, rec := range recs {
		e := ix.Find(rec.Run.ID, rec.Key)
		if e == nil {
			t.Fatalf("%s: record not found", fs)
		}
		got, err := e.Record(rec.Run)
		if err != nil {
			t.Fatal(err)
		}
		if got.FS == nil || *got.FS != *rec.FS || got.Trials[1].FS == nil || got.Trials[1].FS.Type != fs {
			t.Errorf("%s: read back filesystem %+v, trial 2's %+v", fs, got.FS, got.Trials[1].FS)
		}
		// A record of the run on another filesystem does not fit.
		other := *rec.Run
		other.FS = "btrfs"
		if _, err := e.Record(&other); err == nil {
			t.Errorf("%s: a record of %s was accepted for a run on btrfs", fs, fs)
		}
	}
}

func TestKeyCoversModules(t *testing.T) {
	run := testRun()
	key, sources := Key(run, cfg, "go1.26.8", here)
	run.Programs[0].Modules = []string{"golang.org/x/sys v0.49.0"}
	k1, s1 := Key(run, cfg, "go1.26.8", here)
	if k1 == key || s1 == sources {
		t.Error("importing a module must change the key and the sources")
	}
	run.Programs[0].Modules = []string{"golang.org/x/sys v0.50.0"}
	if k2, _ := Key(run, cfg, "go1.26.8", here); k2 == k1 {
		t.Error("a dependency bump must change the key")
	}
}

// TestKeyCoversInputs: the content of the files a run reads (stdin=,
// files=) is part of its key, and a run that reads none keeps its key.
func TestKeyCoversInputs(t *testing.T) {
	run := testRun()
	key, _ := Key(run, cfg, "go1.26.8", here)
	seen := map[string]string{key: "no inputs"}
	for _, step := range []struct {
		what string
		do   func()
	}{
		{"stdin", func() { run.Stdin = &model.Input{Path: "chapters/in.txt", Digest: "aa"} }},
		{"stdin edited", func() { run.Stdin.Digest = "bb" }},
		{"a file copied", func() { run.Files = []model.Input{{Path: "chapters/d", Name: "d", Dir: true, Digest: "cc"}} }},
		{"the copied file edited", func() { run.Files[0].Digest = "dd" }},
	} {
		step.do()
		k, _ := Key(run, cfg, "go1.26.8", here)
		if prev, dup := seen[k]; dup {
			t.Errorf("%s: key is that of %s", step.what, prev)
		}
		seen[k] = step.what
	}
}

// TestFIFOInStoreDoesNotBlock: a FIFO among the records is a problem,
// reported at once, not a read that waits for a writer.
func TestFIFOInStoreDoesNotBlock(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, Dir, "m", "01-append")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "seek.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Problems) != 1 || ix.Problems[0].Error() != "results/m/01-append/seek.json: not a regular file (a FIFO)" {
		t.Errorf("problems %v, want one saying the FIFO is not a regular file", ix.Problems)
	}
}

// Save keeps the index as Load would now find it, so that a build needs
// not read its store again after storing its results.
func TestSaveKeepsIndexAsLoadFindsIt(t *testing.T) {
	root := t.TempDir()
	run := testRun()
	// Run ids whose paths order differently as strings than as the walk
	// finds them ("01-append/x" against "01-append-b/x"), a replaced
	// record, one over a corrupt file, and another machine's.
	other := testRun()
	other.Chapter = &model.Chapter{Path: "chapters/01-append-b.md", Slug: "01-append-b"}
	other.ID = "01-append-b/seek"
	third := testRun()
	third.ID, third.Name = "01-append/a", "a"
	ix, _ := Load(root)
	for _, rec := range []*model.Record{testRecord(run, here), testRecord(other, here), testRecord(run, there)} {
		if err := Save(root, ix, rec); err != nil {
			t.Fatal(err)
		}
	}
	bad := filepath.Join(root, RecordPath(here, third))
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix, _ = Load(root)
	if len(ix.Problems) != 1 {
		t.Fatalf("problems %v, want the corrupt file", ix.Problems)
	}
	edited := testRun() // its block changed: another key
	edited.Block = append(edited.Block, "\n"...)
	replaced := testRecord(edited, here)
	c := &replaced.Trials[0].Commands[0]
	c.Stdout = model.Output{Data: []byte("lost=0\n"), Total: 7}
	c.Order = []model.Chunk{{Len: 7}, {Stderr: true, Len: 5}}
	for _, rec := range []*model.Record{replaced, testRecord(third, here), testRecord(other, there)} {
		if err := Save(root, ix, rec); err != nil {
			t.Fatal(err)
		}
	}
	want, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ix, want) {
		var got, wanted []string
		for _, e := range ix.Entries {
			got = append(got, e.Path+" "+e.Key[:8])
		}
		for _, e := range want.Entries {
			wanted = append(wanted, e.Path+" "+e.Key[:8])
		}
		t.Errorf("index after Save differs from Load:\ngot  %v (problems %v, %d keys)\nwant %v (problems %v, %d keys)",
			got, ix.Problems, len(ix.byKey), wanted, want.Problems, len(want.byKey))
	}
}

// encode writes what an indenting json.Encoder writes, digest included.
func TestEncodeAsEncoder(t *testing.T) {
	f := newFile(testRecord(testRun(), here), time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC))
	got, err := f.encode()
	if err != nil {
		t.Fatal(err)
	}
	if f.Digest == "" || f.Digest != f.digest() {
		t.Fatalf("digest %q, want that of the record without it, %q", f.Digest, f.digest())
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("encode:\n%s\nwant:\n%s", got, want.String())
	}
}

func TestComparePaths(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"r/a/x.json", "r/a/x.json", 0},
		{"r/a/x.json", "r/a-b/x.json", -1}, // "a" before "a-b", though "/" sorts after "-"
		{"r/a-b/x.json", "r/a/x.json", 1},
		{"r/a", "r/a/x.json", -1},
		{"r/b.json", "r/a/x.json", 1},
	} {
		if got := comparePaths(c.a, c.b); got != c.want {
			t.Errorf("comparePaths(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// Two files may hold records of one key (a copy in another directory):
// Save keeps them in the walk's order under that key, as Load lists them.
func TestSaveKeepsSameKeyInWalkOrder(t *testing.T) {
	root := t.TempDir()
	run := testRun()
	rec := testRecord(run, here)
	ix, _ := Load(root)
	if err := Save(root, ix, rec); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, rec.Path))
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(root, Dir, "zzz-copy", "01-append", "seek.json") // after the original
	if err := os.MkdirAll(filepath.Dir(copied), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ix, _ = Load(root)
	if err := Save(root, ix, testRecord(run, here)); err != nil { // the original again
		t.Fatal(err)
	}
	want, _ := Load(root)
	var got, wanted []string
	for _, e := range ix.byKey[rec.Key] {
		got = append(got, e.Path)
	}
	for _, e := range want.byKey[rec.Key] {
		wanted = append(wanted, e.Path)
	}
	if !reflect.DeepEqual(got, wanted) || len(got) != 2 {
		t.Errorf("entries of the key after Save: %v, want %v as Load lists them", got, wanted)
	}
}
