package runner

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	if d := findCgroups(); !d.v2Pids && d.v1Pids == "" {
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
	if findCgroups().v2 == "" {
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

// TestStaleRemoved: a litbook killed with SIGKILL leaves its run
// directories, and its run cgroups with whatever still runs in them; the
// next Run removes them, in every hierarchy it makes them in, and kills
// those processes, and leaves those of live processes alone.
func TestStaleRemoved(t *testing.T) {
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	prefix := runPrefix(gone.Process.Pid)
	tmp := t.TempDir()
	staleDir := filepath.Join(tmp, prefix+"x")
	liveDir := filepath.Join(tmp, runPrefix(os.Getppid())+"y") // a live process's
	for _, d := range []string{staleDir, liveDir} {
		if err := os.MkdirAll(filepath.Join(d, "work"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// In each hierarchy litbook makes run cgroups in: a dead litbook's,
	// with a process still in it, and a live process's, empty.
	d := findCgroups()
	type planted struct{ stale, live, sleep string }
	var cgroups []planted
	for i, dir := range []string{d.v2, d.v1Pids} {
		if dir == "" {
			continue
		}
		c := planted{filepath.Join(dir, prefix+"z"), filepath.Join(dir, runPrefix(os.Getppid())+"w"), "sleep " + strconv.Itoa(3161+i)}
		sleeper := exec.Command("sleep", strconv.Itoa(3161+i))
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		go sleeper.Wait()
		t.Cleanup(func() { // the live one, and the stale one should the test fail
			_ = sleeper.Process.Kill()
			(&runCgroup{v1: c.stale}).remove()
			(&runCgroup{v1: c.live}).remove()
		})
		for _, cg := range []string{c.stale, c.live} {
			if err := os.Mkdir(cg, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(c.stale, "cgroup.procs"), []byte(strconv.Itoa(sleeper.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
		cgroups = append(cgroups, c)
	}
	b := book(t, "true")
	if res := runBook(t, context.Background(), &Runner{TempDir: tmp}, b)[0]; res.Err != nil {
		t.Fatal(res.Err)
	}
	if _, err := os.Stat(staleDir); !os.IsNotExist(err) {
		t.Errorf("the run directory of a dead litbook is still there: %v", err)
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("the run directory of a live process was removed: %v", err)
	}
	for _, c := range cgroups {
		if _, err := os.Stat(c.stale); !os.IsNotExist(err) {
			t.Errorf("the run cgroup %s of a dead litbook is still there: %v", c.stale, err)
		}
		if _, err := os.Stat(c.live); err != nil {
			t.Errorf("the run cgroup of a live process was removed: %v", err)
		}
		if pids := alive(c.sleep); len(pids) > 0 {
			t.Errorf("a process of a dead litbook's run survived in %s: %v", c.stale, pids)
		}
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
