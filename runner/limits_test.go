package runner

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/model"
)

func TestFileSizeLimit(t *testing.T) {
	b := book(t,
		"head -c 100000 /dev/zero > big",                         // killed by SIGXFSZ
		"sh -c 'trap \"\" XFSZ; head -c 100000 /dev/zero > big'", // SIGXFSZ ignored: EFBIG
		"head -c 9000 /dev/zero > fits",
	)
	res := runBook(t, context.Background(), &Runner{FileSizeLimit: 10000}, b)
	for i, r := range res[:2] {
		e := r.Err
		if e == nil || !strings.Contains(e.Msg, "file size limit (litbook's is 10000 bytes") || e.Pos != b.Runs[i].Commands[0].Pos {
			t.Errorf("run %d: got error %v, want the file size limit reported at %s", i+1, e, b.Runs[i].Commands[0].Pos)
			continue
		}
		if len(r.Files) != 1 || r.Files[0].Size != 10000 {
			t.Errorf("run %d left %v, want big cut at 10000 bytes", i+1, r.Files)
		}
	}
	if e := res[2].Err; e != nil {
		t.Errorf("a file under the limit: %v", e)
	}
}

// TestFileSizeLimitLoweredInside checks that a program may still lower its
// own limit to force short writes, as a chapter of the book does.
func TestFileSizeLimitLoweredInside(t *testing.T) {
	b := book(t, "sh -c 'ulimit -f 2; trap \"\" XFSZ; head -c 5000 /dev/zero > small; echo status $?'")
	res := runBook(t, context.Background(), &Runner{FileSizeLimit: 1 << 20}, b)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if out := string(res.Commands[0].Stdout.Data); out != "status 1\n" || len(res.Files) != 1 || res.Files[0].Size != 1024 {
		t.Errorf("printed %q and left %v; want head to fail and small cut at 1024 bytes", out, res.Files)
	}
}

func TestForkBombBounded(t *testing.T) {
	if _, limit := testSupervisor().Cgroups(); !limit {
		t.Skip("no pids cgroup can be made here (not root, and no delegated cgroup): process-limit is not enforced")
	}
	// A bounded bomb: 400 forks if nothing stops it. The second run
	// executes beside it and must not notice.
	b := book(t,
		"n=0; while [ $n -lt 400 ]; do sleep 3131 & n=$((n+1)); echo $n; done",
		"sleep 1; echo fine",
	)
	b.Runs[0].Timeout = 30 * time.Second
	res := runBook(t, context.Background(), &Runner{Jobs: 2, ProcessLimit: 50}, b)
	e := res[0].Err
	if e == nil || !strings.Contains(e.Msg, "limit of 50 processes") || e.Pos != b.Runs[0].Commands[0].Pos {
		t.Errorf("got error %v, want the process limit reported at %s", e, b.Runs[0].Commands[0].Pos)
	}
	t.Logf("the bomb: %v", e)
	out := strings.Fields(string(res[0].Commands[0].Stdout.Data))
	if len(out) == 0 || len(out) >= 50 {
		t.Errorf("the bomb started %d processes, want fewer than the limit of 50", len(out))
	}
	if res[1].Err != nil || string(res[1].Commands[0].Stdout.Data) != "fine\n" {
		t.Errorf("the run beside the bomb: %v, printed %q", res[1].Err, res[1].Commands[0].Stdout.Data)
	}
	if pids := alive("sleep 3131"); len(pids) > 0 {
		t.Errorf("%d of the bomb's processes survived it", len(pids))
	}
}

// TestCgroupKillsAtOnce: a process that leaves the group, clears its
// environment, works in / and keeps no file of the run open carries no mark
// killRun knows; only the subreaper's sweep finds it, and that waits until
// no other run executes. In a cgroup it dies with its run.
func TestCgroupKillsAtOnce(t *testing.T) {
	if kill, _ := testSupervisor().Cgroups(); !kill {
		t.Skip("no cgroup v2 cgroup can be made here")
	}
	b := book(t,
		"setsid env -i sh -c 'cd /; exec sleep 3141' </dev/null >/dev/null 2>&1 &\nsleep 0.5",
		"sleep 3",
	)
	var survived []int
	rn := &Runner{Jobs: 2, Done: func(rec *model.Record) {
		if rec.Run == b.Runs[0] {
			survived = alive("sleep 3141") // the other run still sleeps
		}
	}}
	res := runBook(t, context.Background(), rn, b)
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if len(survived) > 0 {
		t.Errorf("the escaped process outlived its run: %v", survived)
	}
}

// TestCancelledBuildLeavesNoWorkDir cancels a go build in the middle of
// compiling: go's work directory in TMPDIR must go with it.
func TestCancelledBuildLeavesNoWorkDir(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build with an empty cache")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("GOCACHE", t.TempDir()) // nothing cached: compiling takes a while
	ch := &model.Chapter{Path: "chapters/a.md", Slug: "a"}
	src := "package main\n\nimport (\n\t_ \"net/http\"\n\t_ \"encoding/xml\"\n)\n\nfunc main() {}\n"
	p := &model.Program{Name: "slow", Chapter: ch, Pos: model.Pos{File: ch.Path, Line: 1},
		Files: []*model.File{{Name: "main.go", Source: []byte(src), Lines: []int{2, 3, 4, 5, 6, 7, 8, 9}}}}
	b := &model.Book{Root: t.TempDir(), Chapters: []*model.Chapter{ch}, Programs: []*model.Program{p}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := (&Runner{}).Build(ctx, b, b.Programs)
		done <- err
	}()
	// Wait until go build has made its work directory and is compiling.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		m1, _ := filepath.Glob(filepath.Join(tmp, "go-build*"))
		m2, _ := filepath.Glob(filepath.Join(tmp, "*", "go-build*"))
		if len(m1)+len(m2) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("go build made no work directory in TMPDIR")
		}
	}
	time.Sleep(500 * time.Millisecond)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled build succeeded")
	}
	if m, _ := filepath.Glob(filepath.Join(tmp, "*")); len(m) > 0 {
		t.Errorf("go build's work directory was left: %v", m)
	}
}

// TestLeftoversDoNotCountAgainstNextRun: what a run leaves running is
// killed when it ends, and its zombies are reaped before the next run
// starts where it did (a slot's cgroup v1 pids cgroup counts zombies), so
// the next runs have all of their process limit, even while another run
// executes (which keeps orphans from being swept).
func TestLeftoversDoNotCountAgainstNextRun(t *testing.T) {
	if _, limit := testSupervisor().Cgroups(); !limit {
		t.Skip("no pids cgroup can be made here")
	}
	scripts := []string{
		"sleep 3",
		"for i in $(seq 40); do (sleep 3172 &); done",
	}
	for range 8 {
		scripts = append(scripts, "sleep 0.1 & sleep 0.1 & sleep 0.1 & sleep 0.1 & sleep 0.1 & sleep 0.1 & wait")
	}
	b := book(t, scripts...)
	res := runBook(t, context.Background(), &Runner{Jobs: 2, ProcessLimit: 45}, b)
	for i, r := range res {
		if r == nil || r.Err != nil {
			t.Errorf("run %d: %+v", i, r)
		}
	}
	if pids := alive("sleep 3172"); len(pids) > 0 {
		t.Errorf("%d processes a run left survived it", len(pids))
	}
}
