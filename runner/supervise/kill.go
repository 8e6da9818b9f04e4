package supervise

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/litbook/litbook/runner/internal/procfs"
	"golang.org/x/sys/unix"
)

// killRun kills what a run started: its process group, then every process
// that belongs to the run by one of three marks: the run's token in its
// environment (a descendant that left the group with setsid keeps its
// environment), a working directory inside one of the run's directories
// dirs, or a file open there (one that also cleared its environment usually keeps
// both). It repeats until a scan of /proc finds none, so that a process
// forked between a scan and a kill is caught by the next scan. What has
// none of the marks is left to sweepOrphans.
//
// Each scan holds spawn, so that no child of litbook is between fork and
// exec while it looks: such a child still holds every file litbook has
// open, the streams of this run among them, and would be taken for one of
// its processes (and killed) before it ever became another run's shell.
func killRun(pgid int, token string, dirs []string, starter int) {
	_ = unix.Kill(-pgid, unix.SIGKILL)
	needle := runNeedle(token)
	for i := 0; i < 50; i++ {
		spawn.Lock()
		pids := runProcesses(needle, dirs, starter)
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		spawn.Unlock()
		if len(pids) == 0 {
			return
		}
		time.Sleep(time.Duration(i+1) * time.Millisecond)
	}
}

// runNeedle is the environment entry that marks a run's processes, with
// the NUL that ends the entry before it (see runProcesses).
func runNeedle(token string) []byte { return []byte("\x00LITBOOK_RUN=" + token + "\x00") }

// runProcesses returns the live processes whose environment contains
// needle (a whole NAME=value entry, NUL-terminated), or whose working
// directory or open files lie under one of dirs. Zombies have neither and are not
// returned.
//
// It looks only at the processes that may be a run's once the run's shell
// was waited for (see candidates), not at every process of the machine.
func runProcesses(needle []byte, dirs []string, starter int) []int {
	self := os.Getpid()
	var matched []int
	for _, pid := range candidates(starter) {
		if pid == self {
			continue
		}
		dir := "/proc/" + strconv.Itoa(pid)
		env, _ := os.ReadFile(dir + "/environ")
		// The entry is either the first (no NUL before it) or follows one.
		if bytes.HasPrefix(env, needle[1:]) || bytes.Contains(env, needle) || usesDir(dir, dirs) {
			matched = append(matched, pid)
		}
	}
	return matched
}

// candidates returns the processes that may belong to a run whose shell,
// started by litbook's thread starter, has been waited for. As a child
// subreaper, litbook inherits every process of a run whose parent died,
// the shell's children first; and a process started with CLONE_PARENT is
// the child of its parent's parent, the thread starter for what the shell
// became. What a run left running is a descendant of such a child of
// litbook that it did not start itself (see orphans), whatever group,
// session or environment it moved to. Only those are looked at, not the
// whole machine's processes; without the subreaper, or without /proc's
// children files, every process is.
func candidates(starter int) []int {
	if subreaper.Load() {
		if pids, ok := procfs.Descendants(orphans(starter)); ok {
			return pids
		}
	}
	return procfs.Pids()
}

// usesDir reports whether the process whose /proc directory is proc has
// its working directory, or a file open, under one of dirs.
func usesDir(proc string, dirs []string) bool {
	under := func(p string) bool {
		for _, d := range dirs {
			if p == d || strings.HasPrefix(p, d+"/") {
				return true
			}
		}
		return false
	}
	if cwd, err := os.Readlink(proc + "/cwd"); err == nil && under(cwd) {
		return true
	}
	fds, err := os.ReadDir(proc + "/fd")
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(proc + "/fd/" + fd.Name()); err == nil && under(target) {
			return true
		}
	}
	return false
}
