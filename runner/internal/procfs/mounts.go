// Package procfs reads what litbook needs of /proc: this process's mounts
// and the state of processes (proc(5)).
package procfs

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// Mount is a line of /proc/self/mountinfo.
type Mount struct {
	Root    string // the directory of the filesystem mounted
	Point   string
	FSType  string
	Options string // the filesystem's own (super) options, comma-separated
}

// Mounts returns this process's mounts, in mountinfo order.
func Mounts() []Mount {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var ms []Mount
	for _, line := range strings.Split(string(data), "\n") {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 1 {
			continue
		}
		m := Mount{Root: unescape(f[3]), Point: unescape(f[4]), FSType: g[0]}
		if len(g) >= 3 {
			m.Options = g[2]
		}
		ms = append(ms, m)
	}
	return ms
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Running reports whether pid is a live process: it exists and is not a
// zombie waiting to be reaped.
func Running(pid int) bool {
	state, _, ok := Stat(pid)
	return ok && state != 'Z' && state != 'X'
}

// Stat returns the state and parent pid of pid from /proc/PID/stat.
func Stat(pid int) (state byte, ppid int, ok bool) {
	if pid <= 0 {
		return 0, 0, false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(string(f[1]))
	return f[0][0], ppid, err == nil
}

// Pids returns the ids of the processes in /proc.
func Pids() []int {
	entries, _ := os.ReadDir("/proc")
	var ids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			ids = append(ids, pid)
		}
	}
	return ids
}

// Children returns the children of process pid, from the children files
// of its threads (Linux 3.5+, CONFIG_PROC_CHILDREN). ok is false where the
// kernel has no such files, or pid is gone.
func Children(pid int) (children []int, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, false
	}
	for _, t := range tasks {
		data, err := os.ReadFile(dir + "/" + t.Name() + "/children")
		if err != nil {
			if os.IsNotExist(err) && t.Name() == strconv.Itoa(pid) {
				return nil, false // no children files at all
			}
			continue // a thread that just ended
		}
		for _, f := range strings.Fields(string(data)) {
			if c, err := strconv.Atoi(f); err == nil {
				children = append(children, c)
			}
		}
	}
	return children, true
}

// ThreadChildren returns the children of the thread tid of process pid,
// from its children file; ok is false where the kernel has none.
func ThreadChildren(pid, tid int) (children []int, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/children")
	if err != nil {
		return nil, false
	}
	for _, f := range strings.Fields(string(data)) {
		if c, err := strconv.Atoi(f); err == nil {
			children = append(children, c)
		}
	}
	return children, true
}

// Descendants returns the descendants of the processes in roots, roots
// included, walking Children. ok is false where the kernel has no children
// files.
func Descendants(roots []int) (all []int, ok bool) {
	seen := map[int]bool{}
	queue := append([]int(nil), roots...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		all = append(all, pid)
		children, ok := Children(pid)
		if !ok {
			if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
				continue // it ended meanwhile
			}
			return nil, false
		}
		queue = append(queue, children...)
	}
	return all, true
}
