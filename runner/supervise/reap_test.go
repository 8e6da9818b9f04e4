package supervise

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/litbook/litbook/runner/internal/procfs"
	"golang.org/x/sys/unix"
)

// onOtherThread runs f on a locked thread other than the main one, and
// lets that thread end after f if end is true (a goroutine that returns
// locked ends its thread).
func onOtherThread(end bool, f func()) {
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

// orphans reads the children of litbook's main thread: what a run
// leaves goes there, whichever thread started the run, and so does the
// child of a thread that ends. Both are started here from threads other
// than the main one.
func TestOrphansComeToMainThread(t *testing.T) {
	New()
	if !subreaper.Load() {
		t.Skip("cannot be a child subreaper here")
	}
	// A background process whose shell ends: an orphan of a run.
	var left int
	onOtherThread(false, func() {
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
	onOtherThread(true, func() {
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

// A process that a run's process starts with CLONE_PARENT is a child of
// the thread of litbook that started the run's shell, alive or not, and
// not an orphan: orphans finds it among that thread's children.
func TestOrphansOfStarterThread(t *testing.T) {
	if os.Getenv("LITBOOK_TEST_CLONE_PARENT") != "" {
		cmd := exec.Command("sleep", "3172")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_PARENT, Setsid: true}
		if err := cmd.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(cmd.Process.Pid)
		os.Exit(0)
	}
	New()
	if !subreaper.Load() {
		t.Skip("cannot be a child subreaper here")
	}
	var tid, left int
	var err error
	onOtherThread(false, func() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOrphansOfStarterThread$")
		cmd.Env = append(os.Environ(), "LITBOOK_TEST_CLONE_PARENT=1")
		var out bytes.Buffer
		cmd.Stdout = &out
		if tid, err = start(cmd); err != nil {
			return
		}
		if err = cmd.Wait(); err != nil {
			return
		}
		left, err = strconv.Atoi(strings.TrimSpace(out.String()))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Kill(left, unix.SIGKILL)
	spawn.Lock()
	got, main := orphans(tid), orphans()
	spawn.Unlock()
	if !slices.Contains(got, left) {
		t.Errorf("orphans(starter) = %v, want %d, started with CLONE_PARENT", got, left)
	}
	if slices.Contains(main, left) {
		t.Logf("the main thread has it too: this test no longer shows why the starter is read")
	}
	_ = unix.Kill(left, unix.SIGKILL)
	reap(left)
}

// End to end, without cgroups (as for a user who may make none): a run's
// process starts a process with CLONE_PARENT that carries the run's token,
// and the run's Kill kills it.
func TestKillFindsCloneParent(t *testing.T) {
	New()
	if !subreaper.Load() {
		t.Skip("cannot be a child subreaper here")
	}
	s := &Supervisor{} // no cgroups
	const token = "cloneparenttest"
	r := s.Prepare(token, 0)
	var left int
	var err error
	onOtherThread(false, func() {
		var out bytes.Buffer
		var cmd *exec.Cmd
		cmd, err = s.StartIn(r, func() *exec.Cmd {
			c := exec.Command(os.Args[0], "-test.run=^TestOrphansOfStarterThread$")
			c.Env = append(os.Environ(), "LITBOOK_TEST_CLONE_PARENT=1", "LITBOOK_RUN="+token)
			c.Stdout = &out
			return c
		})
		if err != nil {
			return
		}
		s.Confine(r, cmd.Process.Pid, nil)
		err = cmd.Wait()
		s.Exited(cmd.Process.Pid)
		left, err = strconv.Atoi(strings.TrimSpace(out.String()))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Kill(left, unix.SIGKILL)
	r.Kill()
	for deadline := time.Now().Add(2 * time.Second); ; {
		if state, _, ok := procfs.Stat(left); !ok || state == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d, started with CLONE_PARENT by a run's process, is alive after the run's Kill", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	reap(left)
}
