package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loopBackings returns the backing files of the attached loop devices.
func loopBackings() string {
	var b strings.Builder
	paths, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	for _, p := range paths {
		data, _ := os.ReadFile(p)
		b.Write(data)
	}
	return b.String()
}

// TestKill9MidFSRun kills litbook with SIGKILL while a run with fs=ext4
// executes: its mount was never visible outside the run, and once the next
// build has killed what the run left (its cgroup), the mount namespace
// goes with the last process in it, the mount with the namespace and the
// loop device with the mount.
func TestKill9MidFSRun(t *testing.T) {
	if !canMakeFS() {
		t.Skip("making filesystems needs root, loop devices and mkfs.ext4")
	}
	dir, tmp := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\n```console run=slow fs=ext4\n$ echo started > f\n$ sleep 31415926\n```\n")
	t.Cleanup(func() {
		for _, pid := range processesWith("31415926") {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	cmd, out := litbookCmd(dir, tmp, "build")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); len(processesWith("31415926")) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the run never started:\n%s", out)
		}
	}
	if !strings.Contains(loopBackings(), tmp) {
		t.Fatalf("no loop device holds an image in %s while the run executes", tmp)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), tmp) {
		t.Errorf("the run's mount is visible outside it:\n%s", mounts)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()

	// The next build (of a book without the slow run) kills what the
	// killed build's run left; the loop device then clears itself.
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\n```console run=quick fs=ext4\n$ echo ok\n```\n")
	next, out := litbookCmd(dir, tmp, "build")
	if err := next.Run(); err != nil {
		t.Fatalf("the build after the kill failed: %v\n%s", err, out)
	}
	for deadline := time.Now().Add(10 * time.Second); strings.Contains(loopBackings(), tmp); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("a loop device still holds an image of the killed build 10 s after the next build:\n%s", loopBackings())
		}
	}
	if pids := processesWith("31415926"); len(pids) > 0 {
		t.Errorf("the killed build's run is still running: %v", pids)
	}
}
