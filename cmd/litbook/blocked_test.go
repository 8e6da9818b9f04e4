package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountSilentFUSE mounts at dir a FUSE file system whose server never
// answers, not even FUSE_INIT: every request (stat, open, readdir) waits
// for it, as on a hung network or FUSE mount. Such a wait can be killed;
// one for a request that the server has read could not be. It skips the
// test where FUSE cannot be mounted.
func mountSilentFUSE(t *testing.T, dir string) {
	t.Helper()
	fd, err := syscall.Open("/dev/fuse", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no FUSE here: %v", err)
	}
	opts := fmt.Sprintf("fd=%d,rootmode=40000,user_id=%d,group_id=%d", fd, os.Getuid(), os.Getgid())
	if err := syscall.Mount("litbook-test", dir, "fuse", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		syscall.Close(fd)
		t.Skipf("cannot mount FUSE here: %v", err)
	}
	t.Cleanup(func() {
		// Closing the device aborts the connection: whatever still waits
		// on the mount gets ENOTCONN. Then the mount can go.
		syscall.Close(fd)
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
}

// waitingOnFUSE reports whether a thread of process pid waits in FUSE.
func waitingOnFUSE(pid int) bool {
	wchans, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", pid))
	for _, w := range wchans {
		if data, _ := os.ReadFile(w); strings.Contains(string(data), "fuse") {
			return true
		}
	}
	return false
}

// TestSignalStopsBlockedLoad checks that a build blocked while loading
// the book, in a read the kernel never completes (here the chapters
// directory is a FUSE mount that never answers), still stops within
// seconds of SIGINT, as the README promises of Ctrl-C.
func TestSignalStopsBlockedLoad(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting FUSE needs root")
	}
	dir, tmp := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Blocked\"\n")
	chapters := filepath.Join(dir, "chapters")
	if err := os.Mkdir(chapters, 0o755); err != nil {
		t.Fatal(err)
	}
	mountSilentFUSE(t, chapters)
	out := interruptBlocked(t, dir, tmp, "reading the chapters")
	if !strings.Contains(out, "litbook: interrupted while loading the book: nothing was changed") {
		t.Errorf("stderr:\n%s", out)
	}
}

// TestSignalStopsBlockedBuild blocks a build after loading, in the check
// of a linked file on a FUSE mount that never answers, where nothing can
// watch for the signal: litbook must still exit soon after SIGINT.
func TestSignalStopsBlockedBuild(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting FUSE needs root")
	}
	dir, tmp := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Blocked\"\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\nSee [the data](../data/x.txt).\n")
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	mountSilentFUSE(t, data)
	out := interruptBlocked(t, dir, tmp, "checking the link")
	if !strings.Contains(out, "still not stopped") {
		t.Errorf("stderr:\n%s", out)
	}
}

// interruptBlocked builds the book in dir, waits until litbook is blocked
// on a silent FUSE mount while doing what (for messages), sends SIGINT and
// requires it to exit with status exitFail within stopGrace and a margin.
// It returns what litbook printed, read once litbook is gone.
func interruptBlocked(t *testing.T, dir, tmp, what string) string {
	t.Helper()
	cmd, out := litbookCmd(dir, tmp, "build")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	// Wait until litbook is blocked in the kernel.
	for deadline := time.Now().Add(60 * time.Second); !waitingOnFUSE(cmd.Process.Pid); {
		select {
		case err := <-done:
			t.Fatalf("litbook ended before %s (%v):\n%s", what, err, out)
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("litbook never got to %s:\n%s", what, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The kernel hands SIGINT to the main thread, and cannot wake it
	// from a read on a hung mount: that read must be on another thread.
	if w, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%[1]d/wchan", cmd.Process.Pid)); strings.Contains(string(w), "fuse") {
		t.Errorf("litbook's main thread waits in %s, where SIGINT cannot reach it", w)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	limit := stopGrace + 20*time.Second
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != exitFail {
			t.Errorf("litbook ended with %v after SIGINT, want exit status %d", err, exitFail)
		}
	case <-time.After(limit):
		// Say where it is stuck, then read its output once it is gone:
		// the copying goroutine writes out until then.
		wchans, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", cmd.Process.Pid))
		var where []string
		for _, w := range wchans {
			data, _ := os.ReadFile(w)
			where = append(where, string(data))
		}
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("litbook did not stop within %v of SIGINT while %s (its threads wait in %v):\n%s", limit, what, where, out)
	}
	return out.String()
}
