package runner

import (
	"os"
	"os/exec"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// A process that leaves its run's process group and also clears its
// environment (setsid env -i prog &) escapes both ways killRun finds a
// run's processes. As a child subreaper (prctl PR_SET_CHILD_SUBREAPER, Linux
// 3.4+), litbook inherits such orphans instead of init, and can find them by
// their parent pid: every child of litbook that litbook did not start itself
// is an orphan of some run.
//
// The set of children litbook started is process-wide by nature (it is a
// fact about this process, like its pid), so it lives in a package
// variable, changed only under its lock. spawn orders starting children
// against sweeping: a child is started and tracked under spawn's read lock,
// and a sweep holds the write lock, so it never sees a child that is
// started but not yet tracked.
var (
	started = struct {
		sync.Mutex
		pids map[int]bool
	}{pids: map[int]bool{}}
	spawn sync.RWMutex
)

// startTracked starts cmd and records it as a child litbook started, so
// that no sweep kills it. Call untrack with its pid after Wait.
func startTracked(cmd *exec.Cmd) error {
	spawn.RLock()
	defer spawn.RUnlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	track(cmd.Process.Pid)
	return nil
}

// runTracked starts cmd as startTracked does and waits for it.
func runTracked(cmd *exec.Cmd) error {
	if err := startTracked(cmd); err != nil {
		return err
	}
	defer untrack(cmd.Process.Pid)
	return cmd.Wait()
}

// sweepIf sweeps orphans if cond holds, deciding and sweeping while no
// child can be started.
func sweepIf(cond func() bool) {
	spawn.Lock()
	defer spawn.Unlock()
	if cond() {
		sweepOrphans()
	}
}

// becomeSubreaper makes orphaned descendants of this process its children.
func becomeSubreaper() {
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

func track(pid int) {
	started.Lock()
	started.pids[pid] = true
	started.Unlock()
}

func untrack(pid int) {
	started.Lock()
	delete(started.pids, pid)
	started.Unlock()
}

// sweepOrphans kills and reaps every child of this process that litbook did
// not start. Call it through sweepIf, and only when no run is executing, or
// it would kill a running transcript's orphaned background command before
// its time.
func sweepOrphans() {
	self := os.Getpid()
	for round := 0; round < 50; round++ {
		var orphans []int
		for _, pid := range pids() {
			if _, ppid, ok := procStat(pid); !ok || ppid != self {
				continue
			}
			started.Lock()
			ours := started.pids[pid]
			started.Unlock()
			if !ours {
				orphans = append(orphans, pid)
			}
		}
		if len(orphans) == 0 {
			return
		}
		for _, pid := range orphans {
			_ = unix.Kill(pid, unix.SIGKILL)
			reap(pid)
		}
	}
}

// reap waits for the killed child pid, for a second at most: a process in
// uninterruptible sleep (a hung NFS or FUSE call) dies only when the call
// returns, and must not hang litbook; a later sweep reaps it.
func reap(pid int) {
	for i := 0; i < 100; i++ {
		var ws unix.WaitStatus
		if got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); got == pid || err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
