package runner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/litbook/litbook/runner/internal/procfs"
	"golang.org/x/sys/unix"
)

// isSubreaper reports whether this process is a child subreaper.
func isSubreaper(t *testing.T) bool {
	t.Helper()
	var v int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	return v != 0
}

// TestUnsupervisedRunner runs a Runner without a Supervisor in a process of
// its own (the other tests of this package make theirs a subreaper): it must
// leave the process as it found it, not a subreaper, and leave a child it
// did not start alone, while still killing a timed-out run's process group
// and returning although a process that left the group holds the run's
// output open.
func TestUnsupervisedRunner(t *testing.T) {
	if os.Getenv("LITBOOK_TEST_UNSUPERVISED") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUnsupervisedRunner$", "-test.v")
		cmd.Env = append(os.Environ(), "LITBOOK_TEST_UNSUPERVISED=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestUnsupervisedRunner") {
			t.Fatalf("in a process of its own: %v\n%s", err, out)
		}
		return
	}
	if isSubreaper(t) {
		t.Fatal("the test process is a subreaper before anything ran")
	}
	unrelated := exec.Command("sleep", "3171")
	if err := unrelated.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = unrelated.Process.Kill()
		_ = unrelated.Wait()
	}()
	b := book(t, "sleep 3172 &\nsetsid sleep 3174 &\necho started\nsleep 3173")
	b.Runs[0].Timeout = 300 * time.Millisecond
	rn := &Runner{TempDir: t.TempDir()}
	records, err := rn.Run(context.Background(), b, b.Runs, &Programs{BinDir: t.TempDir(), GoVersion: "go-test"})
	if err != nil {
		t.Fatal(err)
	}
	res := records[0].Trials[0]
	if escaped := res.Commands[1].Pid; escaped > 0 {
		defer unix.Kill(escaped, unix.SIGKILL) // what only a Supervisor finds
	}
	if !errors.Is(res.Err, ErrTimeout) {
		t.Errorf("want a timeout, got %v", res.Err)
	}
	if isSubreaper(t) {
		t.Error("a Runner without a Supervisor made its process a child subreaper")
	}
	if state, _, ok := procfs.Stat(unrelated.Process.Pid); !ok || state == 'Z' {
		t.Errorf("a child the Runner did not start was killed (state %q)", state)
	}
	for _, s := range []string{"sleep 3172", "sleep 3173"} {
		if pids := alive(s); len(pids) > 0 {
			t.Errorf("%q of the timed-out run's process group survived: %v", s, pids)
		}
	}
}
