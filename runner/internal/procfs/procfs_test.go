package procfs

import (
	"os"
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
