package supervise

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// v2Cgroup returns the cgroup v2 path of process pid, from the "0::" line
// of /proc/PID/cgroup.
func v2Cgroup(t *testing.T, pid int) string {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return p
		}
	}
	return ""
}

// TestStartIn checks that a run's shell is in its cgroup v2 cgroup before
// Confine moves anything: born there where the kernel can, and moved by
// Confine where it cannot; and that Close removes the cgroups.
func TestStartIn(t *testing.T) {
	s := New()
	if s.cgroups.v2 == "" {
		t.Skip("no cgroup v2 cgroup can be made here")
	}
	for _, born := range []bool{true, false} {
		t.Run("born="+strconv.FormatBool(born), func(t *testing.T) {
			saved := noCloneInto.Load()
			noCloneInto.Store(!born)
			defer noCloneInto.Store(saved)
			token := "test" + strconv.FormatBool(born)
			r := s.Prepare(token, 100)
			if r.cg == nil || r.cg.v2 == "" {
				t.Fatal("Prepare made no cgroup v2 cgroup")
			}
			calls := 0
			cmd, err := s.StartIn(r, func() *exec.Cmd { calls++; return exec.Command("sleep", "3161") })
			if err != nil {
				t.Fatal(err)
			}
			pid := cmd.Process.Pid
			name := Prefix(os.Getpid()) + token
			before := v2Cgroup(t, pid)
			if got := strings.HasSuffix(before, "/"+name); got != born || r.bornIn != born || calls != 1 {
				t.Errorf("before Confine the shell is in %q (bornIn %v, %d commands made); want born in its cgroup: %v", before, r.bornIn, calls, born)
			}
			s.Confine(r, pid, nil)
			if after := v2Cgroup(t, pid); !strings.HasSuffix(after, "/"+name) {
				t.Errorf("after Confine the shell is in %q, want .../%s", after, name)
			}
			r.Kill()
			_ = cmd.Wait()
			s.Exited(pid)
			r.Close()
			if _, err := os.Stat(r.cg.v2); !os.IsNotExist(err) {
				t.Errorf("the run's cgroup is still there after Close: %v", err)
			}
		})
	}
}

// v1Pids returns the cgroup v1 pids path of process pid, or "".
func v1Pids(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.SplitN(line, ":", 3); len(f) == 3 && hasWord(f[1], "pids") {
			return f[2]
		}
	}
	return ""
}

// TestSlot: runs whose shells a slot's thread starts are born in the
// slot's cgroup v1 pids cgroup, which Confine then leaves alone, one after
// another; each gets the whole process limit (the thread counts as one
// more task), a failed fork counts against the run it happened in only,
// killing never kills litbook, and only Slot.Close removes the cgroup.
func TestSlot(t *testing.T) {
	s := New()
	if s.cgroups.v1Pids == "" || s.cgroups.v2Pids {
		t.Skip("no cgroup v1 pids hierarchy that runs use here")
	}
	type result struct {
		cmd *exec.Cmd
		err error
	}
	starts := make(chan func() result)
	results := make(chan result)
	slots := make(chan *Slot, 1)
	go func() {
		// Never unlocked: the thread ends with the goroutine. Not the main
		// thread, which Go parks instead, in the cgroup.
		runtime.LockOSThread()
		for unix.Gettid() == unix.Getpid() {
			runtime.UnlockOSThread()
			runtime.Gosched()
			runtime.LockOSThread()
		}
		sl := s.NewSlot(3)
		if sl != nil {
			// The thread alone joined it, not litbook's other threads.
			data, _ := os.ReadFile(filepath.Join(sl.dir, "tasks"))
			if got, want := strings.TrimSpace(string(data)), strconv.Itoa(unix.Gettid()); got != want {
				t.Errorf("the slot's tasks are %q, want only its thread %s", got, want)
			}
		}
		slots <- sl
		for start := range starts {
			results <- start()
		}
	}()
	sl := <-slots
	if sl == nil {
		close(starts)
		t.Fatal("NewSlot made no slot")
	}
	defer func() {
		if starts != nil {
			close(starts)
		}
	}()
	// Each shell waits for a line on its stdin, as a run's waits at its
	// start gate, so that where it was born is read while it lives.
	for i, script := range []string{"read go; sleep 3162", "read go; for i in 1 2 3 4 5; do sleep 3163 & done; wait"} {
		token := "slot" + strconv.Itoa(i)
		r := s.PrepareIn(sl, token, 3)
		gateR, gateW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		starts <- func() result {
			cmd, err := s.StartIn(r, func() *exec.Cmd {
				cmd := exec.Command("sh", "-c", script)
				cmd.Stdin = gateR
				return cmd
			})
			return result{cmd, err}
		}
		res := <-results
		if res.err != nil {
			t.Fatal(res.err)
		}
		pid := res.cmd.Process.Pid
		if got := v1Pids(t, pid); !strings.HasSuffix(got, "/"+filepath.Base(sl.dir)) {
			t.Errorf("run %d: the shell was born in %q, want the slot's %s", i, got, sl.dir)
		}
		s.Confine(r, pid, nil)
		gateR.Close()
		_, _ = gateW.WriteString("go\n")
		gateW.Close()
		if i == 1 {
			// 3 tasks: the shell and 2 sleeps; the third fork fails.
			for deadline := time.Now().Add(10 * time.Second); !r.HitLimit() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			}
			if !r.HitLimit() {
				t.Errorf("run %d never reached its limit of 3 tasks", i)
			}
		} else if r.HitLimit() {
			t.Errorf("run %d reached a limit it never met", i)
		}
		// As the runner does: the shell is waited for, then the rest is
		// killed, and the zombies of what it left are reaped.
		_ = unix.Kill(pid, unix.SIGKILL)
		_ = res.cmd.Wait()
		s.Exited(pid)
		r.Kill() // with the slot's thread inside: must not kill this process
		if cur, _ := os.ReadFile(filepath.Join(sl.dir, "pids.current")); strings.TrimSpace(string(cur)) != "1" {
			t.Errorf("run %d: the slot counts %q tasks after Kill, want only its thread", i, cur)
		}
		r.Close()
		if _, err := os.Stat(sl.dir); err != nil {
			t.Errorf("run %d removed the slot: %v", i, err)
		}
	}
	if max, _ := os.ReadFile(filepath.Join(sl.dir, "pids.max")); strings.TrimSpace(string(max)) != "4" {
		t.Errorf("the slot's pids.max is %q, want 4: 3 for a run, 1 for its thread", max)
	}
	close(starts)
	starts = nil
	sl.Close()
	if _, err := os.Stat(sl.dir); !os.IsNotExist(err) {
		t.Errorf("the slot is still there after Close: %v", err)
	}
}

// TestStartInFailure: a command that cannot start anywhere fails once per
// attempt, and does not stop later runs from being born in their cgroup.
func TestStartInFailure(t *testing.T) {
	s := New()
	if s.cgroups.v2 == "" {
		t.Skip("no cgroup v2 cgroup can be made here")
	}
	saved := noCloneInto.Load()
	noCloneInto.Store(false)
	defer noCloneInto.Store(saved)
	r := s.Prepare("startinfailure", 10)
	defer r.Close()
	calls := 0
	if _, err := s.StartIn(r, func() *exec.Cmd { calls++; return exec.Command("/nonexistent/litbook-test") }); err == nil {
		t.Fatal("a missing program started")
	}
	if noCloneInto.Load() || r.bornIn {
		t.Errorf("a missing program turned off starting in cgroups (after %d attempts)", calls)
	}
}
