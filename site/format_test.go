package site

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
)

func TestFormatCount(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 65536: "65,536", 1048576: "1,048,576",
		3221225472: "3,221,225,472", -1234: "-1,234", -999: "-999",
	} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		300 * time.Microsecond:    "0.3 ms",
		412 * time.Millisecond:    "412 ms",
		999600 * time.Microsecond: "1.00 s",
		2313 * time.Millisecond:   "2.31 s",
		12345 * time.Millisecond:  "12.3 s",
		185 * time.Second:         "3 min 5 s",
		2 * time.Minute:           "2 min",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestCommandStatus(t *testing.T) {
	fg, bg := &model.Command{Text: "x"}, &model.Command{Text: "x", Background: true}
	ok, timedOut := &model.Result{}, &model.Result{TimedOut: true}
	for _, tc := range []struct {
		c    *model.Command
		cr   model.CommandResult
		res  *model.Result
		want string
	}{
		{fg, model.CommandResult{Ran: true, Done: true}, ok, ""},
		{fg, model.CommandResult{Ran: true, Done: true, Exit: 3}, ok, "[exit 3]"},
		{fg, model.CommandResult{}, ok, "[not reached]"},
		{fg, model.CommandResult{Ran: true}, timedOut, "[killed at the time limit]"},
		{bg, model.CommandResult{Ran: true, Killed: true}, ok, "[still running when the run ended: killed]"},
		{bg, model.CommandResult{Ran: true}, ok, "[finished; exit status not recorded]"},
		{fg, model.CommandResult{Ran: true}, ok, "[did not finish]"},
	} {
		if got := commandStatus(tc.c, tc.cr, tc.res); got != tc.want {
			t.Errorf("commandStatus(%+v) = %q, want %q", tc.cr, got, tc.want)
		}
	}
}

func TestMeasuredLine(t *testing.T) {
	at := func(day int, m model.Machine) *model.Result {
		return &model.Result{Start: time.Date(2026, 11, day, 12, 0, 0, 0, time.UTC), Machine: m}
	}
	other := testMachine
	other.Kernel = "6.1.0"
	renamed := testMachine
	renamed.Hostname = "elsewhere" // not part of the fingerprint
	for _, tc := range []struct {
		results []*model.Result
		want    []string
		not     []string
	}{
		{nil, []string{"Nothing in this book has been run yet"}, nil},
		{[]*model.Result{nil, nil}, []string{"None of the book's 2 transcripts"}, nil},
		{[]*model.Result{at(23, testMachine), at(23, renamed)},
			[]string{"Every output", "Linux 6.18.44-fc-v769 (amd64), ext4 at /tmp, 2 CPUs, go1.26.8, on 2026-11-23."},
			[]string{"other machines", "not been run"}},
		{[]*model.Result{at(24, testMachine), at(22, testMachine), at(23, other), nil},
			[]string{"between 2026-11-22 and 2026-11-24.", "1 transcript was measured on other machines", "1 transcript has not been run yet"},
			[]string{"Every output"}},
	} {
		got := measuredLine(tc.results)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("measuredLine: %q does not contain %q", got, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(got, w) {
				t.Errorf("measuredLine: %q contains %q", got, w)
			}
		}
	}
}

func TestRunViewNamesItsFilesystem(t *testing.T) {
	// A run with fs= was measured on the filesystem litbook made for it,
	// not on the one its run directories are made in: the footer says so,
	// and names the block's other filesystems.
	m := model.Machine{OS: "linux", Kernel: "6.18.44", Arch: "amd64", CPUs: 2, FS: "ext4", RunDirRoot: "/tmp", GoVersion: "go1.26.8"}
	var family []*model.Run
	for _, fs := range []string{"tmpfs", "xfs", "btrfs"} {
		family = append(family, &model.Run{Name: "race[" + fs + "]", Base: "race", FS: fs, Commands: []*model.Command{{Text: "true"}}})
	}
	for _, r := range family {
		r.Family = family
	}
	res := &model.Result{Run: family[0], Commands: make([]model.CommandResult, 1), Machine: m, FS: &model.Filesystem{Type: "tmpfs", How: "in memory"}}
	v := newRunView(family[0], res)
	got := strings.Join(v.Measured, " · ")
	if !strings.Contains(got, "tmpfs (in memory)") || strings.Contains(got, "ext4") || strings.Contains(got, "/tmp") {
		t.Errorf("footer says %q, want tmpfs (in memory) and no ext4 at /tmp", got)
	}
	if v.Also != "the same transcript also ran on xfs and btrfs" {
		t.Errorf("Also = %q", v.Also)
	}
	if v.ID != "run-race" {
		t.Errorf("ID = %q, want the block's run-race", v.ID)
	}
	// Without fs=, the run directory's filesystem is named as before.
	res.FS = nil
	if got := strings.Join(newRunView(family[0], res).Measured, " · "); !strings.Contains(got, "ext4 at /tmp") {
		t.Errorf("footer without fs= says %q", got)
	}
}

func TestRunViewInterleavesStreams(t *testing.T) {
	// A command whose result recorded the order of its streams is shown
	// as a terminal showed it, each piece in its stream's class; one
	// without, standard output first.
	run := &model.Run{Name: "log", Commands: []*model.Command{{Text: "serve"}}}
	cr := model.CommandResult{Ran: true, Done: true,
		Stdout: model.Output{Data: []byte("a\nb\n"), Total: 4},
		Stderr: model.Output{Data: []byte("log: x\n"), Total: 7},
		Order:  []model.Chunk{{Len: 2}, {Stderr: true, Len: 7}, {Len: 2}},
	}
	res := &model.Result{Run: run, Commands: []model.CommandResult{cr}}
	spans := func() string {
		var b strings.Builder
		for _, s := range newRunView(run, res).Spans {
			if s.Class == "out" || s.Class == "err" {
				fmt.Fprintf(&b, "%s:%q ", s.Class, s.Text)
			}
		}
		return b.String()
	}
	if got, want := spans(), `out:"a\n" err:"log: x\n" out:"b\n" `; got != want {
		t.Errorf("interleaved: %s, want %s", got, want)
	}
	res.Commands[0].Order = nil
	if got, want := spans(), `out:"a\nb\n" err:"log: x\n" `; got != want {
		t.Errorf("without an order: %s, want %s", got, want)
	}
}

// TestRunViewCleansStreamsWhole: a chunk boundary (where the other
// stream's bytes arrived) may fall inside a UTF-8 character, a terminal
// escape sequence or a CRLF of one stream; the page shows each stream as
// it would have cleaned it whole, not two halves of a character, nor the
// tail of an escape sequence as text.
func TestRunViewCleansStreamsWhole(t *testing.T) {
	out := []byte("caf\xc3\xa9 \x1b[31mred\x1b[0m\r\nend\n")
	cut := func(s string) int { return strings.Index(string(out), s) }
	run := &model.Run{Name: "log", Commands: []*model.Command{{Text: "serve"}}}
	cr := model.CommandResult{Ran: true, Done: true,
		Stdout: model.Output{Data: out, Total: int64(len(out))},
		Stderr: model.Output{Data: []byte("1\n2\n3\n"), Total: 6},
	}
	// Cut stdout inside é, inside ESC [31m and between CR and LF; a line
	// of stderr arrives at each cut.
	cuts := []int{cut("\xa9"), cut("1mred"), cut("\nend")}
	prev := 0
	for _, c := range cuts {
		cr.Order = append(cr.Order, model.Chunk{Len: c - prev}, model.Chunk{Stderr: true, Len: 2})
		prev = c
	}
	cr.Order = append(cr.Order, model.Chunk{Len: len(out) - prev})
	res := &model.Result{Run: run, Commands: []model.CommandResult{cr}}
	var stdout, stderr strings.Builder
	for _, s := range newRunView(run, res).Spans {
		switch s.Class {
		case "out":
			stdout.WriteString(s.Text)
		case "err":
			stderr.WriteString(s.Text)
		}
	}
	if got, want := stdout.String(), "café red\nend\n"; got != want {
		t.Errorf("stdout shown as %q, want %q", got, want)
	}
	if got, want := stderr.String(), "1\n2\n3\n"; got != want {
		t.Errorf("stderr shown as %q, want %q", got, want)
	}
}

func TestRunViewBackgroundHereDocument(t *testing.T) {
	// A background command's "&" is shown where it was written: before
	// the lines of its here-document.
	text := "cat <<END >f\nbody\nEND"
	run := &model.Run{Name: "bg", Commands: []*model.Command{{Text: text, Background: true, HereDocAt: len("cat <<END >f")}}}
	var cmd string
	for _, s := range newRunView(run, nil).Spans {
		if s.Class == "cmd" {
			cmd = s.Text
		}
	}
	if want := "cat <<END >f &\nbody\nEND"; cmd != want {
		t.Errorf("shown as %q, want %q", cmd, want)
	}
}

// TestUnisolatedIsShown: a result measured where runs could not be
// isolated says so wherever the site says how a run was measured (the
// transcript's footer, a value's note, the Machines page); an isolated
// one says nothing of it.
func TestUnisolatedIsShown(t *testing.T) {
	open := testMachine
	open.Unisolated = true
	run := &model.Run{ID: "t/r", Name: "r", Commands: []*model.Command{{Text: "true"}}}
	res := &model.Result{Run: run, Commands: make([]model.CommandResult, 1), Machine: open}
	if got := strings.Join(newRunView(run, res).Measured, " · "); !strings.Contains(got, unisolated) {
		t.Errorf("footer of an unisolated run: %q", got)
	}
	res.Machine = testMachine
	if got := strings.Join(newRunView(run, res).Measured, " · "); strings.Contains(got, "isolated") {
		t.Errorf("footer of an isolated run: %q", got)
	}

	root := t.TempDir()
	ch := &model.Chapter{Path: "chapters/t.md", Slug: "t", Title: "T"}
	run.Chapter = ch
	run.Block = []byte("console run=r\n$ true\n")
	b := &loader.Parsed{Book: &model.Book{Root: root, Chapters: []*model.Chapter{ch}, Runs: []*model.Run{run}}}
	ix, err := store.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []model.Machine{testMachine, open} {
		key, sources := store.Key(run, model.Config{}, m.GoVersion, m)
		rec := &model.Record{Run: run, Key: key, Sources: sources, GoVersion: m.GoVersion, Machine: m,
			Trials: []*model.Result{{Run: run, Trial: 1, Machine: m, Commands: []model.CommandResult{{Ran: true, Done: true}}}}}
		if err := store.Save(root, ix, rec); err != nil {
			t.Fatal(err)
		}
	}
	if ix, err = store.Load(root); err != nil {
		t.Fatal(err)
	}
	v := newMachinesView(b, nil, ix, testMachine)
	if len(v.Machines) != 2 {
		t.Fatalf("%d machines, want the isolated one and the unisolated one", len(v.Machines))
	}
	for _, m := range v.Machines {
		if shown := strings.Contains(m.FS, unisolated); shown != strings.Contains(m.Dir, "unisolated") {
			t.Errorf("machine %s: run directories %q", m.Dir, m.FS)
		}
	}
}
