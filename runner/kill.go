package runner

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// killRun kills what a run started: its process group, then every process
// that belongs to the run by one of three marks: the run's token in its
// environment (a descendant that left the group with setsid keeps its
// environment), a working directory inside the run's directory base, or a
// file open there (one that also cleared its environment usually keeps
// both). It repeats until a scan of /proc finds none, so that a process
// forked between a scan and a kill is caught by the next scan. What has
// none of the marks is left to sweepOrphans.
func killRun(pgid int, token, base string) {
	_ = unix.Kill(-pgid, unix.SIGKILL)
	needle := runNeedle(token)
	for i := 0; i < 50; i++ {
		pids := runProcesses(needle, base)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(time.Duration(i+1) * time.Millisecond)
	}
}

// runNeedle is the environment entry that marks a run's processes.
func runNeedle(token string) []byte { return []byte("LITBOOK_RUN=" + token + "\x00") }

// runProcesses returns the live processes whose environment contains
// needle (a whole NAME=value entry, NUL-terminated), or whose working
// directory or open files lie under base. Zombies have neither and are not
// returned.
func runProcesses(needle []byte, base string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		dir := "/proc/" + e.Name()
		env, _ := os.ReadFile(dir + "/environ")
		if bytes.HasPrefix(env, needle) || bytes.Contains(env, append([]byte{0}, needle...)) || usesDir(dir, base) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// usesDir reports whether the process whose /proc directory is proc has
// its working directory, or a file open, under base.
func usesDir(proc, base string) bool {
	under := func(p string) bool { return p == base || strings.HasPrefix(p, base+"/") }
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

// running reports whether pid is a live process: it exists and is not a
// zombie waiting to be reaped.
func running(pid int) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z' && stat[i+2] != 'X'
}
