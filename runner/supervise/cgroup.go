package supervise

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/litbook/litbook/runner/internal/procfs"
	"golang.org/x/sys/unix"
)

// A run's processes are bounded and killed through cgroups when the
// machine lets litbook make them (as root, or with a delegated cgroup).
// RLIMIT_NPROC cannot bound a fork bomb when litbook runs as root, which is
// how CI runs, and counts every process of the user rather than the run's.
// A pids cgroup counts exactly the run's tasks (processes and threads),
// however they left its process group, and a cgroup v2 cgroup.kill (Linux
// 5.14+) kills all of them at once, with no race against fork.
//
// Each run gets a cgroup of its own, litbook-run-PID-TOKEN, beside litbook's
// own cgroup's other children, in the cgroup v2 hierarchy (for
// cgroup.kill, and pids.max where the pids controller is enabled there)
// and, on a hybrid machine whose pids controller is mounted as cgroup v1,
// in that hierarchy too (for pids.max), unless its shell is started from
// a Slot's thread: then its v1 pids cgroup is the slot's, which the runs
// from that thread have one after another. What litbook cannot make it does
// without: the run is still killed by process group, token, directory and
// subreaper (see killRun and sweepOrphans), and bounded by its time limit only.

// cgroupDirs are the directories under which litbook makes run cgroups;
// an empty field means that hierarchy is unavailable.
type cgroupDirs struct {
	v2     string // litbook's own cgroup in the cgroup v2 hierarchy
	v2Pids bool   // whether children of v2 get pids.max
	v1Pids string // litbook's own cgroup in a cgroup v1 pids hierarchy
}

// findCgroups locates litbook's own cgroups from /proc/self/mountinfo and
// /proc/self/cgroup, and keeps those it may make children in.
func findCgroups() cgroupDirs {
	var d cgroupDirs
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return d
	}
	// hierarchy → litbook's path in it: "" for cgroup v2, else the
	// controllers of the v1 hierarchy.
	paths := map[string]string{}
	for _, line := range strings.Split(string(own), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 {
			paths[f[1]] = f[2]
		}
	}
	for _, m := range procfs.Mounts() {
		switch m.FSType {
		case "cgroup2":
			if p, ok := paths[""]; ok && d.v2 == "" {
				d.v2 = cgroupDir(m.Point, m.Root, p)
			}
		case "cgroup":
			if !hasWord(m.Options, "pids") {
				continue
			}
			for ctrls, p := range paths {
				if hasWord(ctrls, "pids") && d.v1Pids == "" {
					d.v1Pids = cgroupDir(m.Point, m.Root, p)
				}
			}
		}
	}
	if d.v2 != "" && !writableCgroup(d.v2) {
		d.v2 = ""
	}
	if d.v1Pids != "" && !writableCgroup(d.v1Pids) {
		d.v1Pids = ""
	}
	if d.v2 != "" {
		d.v2Pids = enablePids(d.v2)
	}
	return d
}

// cgroupDir is the directory of cgroup path p in a hierarchy mounted at
// mountpoint from root.
func cgroupDir(mountpoint, root, p string) string {
	rel, ok := strings.CutPrefix(p, root)
	if !ok {
		rel = p
	}
	return filepath.Join(mountpoint, rel)
}

// hasWord reports whether the comma-separated list holds w.
func hasWord(list, w string) bool {
	return slices.Contains(strings.Split(list, ","), w)
}

// writableCgroup reports whether litbook may make children of dir.
func writableCgroup(dir string) bool {
	return unix.Access(dir, unix.W_OK) == nil
}

// enablePids makes sure children of the cgroup v2 directory dir have the
// pids controller. Enabling it fails (EBUSY) in a non-root cgroup that has
// processes of its own, litbook among them; then there is no pids.max.
func enablePids(dir string) bool {
	sub, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return false
	}
	if slices.Contains(strings.Fields(string(sub)), "pids") {
		return true
	}
	ctrls, _ := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if !slices.Contains(strings.Fields(string(ctrls)), "pids") {
		return false
	}
	return os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+pids"), 0) == nil
}

// runCgroup is the cgroups of one run; a nil *runCgroup does nothing.
type runCgroup struct {
	v2   string // the run's cgroup v2 directory, or ""
	pids string // the directory whose pids.max bounds the run, or ""
	v1   string // the run's cgroup v1 pids directory, or ""
	// fd is v2 open, for a shell to be born in it (CLONE_INTO_CGROUP),
	// until attach; -1 if not open.
	fd int
	// slot is set when v1 is a Slot's: the shell is born there, and runs
	// share it one after another, so the run neither moves its shell
	// there nor removes it.
	slot bool
	// maxBefore is the count of failed forks in v1's pids.events when the
	// run began (a Slot's counts those of the runs before).
	maxBefore int64
}

// A Slot is a cgroup v1 pids cgroup that one thread of litbook joins for
// good, and that the runs whose shells that thread starts share, one after
// another. Moving a task into a cgroup holds the kernel's cgroup_mutex for
// a grace period (cgroup_threadgroup_rwsem is taken for writing), and
// nothing that touches a cgroup, not even a process born in one with
// CLONE_INTO_CGROUP, goes on meanwhile: a cgroup of each run's own in a
// v1 hierarchy costs a move for each run, a Slot one for each thread.
// The thread counts as one task, so pids.max is one more than a run's
// bound; killing the cgroup never kills litbook.
//
// Runs do not share cgroup v2 cgroups: on Linux 6.18 a process born with
// CLONE_INTO_CGROUP into a cgroup that cgroup.kill has killed before is
// killed at once (as if the kill were still going on), which is how a
// first try of shared v2 cgroups lost every run after the first.
type Slot struct {
	dir string
}

// NewSlot makes a Slot for runs of at most maxTasks tasks and moves the
// calling thread, which must be locked to its goroutine and end with it,
// into it. It returns nil where runs get no cgroup v1 pids cgroup (see
// cgroup.go) or it cannot be made; runs then get cgroups of their own.
func (s *Supervisor) NewSlot(maxTasks int) *Slot {
	d := s.cgroups
	if d.v1Pids == "" || d.v2 != "" && d.v2Pids {
		return nil
	}
	dir, err := os.MkdirTemp(d.v1Pids, Prefix(os.Getpid())+"slot")
	if err != nil {
		return nil
	}
	// "0" is the calling thread. Moving a thread named by its id takes
	// the lock that guards every process's cgroups for writing, and with
	// it a grace period of RCU; a kernel that knows the thread moves
	// itself skips the lock. On 6.18 that took the join from 8-14 ms to
	// 0.1 ms, and the first run of every build waited for it.
	if os.WriteFile(filepath.Join(dir, "pids.max"), []byte(strconv.Itoa(maxTasks+1)), 0) != nil ||
		os.WriteFile(filepath.Join(dir, "tasks"), []byte("0"), 0) != nil {
		_ = unix.Rmdir(dir)
		return nil
	}
	return &Slot{dir: dir}
}

// Close removes the slot, once its thread has ended.
func (sl *Slot) Close() {
	if sl != nil {
		removeCgroup(sl.dir)
	}
}

// make makes cgroups named for token under d and bounds them to maxTasks
// tasks, for a run's shell that has not started yet. It returns nil if no
// cgroup could be made.
//
// With a Slot, the run has the slot's cgroup v1 pids cgroup rather than
// one of its own.
func (d cgroupDirs) make(token string, maxTasks int, sl *Slot) *runCgroup {
	cg := &runCgroup{fd: -1}
	name := Prefix(os.Getpid()) + token
	limit := []byte(strconv.Itoa(maxTasks))
	if d.v2 != "" {
		dir := filepath.Join(d.v2, name)
		if os.Mkdir(dir, 0o755) == nil {
			if !d.v2Pids || os.WriteFile(filepath.Join(dir, "pids.max"), limit, 0) == nil {
				cg.v2 = dir
				if d.v2Pids {
					cg.pids = dir
				}
				if fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
					cg.fd = fd
				}
			} else {
				_ = os.Remove(dir)
			}
		}
	}
	if sl != nil && cg.pids == "" {
		cg.v1, cg.pids, cg.slot = sl.dir, sl.dir, true
		cg.maxBefore = failedForks(sl.dir)
	} else if d.v1Pids != "" && cg.pids == "" {
		dir := filepath.Join(d.v1Pids, name)
		if os.Mkdir(dir, 0o755) == nil {
			if os.WriteFile(filepath.Join(dir, "pids.max"), limit, 0) == nil {
				cg.v1, cg.pids = dir, dir
			} else {
				_ = os.Remove(dir)
			}
		}
	}
	if cg.v2 == "" && cg.v1 == "" {
		return nil
	}
	return cg
}

// startIn sets cmd to start its process in the run's cgroup v2 cgroup,
// with clone3's CLONE_INTO_CGROUP (Linux 5.7+): moving a process that
// runs already costs the kernel a grace period (it takes
// cgroup_threadgroup_rwsem for writing), being born there costs nothing.
// It reports whether it did.
func (cg *runCgroup) startIn(cmd *exec.Cmd) bool {
	if cg == nil || cg.fd < 0 {
		return false
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, cg.fd
	return true
}

// attach moves the process pid, which must not have started anything
// yet, into the run's cgroups it was not born in; bornIn says it was born
// in v2 (see startIn). A cgroup it cannot join is given up.
func (cg *runCgroup) attach(pid int, bornIn bool) {
	if cg == nil {
		return
	}
	cg.closeFD()
	procs := []byte(strconv.Itoa(pid))
	if cg.v2 != "" && !bornIn && os.WriteFile(filepath.Join(cg.v2, "cgroup.procs"), procs, 0) != nil {
		_ = os.Remove(cg.v2)
		if cg.pids == cg.v2 {
			cg.pids = ""
		}
		cg.v2 = ""
	}
	if cg.v1 != "" && !cg.slot && os.WriteFile(filepath.Join(cg.v1, "cgroup.procs"), procs, 0) != nil {
		_ = os.Remove(cg.v1)
		cg.pids, cg.v1 = "", ""
	}
}

// closeFD closes the descriptor of the v2 cgroup, once no process is to
// be born in it.
func (cg *runCgroup) closeFD() {
	if cg != nil && cg.fd >= 0 {
		_ = unix.Close(cg.fd)
		cg.fd = -1
	}
}

// hitLimit reports whether a fork or clone of the run failed because the
// run had maxTasks tasks already.
func (cg *runCgroup) hitLimit() bool {
	return cg != nil && cg.pids != "" && failedForks(cg.pids) > cg.maxBefore
}

// failedForks returns the count of forks and clones that the pids cgroup
// dir refused because it was at its pids.max, or 0.
func failedForks(dir string) int64 {
	ev, err := os.ReadFile(filepath.Join(dir, "pids.events"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(ev), "\n") {
		if n, ok := strings.CutPrefix(line, "max "); ok {
			v, _ := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
			return v
		}
	}
	return 0
}

// kill kills every process in the run's cgroups: at once through
// cgroup.kill where the kernel has it, else one by one until none is
// left (a v1 pids cgroup bounds how many can be born meanwhile). It
// reports whether a Slot's pids cgroup held only the slot's thread.
//
// Most runs leave nothing, and their cgroups are only read: a cgroup with
// no process stays empty, since nothing is born in it but from a member
// (litbook's descriptor for CLONE_INTO_CGROUP is closed), and a write to
// cgroup.kill takes the lock that every other run's cgroups wait on.
func (cg *runCgroup) kill() (slotIdle bool) {
	if cg == nil {
		return false
	}
	if cg.v2 != "" {
		// A list that cannot be read counts as not empty.
		if members, err := readProcs(cg.v2); err != nil || len(members) > 0 {
			_ = os.WriteFile(filepath.Join(cg.v2, "cgroup.kill"), []byte("1"), 0)
			killMembers(cg.v2, members)
		}
	}
	if cg.v1 != "" {
		if cg.slot {
			if n := tasks(cg.v1); n >= 0 && n <= 1 { // -1: cannot tell
				return true
			}
		}
		killMembers(cg.v1, cgroupProcs(cg.v1))
	}
	return false
}

// killMembers kills the processes of the cgroup dir, members first, until
// none is left, for 100 rounds at most.
func killMembers(dir string, members []int) {
	for range 100 {
		if len(members) == 0 {
			return
		}
		for _, pid := range members {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(time.Millisecond)
		members = cgroupProcs(dir)
	}
}

// tasks returns pids.current of the pids cgroup dir, or -1.
func tasks(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, "pids.current"))
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return -1
	}
	return n
}

// settle waits, once the run's processes are killed, until a Slot's pids
// cgroup counts only its thread again, reaping the zombies the run left
// (see reapZombies): the next run from the slot must have all of its
// process limit. It gives up after about 2 s (a process stuck in the
// kernel); the next run then has fewer.
func (cg *runCgroup) settle(starter int) {
	for i := range 200 {
		if tasks(cg.pids) <= 1 { // -1: cannot tell
			return
		}
		reapZombies(starter)
		if i > 0 {
			time.Sleep(time.Duration(min(i, 10)) * time.Millisecond)
		}
	}
}

// remove removes the run's cgroups, once their processes have died. A
// cgroup holding only zombies counts as empty.
func (cg *runCgroup) remove() {
	if cg == nil {
		return
	}
	removeCgroup(cg.v2)
	if !cg.slot {
		removeCgroup(cg.v1)
	}
}

// removeCgroup removes the cgroup dir, if not "", waiting up to about 2 s
// for its last tasks to be gone.
func removeCgroup(dir string) {
	if dir == "" {
		return
	}
	for i := range 200 {
		err := unix.Rmdir(dir) // a cgroup is a directory: no unlink first
		if err == nil || errors.Is(err, os.ErrNotExist) || !errors.Is(err, unix.EBUSY) {
			return
		}
		time.Sleep(time.Duration(min(i+1, 10)) * time.Millisecond)
	}
}

// cgroupProcs returns the processes in the cgroup directory dir, other
// than litbook itself (a thread of litbook's that started a run's shell
// is in a Slot's cgroup v1 pids cgroup).
func cgroupProcs(dir string) []int {
	pids, _ := readProcs(dir)
	return pids
}

// readProcs is cgroupProcs, with the error of reading the list.
func readProcs(dir string) ([]int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil && pid != self {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
