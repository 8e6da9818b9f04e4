package supervise

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
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
			r := s.Prepare(token, nil, 100)
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
			s.Confine(r, pid)
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
