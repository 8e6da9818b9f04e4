package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestShells(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "shells.json")
	got := (&Runner{}).Shells(context.Background(), cache, []string{"bash", "appender", "bash"})
	if !regexp.MustCompile(`^sh=\S+@\S+( bash=bash@\S+)?$`).MatchString(got) {
		t.Fatalf("Shells = %q", got)
	}
	if _, err := os.Stat("/bin/bash"); err == nil && !strings.Contains(got, " bash=bash@") {
		t.Errorf("bash is installed but not in %q", got)
	}
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	// The cache answers the second time: make it lie to prove it is read.
	data, _ := os.ReadFile(cache)
	lie := regexp.MustCompile(`"id":"[^"]*"`).ReplaceAll(data, []byte(`"id":"cached"`))
	if err := os.WriteFile(cache, lie, 0o644); err != nil {
		t.Fatal(err)
	}
	if again := (&Runner{}).Shells(context.Background(), cache, []string{"bash"}); !strings.HasPrefix(again, "sh=") || strings.Count(again, "@cached") != strings.Count(again, "=") {
		t.Errorf("the second call did not use the cache: %q", again)
	}
}

// TestShellProbeSupervised: a shell's version probe is litbook's child as
// go is: a sweep of runs' orphans leaves it alone, and cancelling the
// build kills it. The bash here is a stand-in that never ends.
func TestShellProbeSupervised(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	fake := "#!/bin/sh\necho $$ > " + pidFile + ".tmp && mv " + pidFile + ".tmp " + pidFile + "\nexec sleep 3144\n"
	bash := filepath.Join(dir, "bash")
	if err := os.WriteFile(bash, []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	rn := &Runner{Supervisor: testSupervisor()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan string, 1)
	go func() { done <- rn.identify(ctx, bash) }()
	var pid int
	for deadline := time.Now().Add(20 * time.Second); pid == 0; time.Sleep(5 * time.Millisecond) { // polling for the stand-in's start
		if data, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the probe never started")
		}
	}
	defer unix.Kill(pid, unix.SIGKILL) // whatever happens
	testSupervisor().SweepOrphans(func() bool { return true })
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); !strings.Contains(string(cmdline), "3144") {
		t.Errorf("a sweep of orphans killed the probe: it was not started through the Supervisor")
	}
	cancel()
	if id := <-done; !strings.HasPrefix(id, "sha256:") {
		t.Errorf("a probe that printed nothing identifies the shell as %q, want its digest", id)
	}
	if pids := alive("sleep 3144"); len(pids) > 0 {
		t.Errorf("the probe outlived the cancelled build: %v", pids)
	}
}
