package supervise

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

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

// TestJoinThread: a thread that joined a run's cgroup v1 pids cgroup
// starts a shell that is born there, which Confine then leaves alone; the
// thread counts as one task until the shell starts, and is never among
// the processes that killing the cgroup kills.
func TestJoinThread(t *testing.T) {
	s := New()
	if s.cgroups.v1Pids == "" || s.cgroups.v2Pids {
		t.Skip("no cgroup v1 pids hierarchy that runs use here")
	}
	const token = "jointhread"
	name := Prefix(os.Getpid()) + token
	r := s.Prepare(token, 7)
	done := make(chan *exec.Cmd, 1)
	release := make(chan bool)
	go func(release <-chan bool) {
		// Never unlocked: the thread ends with the goroutine. Not the main
		// thread, which Go parks instead, in the cgroup.
		runtime.LockOSThread()
		for unix.Gettid() == unix.Getpid() {
			runtime.UnlockOSThread()
			runtime.Gosched()
			runtime.LockOSThread()
		}
		r.JoinThread()
		cmd, err := s.StartIn(r, func() *exec.Cmd { return exec.Command("sleep", "3162") })
		if err != nil {
			t.Error(err)
			cmd = nil
		}
		done <- cmd
		<-release // in the cgroup until Kill is done
	}(release)
	defer func() {
		if release != nil {
			close(release)
		}
	}()
	cmd := <-done
	if cmd == nil {
		return
	}
	pid := cmd.Process.Pid
	if !r.cg.threadIn || !strings.HasSuffix(v1Pids(t, pid), "/"+name) {
		t.Errorf("the shell was born in %q (thread joined: %v), want .../%s", v1Pids(t, pid), r.cg.threadIn, name)
	}
	s.Confine(r, pid, nil)
	if max, _ := os.ReadFile(r.cg.v1 + "/pids.max"); strings.TrimSpace(string(max)) != "7" {
		t.Errorf("pids.max is %q after Confine, want 7", max)
	}
	r.Kill() // with the thread still in the cgroup: must not kill this process
	_ = cmd.Wait()
	s.Exited(pid)
	close(release)
	release = nil
	r.Close()
	if _, err := os.Stat(r.cg.v1); !os.IsNotExist(err) {
		t.Errorf("the run's cgroup is still there after Close: %v", err)
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
