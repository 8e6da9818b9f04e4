package runner

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// killRun kills what a run started: its process group, then every process
// whose environment carries the run's token (a descendant that left the
// group with setsid or setpgid keeps its environment). It repeats until a
// scan of /proc finds none, so that a process forked between a scan and a
// kill is caught by the next scan.
func killRun(pgid int, token string) {
	_ = unix.Kill(-pgid, unix.SIGKILL)
	needle := runNeedle(token)
	for i := 0; i < 50; i++ {
		pids := processesWith(needle)
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

// processesWith returns the live processes whose environment contains
// needle (a whole NAME=value entry, NUL-terminated). Zombies have an empty
// environment and are not returned.
func processesWith(needle []byte) []int {
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
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || len(env) == 0 {
			continue
		}
		if bytes.HasPrefix(env, needle) || bytes.Contains(env, append([]byte{0}, needle...)) {
			pids = append(pids, pid)
		}
	}
	return pids
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
