package supervise

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/litbook/litbook/runner/internal/procfs"
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
// variable, changed only under its lock, and every Supervisor of the
// process shares it. spawn orders starting children against sweeping: a
// child is started and tracked under spawn's read lock, and a sweep holds
// the write lock, so it never sees a child that is started but not yet
// tracked.
var (
	started = struct {
		sync.Mutex
		pids map[int]bool
		// starters are the threads that Start forked from, and so the
		// parents of what their children start with CLONE_PARENT (see
		// orphans); a thread that has ended is dropped.
		starters map[int]bool
	}{pids: map[int]bool{}, starters: map[int]bool{}}
	spawn sync.RWMutex
	// subreaper is whether this process is a child subreaper, which New
	// makes it: then every process a run started and left behind is a
	// descendant of one of its orphans (see orphans).
	subreaper atomic.Bool
)

// Supervisor supervises the runs of one process. Make it with New.
type Supervisor struct {
	cgroups cgroupDirs
}

// New makes this process a child subreaper, so that the orphans of every
// process it starts become its children rather than init's, and returns a
// Supervisor. Every Supervisor of a process shares the set of children
// started through Start.
func New() *Supervisor {
	if unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == nil {
		subreaper.Store(true)
	}
	return &Supervisor{cgroups: findCgroups()}
}

// Start starts cmd as a child that no sweep takes for an orphan. Call
// Exited with its pid once Wait returned.
func (s *Supervisor) Start(cmd *exec.Cmd) error {
	_, err := start(cmd)
	return err
}

// start is Start, and returns the thread of litbook that forked cmd: its
// parent, which a process cmd starts with CLONE_PARENT has for parent too.
func start(cmd *exec.Cmd) (tid int, err error) {
	spawn.RLock()
	defer spawn.RUnlock()
	runtime.LockOSThread() // fork from the thread whose id is taken
	defer runtime.UnlockOSThread()
	tid = unix.Gettid()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	started.Lock()
	started.pids[cmd.Process.Pid] = true
	started.starters[tid] = true
	started.Unlock()
	return tid, nil
}

// Exited forgets the child pid that Start started, after it was waited for.
func (s *Supervisor) Exited(pid int) {
	started.Lock()
	delete(started.pids, pid)
	started.Unlock()
}

// SweepOrphans kills and reaps every child of this process that was not
// started through Start, if when (called while no child can be started)
// returns true. Call it only when no run is executing (when says so), or
// it would kill a running transcript's orphaned background command before
// its time.
func (s *Supervisor) SweepOrphans(when func() bool) {
	spawn.Lock()
	defer spawn.Unlock()
	if when() {
		sweepOrphans()
	}
}

// sweepOrphans kills and reaps every child of this process that litbook
// did not start; spawn is held.
func sweepOrphans() {
	for round := 0; round < 50; round++ {
		orphans := orphans(starters()...)
		if len(orphans) == 0 {
			return
		}
		for _, pid := range orphans {
			_ = unix.Kill(pid, unix.SIGKILL)
			reap(pid)
		}
	}
}

// orphans returns the children of this process that litbook did not start
// through Start: orphans of runs, come back to it as their subreaper, and
// processes that a run's process started with CLONE_PARENT (children of
// the thread that started its shell). spawn is held, so that no child is
// between its start and Start's record of it.
//
// It reads the children files of litbook's main thread and of the
// threads tids, not of all of litbook's threads (16 files; each run's end
// read them all). An orphan goes to the first live thread of its
// subreaper (the kernel's find_new_reaper and find_alive_thread), and so
// does the child of a thread of litbook that ends: that is the main
// thread, which lives as long as litbook does
// (TestOrphansComeToMainThread). The children of a live thread other than
// the main one are what it started, and what those started with
// CLONE_PARENT: a run's end passes the thread that started its shell, the
// sweeps every thread Start forked from (starters).
func orphans(tids ...int) []int {
	self := os.Getpid()
	var children []int
	ok := true
	for i, tid := range append([]int{self}, tids...) {
		if tid <= 0 || i > 0 && tid == self {
			continue
		}
		c, cok := procfs.ThreadChildren(self, tid)
		switch {
		case !cok && i == 0:
			ok = false
		case !cok: // ended: its children went to the main thread
			started.Lock()
			delete(started.starters, tid)
			started.Unlock()
		}
		if !ok {
			break
		}
		children = append(children, c...)
	}
	if !ok {
		// No children files: find them by their parent pid.
		children = nil
		for _, pid := range procfs.Pids() {
			if _, ppid, ok := procfs.Stat(pid); ok && ppid == self {
				children = append(children, pid)
			}
		}
	}
	started.Lock()
	defer started.Unlock()
	var out []int
	for _, pid := range slices.Compact(slices.Sorted(slices.Values(children))) {
		if !started.pids[pid] {
			out = append(out, pid)
		}
	}
	return out
}

// starters returns the threads that Start forked from and that have not
// been seen to end.
func starters() []int {
	started.Lock()
	defer started.Unlock()
	return slices.Collect(maps.Keys(started.starters))
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

// Run is the supervision of one run: its cgroups, if any, and the marks
// that find its processes. A nil *Run does nothing.
type Run struct {
	cg      *runCgroup
	bornIn  bool // the shell was started in cg's v2 cgroup
	pgid    int
	token   string
	dirs    []string
	starter int // the thread that started the shell (see start)
}

// Prepare makes the cgroups of a run whose shell is about to start,
// bounded to maxTasks processes and threads where the machine allows (see
// cgroup.go), and returns the run's supervision; Start the shell with
// StartIn, then Confine it. token is the run's LITBOOK_RUN value.
func (s *Supervisor) Prepare(token string, maxTasks int) *Run {
	return s.PrepareIn(nil, token, maxTasks)
}

// PrepareIn is Prepare for a run whose shell the thread of slot sl (if
// not nil) starts: the run has the slot's cgroup v1 pids cgroup, which its
// shell is born in, rather than one of its own.
func (s *Supervisor) PrepareIn(sl *Slot, token string, maxTasks int) *Run {
	return &Run{cg: s.cgroups.make(token, maxTasks, sl), token: token}
}

// StartIn starts the command that command makes, through s, in the run's
// cgroup v2 cgroup where the kernel lets a process be born in one (clone3
// with CLONE_INTO_CGROUP, Linux 5.7+), else as Start does, and returns it.
// command may be called twice.
func (s *Supervisor) StartIn(r *Run, command func() *exec.Cmd) (*exec.Cmd, error) {
	cmd := command()
	if r == nil || noCloneInto.Load() || !r.cg.startIn(cmd) {
		return cmd, r.start(cmd)
	}
	err := r.start(cmd)
	if err == nil {
		r.bornIn = true
		return cmd, nil
	}
	// A kernel without clone3 or CLONE_INTO_CGROUP (ENOSYS, E2BIG,
	// EINVAL), or a cgroup that refuses (EOPNOTSUPP, EBUSY, EPERM,
	// EACCES): start it as usual, and let Confine move it. Only if that
	// works was it the cgroup; then later runs do not try again. Any
	// other failure (a fork refused at the process limit, say) is the
	// start's.
	if !slices.ContainsFunc([]error{unix.ENOSYS, unix.E2BIG, unix.EINVAL, unix.EOPNOTSUPP, unix.EBUSY, unix.EPERM, unix.EACCES},
		func(e error) bool { return errors.Is(err, e) }) {
		return cmd, err
	}
	cmd = command()
	if err := r.start(cmd); err != nil {
		return cmd, err
	}
	noCloneInto.Store(true)
	return cmd, nil
}

// start starts the run's shell cmd and notes its starter; r may be nil.
func (r *Run) start(cmd *exec.Cmd) error {
	tid, err := start(cmd)
	if r != nil {
		r.starter = tid
	}
	return err
}

// noCloneInto is set once a process started where it could not be
// started in a cgroup.
var noCloneInto atomic.Bool

// Confine moves the shell pid of a run, started with StartIn, into the
// run's cgroups it was not born in. pid leads its process group and must
// not have started anything yet, so that all the run's processes are born
// inside; dirs are the directories that hold everything of the run.
func (s *Supervisor) Confine(r *Run, pid int, dirs []string) {
	if r == nil {
		return
	}
	r.pgid, r.dirs = pid, dirs
	r.cg.attach(pid, r.bornIn)
}

// Stop kills the run's cgroups at once, where it has them: called at the
// run's time limit, before its shell is waited for.
func (r *Run) Stop() {
	if r != nil {
		r.cg.kill()
	}
}

// Kill kills everything the run started: its cgroups, its process group,
// and every process that carries one of its marks (see killRun).
func (r *Run) Kill() {
	if r == nil {
		return
	}
	idle := r.cg.kill()
	killRun(r.pgid, r.token, r.dirs, r.starter)
	if r.cg != nil && r.cg.slot && !idle {
		r.cg.settle(r.starter)
	}
}

// reapZombies reaps the children of litbook that Start did not start and
// that are zombies (those of orphans(starter)): what runs left,
// re-parented to litbook and killed.
// A zombie is dead, so this is safe while other runs execute; sweepOrphans
// kills and reaps the live ones, but only when no run executes. In cgroup
// v1 a zombie still counts against its pids cgroup's pids.max.
func reapZombies(starter int) {
	for _, pid := range orphans(starter) {
		if state, _, ok := procfs.Stat(pid); ok && state == 'Z' {
			var ws unix.WaitStatus
			_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		}
	}
}

// HitLimit reports whether a fork or clone of the run failed because the
// run had as many tasks as its cgroup allows.
func (r *Run) HitLimit() bool { return r != nil && r.cg.hitLimit() }

// Close removes the run's cgroups, once Kill killed their processes.
func (r *Run) Close() {
	if r != nil {
		r.cg.closeFD()
		r.cg.remove()
	}
}

// RemoveStale removes what litbook processes that no longer exist left:
// run directories in each of dirs (TMPDIR, where go build's work
// directories are too, and where the streams of runs are), and run
// cgroups (killing what still runs in them first).
func (s *Supervisor) RemoveStale(dirs ...string) { removeStale(s.cgroups, dirs...) }

// Cgroups reports how this machine lets the Supervisor confine runs:
// whether each run gets a cgroup v2 cgroup (killed at once, with
// cgroup.kill), and whether a pids cgroup bounds its processes.
func (s *Supervisor) Cgroups() (kill, limit bool) {
	return s.cgroups.v2 != "", s.cgroups.v2Pids || s.cgroups.v1Pids != ""
}
