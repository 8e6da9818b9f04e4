package supervise

import (
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// orphans reads the children of litbook's main thread only: what a run
// leaves goes there, whichever thread started the run, and so does the
// child of a thread that ends. Both are started here from threads other
// than the main one.
func TestOrphansComeToMainThread(t *testing.T) {
	New()
	if !subreaper.Load() {
		t.Skip("cannot be a child subreaper here")
	}
	// fromThread runs f on a locked thread other than the main one, and
	// lets that thread end after f if end is true (a goroutine that
	// returns locked ends its thread).
	fromThread := func(end bool, f func()) {
		done := make(chan struct{})
		var run func()
		run = func() {
			runtime.LockOSThread()
			if unix.Gettid() == unix.Getpid() {
				go run() // on another thread: this one is locked here
				<-done
				runtime.UnlockOSThread()
				return
			}
			defer close(done)
			f()
			if !end {
				runtime.UnlockOSThread()
			}
		}
		go run()
		<-done
	}
	// A background process whose shell ends: an orphan of a run.
	var left int
	fromThread(false, func() {
		out, err := exec.Command("/bin/sh", "-c", "sleep 3163 >/dev/null 2>&1 & echo $!").Output()
		if err != nil {
			t.Error(err)
			return
		}
		left, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	})
	defer unix.Kill(left, unix.SIGKILL)
	// A child of a thread that then ends, not started through Start.
	var child *exec.Cmd
	fromThread(true, func() {
		child = exec.Command("sleep", "3164")
		if err := child.Start(); err != nil {
			t.Error(err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	defer child.Process.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spawn.Lock()
		got := orphans()
		spawn.Unlock()
		if slices.Contains(got, left) && slices.Contains(got, child.Process.Pid) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("orphans() = %v, want %d (left by a shell) and %d (of an ended thread)", got, left, child.Process.Pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = unix.Kill(left, unix.SIGKILL)
	reap(left)
	_ = child.Process.Kill()
	_ = child.Wait()
}
