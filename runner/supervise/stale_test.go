package supervise

import (
	"bytes"
	"os/exec"
	"strconv"

	"github.com/litbook/litbook/runner/internal/procfs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestStaleEntries checks which run directories a later litbook removes:
// those of a litbook process that is gone, never those of a live one, nor
// names that Prefix did not make.
func TestStaleEntries(t *testing.T) {
	dir := t.TempDir()
	// A pid above the kernel's limit is no process.
	const dead = 1 << 30
	for _, name := range []string{
		Prefix(dead) + "123",             // a killed litbook's: stale
		Prefix(os.Getppid()) + "456",     // a live process's
		Prefix(os.Getpid()) + "789",      // this litbook's own
		"litbook-run-2116079858",         // an older litbook's, no pid in it
		"something-else-" + "1073741824", // not litbook's
	} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got := staleEntries(dir)
	want := []string{filepath.Join(dir, Prefix(dead)+"123")}
	if !slices.Equal(got, want) {
		t.Errorf("stale entries %v, want %v", got, want)
	}
}

// TestStaleRemoved: a litbook killed with SIGKILL leaves its run
// directories, and its run cgroups with whatever still runs in them; the
// next build removes them, in every hierarchy it makes them in, and kills
// those processes, and leaves those of live processes alone.
func TestStaleRemoved(t *testing.T) {
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	prefix := Prefix(gone.Process.Pid)
	tmp := t.TempDir()
	staleDir := filepath.Join(tmp, prefix+"x")
	liveDir := filepath.Join(tmp, Prefix(os.Getppid())+"y") // a live process's
	for _, d := range []string{staleDir, liveDir} {
		if err := os.MkdirAll(filepath.Join(d, "work"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// In each hierarchy litbook makes run cgroups in: a dead litbook's,
	// with a process still in it, and a live process's, empty.
	sup := New()
	d := sup.cgroups
	type planted struct{ stale, live, sleep string }
	var cgroups []planted
	for i, dir := range []string{d.v2, d.v1Pids} {
		if dir == "" {
			continue
		}
		c := planted{filepath.Join(dir, prefix+"z"), filepath.Join(dir, Prefix(os.Getppid())+"w"), "sleep " + strconv.Itoa(3161+i)}
		sleeper := exec.Command("sleep", strconv.Itoa(3161+i))
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		go sleeper.Wait()
		t.Cleanup(func() { // the live one, and the stale one should the test fail
			_ = sleeper.Process.Kill()
			(&runCgroup{v1: c.stale}).remove()
			(&runCgroup{v1: c.live}).remove()
		})
		for _, cg := range []string{c.stale, c.live} {
			if err := os.Mkdir(cg, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(c.stale, "cgroup.procs"), []byte(strconv.Itoa(sleeper.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
		cgroups = append(cgroups, c)
	}
	sup.RemoveStale(tmp)
	if _, err := os.Stat(staleDir); !os.IsNotExist(err) {
		t.Errorf("the run directory of a dead litbook is still there: %v", err)
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("the run directory of a live process was removed: %v", err)
	}
	for _, c := range cgroups {
		if _, err := os.Stat(c.stale); !os.IsNotExist(err) {
			t.Errorf("the run cgroup %s of a dead litbook is still there: %v", c.stale, err)
		}
		if _, err := os.Stat(c.live); err != nil {
			t.Errorf("the run cgroup of a live process was removed: %v", err)
		}
		if pids := alive(c.sleep); len(pids) > 0 {
			t.Errorf("a process of a dead litbook's run survived in %s: %v", c.stale, pids)
		}
	}
}

// alive returns the pids of live processes whose command line contains s.
func alive(s string) []int {
	var found []int
	for _, pid := range procfs.Pids() {
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil || len(cmdline) == 0 {
			continue // gone, or a zombie
		}
		if bytes.Contains(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}), []byte(s)) {
			found = append(found, pid)
		}
	}
	return found
}
