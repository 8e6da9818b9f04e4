package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner/internal/procfs"
	"github.com/litbook/litbook/runner/supervise"
)

// book returns a book whose runs are the given transcripts, one run per
// string, each line a command ("&" at the end for background).
func book(t *testing.T, transcripts ...string) *model.Book {
	t.Helper()
	ch := &model.Chapter{Path: "chapters/t.md", Slug: "t"}
	b := &model.Book{Root: t.TempDir(), Chapters: []*model.Chapter{ch}}
	line := 1
	for i, tr := range transcripts {
		r := &model.Run{ID: fmt.Sprintf("t/run-%d", i+1), Name: fmt.Sprintf("run-%d", i+1), Chapter: ch, Pos: model.Pos{File: ch.Path, Line: line}}
		line++
		for _, l := range strings.Split(tr, "\n") {
			c := &model.Command{Text: l, Pos: model.Pos{File: ch.Path, Line: line}}
			if strings.HasSuffix(l, " &") {
				c.Background, c.Text = true, strings.TrimSuffix(l, " &")
			}
			// As the loader sets them, for the transcripts of these tests.
			c.Waits = l == "wait"
			c.OwnJobs = strings.HasPrefix(l, "wait ")
			r.Commands = append(r.Commands, c)
			line++
		}
		ch.Runs = append(ch.Runs, r)
		b.Runs = append(b.Runs, r)
	}
	return b
}

// testSupervisor returns the supervisor of this test process, made on
// first use: runBook hands it to every Runner that has none.
var testSupervisor = sync.OnceValue(supervise.New)

func runBook(t *testing.T, ctx context.Context, rn *Runner, b *model.Book) []*model.Result {
	t.Helper()
	if rn.Supervisor == nil {
		rn.Supervisor = testSupervisor()
	}
	if rn.TempDir == "" {
		rn.TempDir = t.TempDir()
	}
	records, err := rn.Run(ctx, b, b.Runs, &Programs{BinDir: t.TempDir(), GoVersion: "go-test"})
	if err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	results := make([]*model.Result, len(records))
	for i, rec := range records {
		if rec != nil {
			results[i] = rec.Trials[0]
		}
	}
	return results
}

// alive returns the pids of live processes whose command line contains s.
func alive(s string) []int {
	var found []int
	for _, pid := range procfs.Pids() {
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil || len(cmdline) == 0 {
			continue // gone, or a zombie
		}
		if bytes.Contains(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}), []byte(s)) {
			found = append(found, pid)
		}
	}
	return found
}

func TestTimeoutKillsWholeTree(t *testing.T) {
	// A child, a grandchild in the background, and a process that leaves
	// the process group with setsid: all must die at the timeout.
	b := book(t, "sh -c 'sleep 3101 & sleep 3102' &\nsetsid sleep 3103 &\nsetsid env -i sleep 3105 >/dev/null 2>&1 &\nsleep 3104")
	b.Runs[0].Timeout = 300 * time.Millisecond
	start := time.Now()
	res := runBook(t, context.Background(), &Runner{}, b)[0]
	elapsed := time.Since(start)
	if !res.TimedOut || !errors.Is(res.Err, ErrTimeout) {
		t.Fatalf("want a timeout, got TimedOut=%v Err=%v", res.TimedOut, res.Err)
	}
	if got, want := res.Err.Pos.Line, b.Runs[0].Commands[3].Pos.Line; got != want {
		t.Errorf("timeout reported at line %d, want the running command's line %d", got, want)
	}
	if elapsed > 300*time.Millisecond+2*time.Second {
		t.Errorf("run returned after %s, want within timeout + 2s", elapsed)
	}
	for _, s := range []string{"sleep 3101", "sleep 3102", "sleep 3103", "sleep 3104", "sleep 3105"} {
		if pids := alive(s); len(pids) > 0 {
			t.Errorf("%q survived the run: pids %v", s, pids)
		}
	}
}

func TestBackgroundLeftRunningIsKilled(t *testing.T) {
	// The transcript ends without wait: what it left running is killed.
	b := book(t, "sleep 3111 &\nsetsid env -i sleep 3112 >/dev/null 2>&1 &\necho done")
	res := runBook(t, context.Background(), &Runner{}, b)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Commands[0].Done {
		t.Errorf("background sleep reported as finished")
	}
	for _, s := range []string{"sleep 3111", "sleep 3112"} {
		if pids := alive(s); len(pids) > 0 {
			t.Errorf("%q survived the run: %v", s, pids)
		}
	}
}

func TestCaptureAndStatus(t *testing.T) {
	b := book(t,
		"echo out; echo err >&2\nsh -c 'exit 3' &\nwait\nprintf 12345 > f.txt; mkdir d\necho $HOME $TMPDIR $LANG $TZ | wc -w",
	)
	res := runBook(t, context.Background(), &Runner{}, b)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	c := res.Commands
	if string(c[0].Stdout.Data) != "out\n" || string(c[0].Stderr.Data) != "err\n" {
		t.Errorf("command 1 captured stdout %q stderr %q", c[0].Stdout.Data, c[0].Stderr.Data)
	}
	if !c[1].Done || c[1].Exit != 3 {
		t.Errorf("background command: Done=%v Exit=%d, want exit 3 recorded", c[1].Done, c[1].Exit)
	}
	if strings.TrimSpace(string(c[4].Stdout.Data)) != "4" {
		t.Errorf("environment: got %q words, want HOME TMPDIR LANG TZ set", c[4].Stdout.Data)
	}
	want := []model.FileInfo{{Name: "d", Mode: "dir"}, {Name: "f.txt", Size: 5, Mode: "file"}}
	if fmt.Sprint(res.Files) != fmt.Sprint(want) {
		t.Errorf("files left %v, want %v", res.Files, want)
	}
}

func TestExitStatusDeclared(t *testing.T) {
	b := book(t,
		"true\nsh -c 'echo boom >&2; exit 1'\ntrue", // a middle command fails
		"true\nsh -c 'exit 2'",                      // the last fails, undeclared
		"true\nsh -c 'exit 2'",                      // declared exit=2
		"true\ntrue",                                // declared exit=2 but succeeds
	)
	b.Runs[2].Exit = 2
	b.Runs[3].Exit = 2
	res := runBook(t, context.Background(), &Runner{}, b)
	if e := res[0].Err; e == nil || e.Pos != b.Runs[0].Commands[1].Pos || !strings.Contains(e.Detail, "boom") {
		t.Errorf("middle failure: got %v, want error at %s with stderr tail", e, b.Runs[0].Commands[1].Pos)
	}
	if e := res[1].Err; e == nil || !strings.Contains(e.Msg, "exit=2") {
		t.Errorf("undeclared exit: got %v, want a hint to add exit=2", e)
	}
	if e := res[2].Err; e != nil {
		t.Errorf("declared exit=2: unexpected error %v", e)
	}
	if e := res[3].Err; e == nil || !strings.Contains(e.Msg, "declares exit=2") {
		t.Errorf("declared exit=2 but succeeded: got %v", e)
	}
}

// TestOutputCap: a run keeps OutputLimit bytes of output in all, whatever
// its number of commands, streams and trials, and counts the rest.
func TestOutputCap(t *testing.T) {
	b := book(t, "head -c 50000000 /dev/zero\nhead -c 3000 /dev/zero >&2", "head -c 600 /dev/zero; head -c 600 /dev/zero >&2")
	b.Runs[1].Trials = 3
	rn := &Runner{OutputLimit: 1000}
	records, err := rn.Run(context.Background(), b, b.Runs, &Programs{BinDir: t.TempDir(), GoVersion: "go-test"})
	if err != nil {
		t.Fatal(err)
	}
	res := records[0].Trials[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	out, errOut := res.Commands[0].Stdout, res.Commands[1].Stderr
	if len(out.Data) != 1000 || out.Total != 50000000 || !out.Truncated() {
		t.Errorf("stdout kept %d of %d bytes, want 1000 of 50000000", len(out.Data), out.Total)
	}
	if len(errOut.Data) != 0 || errOut.Total != 3000 {
		t.Errorf("stderr kept %d of %d bytes, want 0 (the run's limit was reached) of 3000", len(errOut.Data), errOut.Total)
	}
	kept, total := 0, int64(0)
	for _, tr := range records[1].Trials {
		for _, c := range tr.Commands {
			kept += len(c.Stdout.Data) + len(c.Stderr.Data)
			total += c.Stdout.Total + c.Stderr.Total
		}
	}
	if len(records[1].Trials) != 3 || kept != 1000 || total != 3*1200 {
		t.Errorf("3 trials kept %d of %d bytes, want 1000 of 3600", kept, total)
	}
}

func TestOutputMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("prints a gigabyte")
	}
	b := book(t, "head -c 1000000000 /dev/zero")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := runBook(t, context.Background(), &Runner{}, b)[0]
	runtime.ReadMemStats(&after)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := res.Commands[0].Stdout.Total; got != 1e9 {
		t.Fatalf("counted %d bytes, want 1e9", got)
	}
	// A 1 MiB capture and a reused read buffer; buffering the stream would
	// allocate the whole gigabyte.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("capturing 1 GB of output allocated %.1f MiB in all", float64(alloc)/(1<<20))
	if alloc > 32<<20 {
		t.Errorf("capturing 1 GB of output allocated %d MiB", alloc>>20)
	}
}

// interval is when a run's command executed, as the command itself saw it.
type interval struct {
	name       string
	start, end int64
}

// sharedDir returns a directory that the test and its runs all see: a
// run's /tmp is its own where runs are isolated, so the directory is in
// /dev/shm then.
func sharedDir(t *testing.T) string {
	t.Helper()
	if isolation() != nil {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("/dev/shm", "litbook-test-")
	if err != nil {
		t.Skipf("runs are isolated and /dev/shm is unusable for a directory they share with the test: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// timedRuns returns transcripts that record their own start and end times
// in dir, and a function that reads them back.
func timedRuns(dir string, n int, sleep string) ([]string, func(t *testing.T) []interval) {
	var trs []string
	for i := 0; i < n; i++ {
		trs = append(trs, fmt.Sprintf("date +%%s%%N > %s/%d.start; sleep %s; date +%%s%%N > %s/%d.end", dir, i, sleep, dir, i))
	}
	return trs, func(t *testing.T) []interval {
		var ivs []interval
		for i := 0; i < n; i++ {
			read := func(ext string) int64 {
				data, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(i)+ext))
				if err != nil {
					t.Fatal(err)
				}
				v, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
				return v
			}
			ivs = append(ivs, interval{strconv.Itoa(i), read(".start"), read(".end")})
		}
		return ivs
	}
}

// maxOverlap returns the largest number of intervals that overlap at once.
func maxOverlap(ivs []interval) int {
	type edge struct {
		at    int64
		delta int
	}
	var edges []edge
	for _, iv := range ivs {
		edges = append(edges, edge{iv.start, 1}, edge{iv.end, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at != edges[j].at {
			return edges[i].at < edges[j].at
		}
		return edges[i].delta < edges[j].delta
	})
	cur, best := 0, 0
	for _, e := range edges {
		cur += e.delta
		best = max(best, cur)
	}
	return best
}

func TestPoolBound(t *testing.T) {
	dir := sharedDir(t)
	trs, read := timedRuns(dir, 6, "0.3")
	res := runBook(t, context.Background(), &Runner{Jobs: 2}, book(t, trs...))
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if got := maxOverlap(read(t)); got != 2 {
		t.Errorf("with -j 2, at most %d runs overlapped; want exactly 2 (bounded, and parallel)", got)
	}
}

func TestExclusiveRunsAlone(t *testing.T) {
	dir := sharedDir(t)
	trs, read := timedRuns(dir, 8, "0.2")
	b := book(t, trs...)
	b.Runs[1].Exclusive = true
	b.Runs[5].Exclusive = true
	res := runBook(t, context.Background(), &Runner{Jobs: 4}, b)
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	ivs := read(t)
	for _, ex := range []int{1, 5} {
		for i, iv := range ivs {
			if i != ex && iv.start < ivs[ex].end && ivs[ex].start < iv.end {
				t.Errorf("exclusive run %d overlapped run %d", ex, i)
			}
		}
	}
	if maxOverlap(ivs) < 2 {
		t.Errorf("normal runs never overlapped: the pool is not parallel")
	}
}

func TestCancelStopsEverything(t *testing.T) {
	tmp := t.TempDir()
	b := book(t, "sleep 3121", "sh -c 'sleep 3122'", "sleep 3123")
	ctx, cancel := context.WithCancel(context.Background())
	rn := &Runner{Jobs: 2, TempDir: tmp, Progress: func(e Event) {
		if e.Kind == RunStarted && e.Running == 2 {
			go func() { time.Sleep(200 * time.Millisecond); cancel() }()
		}
	}}
	start := time.Now()
	res := runBook(t, ctx, rn, b)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancelled run took %s to return", d)
	}
	for i, r := range res {
		if r != nil && !errors.Is(r.Err, ErrInterrupted) {
			t.Errorf("run %d: got %v, want interrupted", i, r.Err)
		}
	}
	if res[2] != nil {
		t.Errorf("run 3 started after cancellation")
	}
	for _, s := range []string{"sleep 3121", "sleep 3122", "sleep 3123"} {
		if pids := alive(s); len(pids) > 0 {
			t.Errorf("%q survived cancellation: %v", s, pids)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("run directories left behind: %v", left)
	}
}

func TestCheckUnknownCommand(t *testing.T) {
	b := book(t, "echo ok | appendr -n 3", "reader f")
	ch := b.Chapters[0]
	other := &model.Chapter{Path: "chapters/other.md", Slug: "other"}
	appender := &model.Program{Name: "appender", Chapter: ch}
	reader := &model.Program{Name: "reader", Chapter: other}
	ch.Programs, other.Programs = []*model.Program{appender}, []*model.Program{reader}
	b.Programs = []*model.Program{appender, reader}
	b.Runs[0].Calls = []model.Call{{Name: "appendr", Pos: b.Runs[0].Commands[0].Pos}, {Name: "echo", Pos: b.Runs[0].Commands[0].Pos}}
	b.Runs[1].Calls = []model.Call{{Name: "reader", Pos: b.Runs[1].Commands[0].Pos}, {Name: "ls", Pos: b.Runs[1].Commands[0].Pos}}
	err := (&Runner{}).Check(b)
	want := `chapters/t.md:2: run calls "appendr", which is neither a program of this chapter nor a command on PATH (the chapter's programs: appender)
chapters/t.md:4: run calls "reader", a program of chapters/other.md: a run sees only its own chapter's programs and those its block names in uses= (add uses=other/reader to the block)`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestBuildMapsCompileErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	ch := &model.Chapter{Path: "chapters/02-append.md", Slug: "02-append"}
	src := "package main\n\nfunc main() {\n\t_ = fd\n}\n"
	// The program's lines start at chapter line 44: file line 4 is line 47.
	f := &model.File{Name: "main.go", Source: []byte(src), Lines: []int{44, 45, 46, 47, 48}}
	p := &model.Program{Name: "appender", Chapter: ch, Pos: model.Pos{File: ch.Path, Line: 43}, Files: []*model.File{f}}
	ok := &model.Program{Name: "fine", Chapter: ch, Pos: model.Pos{File: ch.Path, Line: 10},
		Files: []*model.File{{Name: "main.go", Source: []byte("package main\n\nfunc main() {}\n"), Lines: []int{11, 12, 13}}}}
	b := &model.Book{Root: t.TempDir(), Chapters: []*model.Chapter{ch}, Programs: []*model.Program{ok, p}}
	progs, err := (&Runner{}).Build(context.Background(), b, b.Programs)
	if err != nil {
		t.Fatal(err)
	}
	if err := progs.Failed["appender"]; err == nil || err.Error() != "chapters/02-append.md:47: undefined: fd" {
		t.Fatalf("got %v, want chapters/02-append.md:47: undefined: fd", err)
	}
	p.Files[0].Source = []byte("package main\n\nfunc main() {}\n")
	progs, err = (&Runner{}).Build(context.Background(), b, b.Programs)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"appender", "fine"} {
		if _, err := os.Stat(filepath.Join(progs.BinDir, name)); err != nil {
			t.Errorf("binary %s not built: %v", name, err)
		}
	}
}

func TestFSType(t *testing.T) {
	// /proc is procfs on every Linux; /dev/shm is tmpfs where it exists.
	if got := fsType("/proc/self"); got != "proc" {
		t.Errorf("fsType(/proc/self) = %q, want proc", got)
	}
	if _, err := os.Stat("/dev/shm"); err == nil {
		if got := fsType("/dev/shm"); got != "tmpfs" {
			t.Errorf("fsType(/dev/shm) = %q, want tmpfs", got)
		}
	}
}

func TestBackgroundPidAndStatus(t *testing.T) {
	// $! is the background program itself: kill -9 $! kills it, and wait
	// collects each background status.
	b := book(t, "sleep 3161 &\nkill -9 $!\nsh -c 'exit 4' &\nwait\necho $! > /dev/null")
	res := runBook(t, context.Background(), &Runner{}, b)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	c := res.Commands
	if !c[0].Done || c[0].Exit != 137 || c[0].Killed {
		t.Errorf("killed background sleep: Done=%v Exit=%d Killed=%v, want status 137 collected by wait", c[0].Done, c[0].Exit, c[0].Killed)
	}
	if !c[2].Done || c[2].Exit != 4 {
		t.Errorf("background exit 4: Done=%v Exit=%d", c[2].Done, c[2].Exit)
	}
	if c[0].Pid == 0 || c[0].Pid == c[2].Pid {
		t.Errorf("background pids not recorded: %d, %d", c[0].Pid, c[2].Pid)
	}
}

func TestShellEndingCommands(t *testing.T) {
	// exit and exec end the shell; a syntax error ends it too. Their
	// status is the shell's, and the shell's message reaches the error.
	b := book(t, "true\nexit 3", "exec sh -c 'exit 0'", "true\necho 'unterminated")
	b.Runs[0].Exit = 3
	res := runBook(t, context.Background(), &Runner{}, b)
	if res[0].Err != nil || res[0].Commands[1].Exit != 3 {
		t.Errorf("exit 3 with exit=3: err %v, status %d", res[0].Err, res[0].Commands[1].Exit)
	}
	if res[1].Err != nil {
		t.Errorf("exec as the last command: %v", res[1].Err)
	}
	e := res[2].Err
	if e == nil || e.Pos != b.Runs[2].Commands[1].Pos || !strings.Contains(e.Detail, "nterminated") || strings.Contains(e.Detail, "script.sh") {
		t.Errorf("syntax error: got %v (detail %q), want the shell's message at the command's line, without the script's path", e, e.Detail)
	}
}

func TestRunEndingBesideAnotherIsNotTimedOut(t *testing.T) {
	// Run 1 leaves an escapee holding its output while run 2 still runs: it
	// is killed when run 1 ends (it works in run 1's directory), and run 1,
	// finished well within its limit, is not reported as timed out.
	b := book(t, "sleep 0.2\nsetsid env -i sleep 3171 &\nsleep 0.1", "sleep 2")
	b.Runs[0].Timeout = time.Second
	var leftAtEnd []int
	rn := &Runner{Jobs: 2, Progress: func(e Event) {
		if e.Kind == RunFinished && e.Run == b.Runs[0] {
			leftAtEnd = alive("sleep 3171")
		}
	}}
	res := runBook(t, context.Background(), rn, b)
	if res[0].Err != nil || res[0].TimedOut {
		t.Errorf("run 1: %v (TimedOut=%v), want success", res[0].Err, res[0].TimedOut)
	}
	if len(leftAtEnd) > 0 {
		t.Errorf("run 1's escapee was alive after run 1 ended: %v", leftAtEnd)
	}
}

func TestTranscriptSemantics(t *testing.T) {
	b := book(t,
		"set -e\nsh -c 'exit 4' &\nwait\necho after",     // set -e survives litbook's wait
		"sh -c 'exit 3' &\nwait $! || echo caught\nwait", // the transcript's own job control
		"echo start\nfor i in 1 2; do echo $i &",         // the shell stops at a background command
		"set -x\ntrue",                                   // tracing shows no litbook lines
		"exec sh -c 'kill -SEGV $$'",                     // a signal's status, as the shell reports it
		"env -i sleep 3172 &\nsleep 0.2",                 // a background command killed at the end
		"(echo sub) > f\ncat f",                          // dash keeps a subshell's redirection
	)
	b.Runs[4].Exit = 139
	res := runBook(t, context.Background(), &Runner{}, b)
	if r := res[0]; r.Err != nil || string(r.Commands[3].Stdout.Data) != "after\n" || r.Commands[1].Exit != 4 {
		t.Errorf("set -e: err %v, last output %q, background status %d", r.Err, r.Commands[3].Stdout.Data, r.Commands[1].Exit)
	}
	if r := res[1]; r.Err != nil || r.Commands[0].Done || string(r.Commands[1].Stdout.Data) != "caught\n" {
		t.Errorf("own job control: err %v, Done=%v (status %d), output %q", r.Err, r.Commands[0].Done, r.Commands[0].Exit, r.Commands[1].Stdout.Data)
	}
	if e := res[2].Err; e == nil || e.Pos != b.Runs[2].Commands[1].Pos || !strings.Contains(e.Detail, "sh: ") {
		t.Errorf("syntax error in a background command: got %v", e)
	}
	if r := res[3]; r.Err != nil || bytes.Contains(r.Shell.Data, []byte("litbook")) {
		t.Errorf("set -x: err %v, shell output %q", r.Err, r.Shell.Data)
	}
	if r := res[4]; r.Err != nil || r.Commands[0].Exit != 139 {
		t.Errorf("SIGSEGV with exit=139: err %v, status %d", r.Err, r.Commands[0].Exit)
	}
	if c := res[5].Commands[0]; !c.Killed || c.Done {
		t.Errorf("env -i background still running at the end: Killed=%v Done=%v", c.Killed, c.Done)
	}
	if r := res[6]; r.Err != nil || string(r.Commands[1].Stdout.Data) != "sub\n" {
		t.Errorf("(echo sub) > f; cat f: err %v, cat printed %q", r.Err, r.Commands[1].Stdout.Data)
	}
	if r := res[3]; bytes.Contains(r.Commands[1].Stderr.Data, []byte("+ :")) {
		t.Errorf("set -x traces litbook's guard: %q", r.Commands[1].Stderr.Data)
	}
	if res[2].Shell.Truncated() {
		t.Errorf("shell output marked truncated: kept %d of %d", len(res[2].Shell.Data), res[2].Shell.Total)
	}
}

// TestExclusiveTrialsInOrder checks that exclusive trials start in the
// order they were queued, even with idle workers racing for the turn:
// progress and the stored trials then read 1, 2, 3, not 1, 3, 2.
func TestExclusiveTrialsInOrder(t *testing.T) {
	b := book(t, "true", "true")
	b.Runs[0].Trials, b.Runs[0].Exclusive = 12, true
	b.Runs[1].Trials, b.Runs[1].Exclusive = 12, true
	var started []string
	var mu sync.Mutex
	rn := &Runner{Jobs: 4, TempDir: t.TempDir(), Progress: func(ev Event) {
		if ev.Kind == RunStarted {
			mu.Lock()
			started = append(started, fmt.Sprintf("%s/%d", ev.Run.Name, ev.Trial))
			mu.Unlock()
		}
	}}
	if _, err := rn.Run(context.Background(), b, b.Runs, &Programs{BinDir: t.TempDir(), GoVersion: "go-test"}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range b.Runs {
		for i := range r.Trials {
			want = append(want, fmt.Sprintf("%s/%d", r.Name, i+1))
		}
	}
	if !slices.Equal(started, want) {
		t.Errorf("exclusive trials started in the order\n%v\nwant\n%v", started, want)
	}
}

func TestTrials(t *testing.T) {
	// Each trial gets a fresh directory: the file never grows past one
	// line. A failing trial ends the run: later trials are skipped.
	b := book(t, "echo x >> f\nwc -c < f", "test ! -e /tmp/litbook-never-$$ && exit 3")
	b.Runs[0].Trials = 4
	b.Runs[1].Trials, b.Runs[1].Exit = 5, 0
	var done []string
	rn := &Runner{Jobs: 1, TempDir: t.TempDir(), Done: func(rec *model.Record) { done = append(done, rec.Run.ID) }}
	records, err := rn.Run(context.Background(), b, b.Runs, &Programs{BinDir: t.TempDir(), GoVersion: "go-test"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(records[0].Trials); n != 4 {
		t.Fatalf("got %d trials, want 4", n)
	}
	for i, res := range records[0].Trials {
		if res.Err != nil || res.Trial != i+1 || strings.TrimSpace(string(res.Commands[1].Stdout.Data)) != "2" {
			t.Errorf("trial %d: err %v, Trial %d, wc %q", i+1, res.Err, res.Trial, res.Commands[1].Stdout.Data)
		}
	}
	failed := records[1]
	if len(failed.Trials) != 1 || failed.Err() == nil || !strings.Contains(failed.Err().Msg, "trial 1 of 5: ") {
		t.Errorf("failing run: %d trials, err %v; want 1 trial and an error naming trial 1 of 5", len(failed.Trials), failed.Err())
	}
	if len(done) != 2 {
		t.Errorf("Done called for %v, want both runs", done)
	}
}

func TestConcurrentRunsDoNotKillEachOther(t *testing.T) {
	// A run that ends looks for processes with files open in its
	// directory; a child litbook is forking for another run still holds
	// those files until it execs, and must not be taken for one of them.
	var transcripts []string
	for range 48 {
		transcripts = append(transcripts, "true\necho x > f\ncat f")
	}
	b := book(t, transcripts...)
	for _, res := range runBook(t, context.Background(), &Runner{Jobs: 8}, b) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
}

func TestGoVersionOrder(t *testing.T) {
	dir := t.TempDir()
	mod := filepath.Join(dir, "go.mod")
	for content, want := range map[string]bool{
		"module x\n\ngo 1.26.0\n":                     false,
		"module x\n\ngo 1.99\n":                       true,
		"module x\n\ngo 1.26\n\ntoolchain go1.99.1\n": true,
		"module x\n\ngo 1.26.8\n":                     false,
		"module x\n\ngo 1.26.9\n":                     true,
		"module x\n\ngo 1.27rc1\n":                    true,
	} {
		os.WriteFile(mod, []byte(content), 0o644)
		if got := wantsNewerGo(mod, "go1.26.8"); got != want {
			t.Errorf("wantsNewerGo(%q) = %v, want %v", content, got, want)
		}
	}
	t.Setenv("GOTOOLCHAIN", "go1.99.0")
	if v := goRootVersion("go"); v != "" {
		t.Errorf("with GOTOOLCHAIN=go1.99.0, goRootVersion = %q; it must ask go", v)
	}
}

// TestNoInternalPathsInMessages: what dash says about a command ("not
// found", "Cannot fork", a failed redirection) reaches the command's own
// stderr and the error's detail as a terminal would show it, "sh: ...",
// never with the path of litbook's script in the run's directory.
func TestNoInternalPathsInMessages(t *testing.T) {
	b := book(t, "echo fine\nlitbook_no_such_command", "cat < missing-file")
	b.Runs[0].Exit, b.Runs[1].Exit = 127, 2
	for i, res := range runBook(t, context.Background(), &Runner{}, b) {
		stderr := string(res.Commands[len(res.Commands)-1].Stderr.Data)
		if res.Err != nil || !strings.HasPrefix(stderr, "sh: ") || strings.Contains(stderr, "script.sh") {
			t.Errorf("run %d: err %v, stderr %q; want the shell's message starting sh: ", i+1, res.Err, stderr)
		}
	}
	b = book(t, "litbook_no_such_command")
	res := runBook(t, context.Background(), &Runner{}, b)[0]
	if res.Err == nil || strings.Contains(res.Err.Error(), "script.sh") || !strings.Contains(res.Err.Detail, "sh: litbook_no_such_command: not found") {
		t.Errorf("got %v; want the detail sh: litbook_no_such_command: not found", res.Err)
	}
}

// TestFilesLeftCount: past the files a result records, the rest are
// counted, and a count that stopped says it is a lower bound; a tree
// deeper than PATH_MAX is counted to its last file.
func TestFilesLeftCount(t *testing.T) {
	defer func(l, c int) { maxFilesLeft, maxFilesCounted = l, c }(maxFilesLeft, maxFilesCounted)
	maxFilesLeft, maxFilesCounted = 5, 20
	b := book(t,
		"touch $(seq 1 50)",
		"touch $(seq 1 12)",
		// 2,000 levels: 6,000 bytes of path, more than PATH_MAX.
		"p=$(printf 'dd/%.0s' $(seq 1 1000)); mkdir -p $p && cd -P $p && mkdir -p $p && cd -P $p && printf 0123456789 > leaf",
	)
	res := runBook(t, context.Background(), &Runner{}, b)
	for i, want := range []struct {
		omitted int
		partial string
	}{{20, "litbook stopped counting at 20"}, {7, ""}} {
		if r := res[i]; r.Err != nil || len(r.Files) != 5 || r.FilesOmitted != want.omitted || r.FilesPartial != want.partial {
			t.Errorf("run %d: err %v, %d files, %d omitted (%q); want 5, %d (%q)", i+1, r.Err, len(r.Files), r.FilesOmitted, r.FilesPartial, want.omitted, want.partial)
		}
	}
	maxFilesLeft, maxFilesCounted = 1000, 100000
	deep := runBook(t, context.Background(), &Runner{}, b)[2]
	if deep.Err != nil {
		t.Fatal(deep.Err)
	}
	if n := len(deep.Files) + deep.FilesOmitted; n != 2001 || deep.FilesPartial != "" {
		t.Errorf("the deep tree: %d entries counted (%q), want its 2,000 directories and its file", n, deep.FilesPartial)
	}
}

// TestLongScript: a script longer than a shell argument may be (128 KiB
// on Linux) goes to a file; it runs the same, its messages name no
// internal path, and its $0 is the same as a short script's.
func TestLongScript(t *testing.T) {
	const n = 130 << 10
	long := "echo " + strings.Repeat("x", n) + " | wc -c\nlitbook_no_such_command"
	b := book(t, "echo $0 | sed 's,.*/,,'", long)
	b.Runs[1].Exit = 127
	res := runBook(t, context.Background(), &Runner{}, b)
	if out := string(res[0].Commands[0].Stdout.Data); res[0].Err != nil || out != "script.sh\n" {
		t.Errorf("short script: err %v, $0 %q; want script.sh", res[0].Err, out)
	}
	r := res[1]
	if r.Err != nil || strings.TrimSpace(string(r.Commands[0].Stdout.Data)) != strconv.Itoa(n+1) {
		t.Fatalf("long script: err %v, wc -c says %q; want %d", r.Err, r.Commands[0].Stdout.Data, n+1)
	}
	if stderr := string(r.Commands[1].Stderr.Data); !strings.HasPrefix(stderr, "sh: ") || strings.Contains(stderr, "script.sh") {
		t.Errorf("long script: stderr %q; want the shell's message starting sh: ", stderr)
	}
}
