package procfs

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
)

func TestUnescape(t *testing.T) {
	if got := unescape(`/mnt/with\040space`); got != "/mnt/with space" {
		t.Errorf("unescape: got %q", got)
	}
}

func TestMountsHasProc(t *testing.T) {
	for _, m := range Mounts() {
		if m.Point == "/proc" && m.FSType == "proc" {
			return
		}
	}
	t.Error("no proc mount at /proc in /proc/self/mountinfo")
}

func TestStatSelf(t *testing.T) {
	state, ppid, ok := Stat(os.Getpid())
	if !ok || state != 'R' || ppid != os.Getppid() {
		t.Errorf("Stat(self) = %q, %d, %v; want R, %d, true", state, ppid, ok, os.Getppid())
	}
	if !Running(os.Getpid()) || Running(1<<30) {
		t.Error("Running is wrong about this process or a pid above the kernel's limit")
	}
}

// TestDescendants starts a shell that starts a sleep, and finds both: the
// shell among this process's children, the sleep among its descendants.
func TestDescendants(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 30 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var sleep int
	if _, err := fmt.Fscan(out, &sleep); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(sleep, syscall.SIGKILL)
	children, ok := Children(os.Getpid())
	if !ok {
		t.Skip("no /proc/PID/task/TID/children on this kernel")
	}
	if !slices.Contains(children, cmd.Process.Pid) || slices.Contains(children, sleep) {
		t.Errorf("Children(self) = %v; want the shell %d and not the sleep %d", children, cmd.Process.Pid, sleep)
	}
	all, ok := Descendants([]int{cmd.Process.Pid})
	if !ok || !slices.Contains(all, cmd.Process.Pid) || !slices.Contains(all, sleep) || slices.Contains(all, os.Getpid()) {
		t.Errorf("Descendants(shell) = %v, %v; want the shell %d and the sleep %d", all, ok, cmd.Process.Pid, sleep)
	}
}
