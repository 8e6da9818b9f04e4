package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/model"
	"golang.org/x/sys/unix"
)

// needFS skips the test unless litbook can make every filesystem of
// types here (root, loop devices, the mkfs tools).
func needFS(t *testing.T, rn *Runner, b *model.Book, types ...string) {
	t.Helper()
	for fs, err := range rn.Filesystems(context.Background(), b, types) {
		if err != nil {
			if os.Getenv("LITBOOK_REQUIRE_FS") != "" {
				t.Fatalf("cannot make %s: %v", fs, err)
			}
			t.Skipf("cannot make %s here: %v", fs, err)
		}
	}
}

// fsBook returns a book of one run per filesystem, each running
// transcript, as the loader expands a block with fs=.
func fsBook(t *testing.T, transcript string, types ...string) *model.Book {
	t.Helper()
	b := book(t, transcript)
	base := b.Runs[0]
	base.Base = base.Name
	ch := b.Chapters[0]
	ch.Runs, b.Runs = nil, nil
	var family []*model.Run
	for _, fs := range types {
		r := *base
		r.FS, r.Name = fs, base.Name+"["+fs+"]"
		r.ID = ch.Slug + "/" + r.Name
		family = append(family, &r)
	}
	for _, r := range family {
		r.Family = family
		ch.Runs = append(ch.Runs, r)
		b.Runs = append(b.Runs, r)
	}
	return b
}

func TestRunOnFilesystems(t *testing.T) {
	types := []string{"ext4", "xfs", "btrfs", "tmpfs", "overlay"}
	b := fsBook(t, "stat -f -c %T .\necho data > f\nls -a", types...)
	rn := &Runner{TempDir: t.TempDir(), WorkDir: t.TempDir()}
	needFS(t, rn, b, types...)
	results := runBook(t, context.Background(), rn, b)
	// What stat -f prints for each: ext2/ext3 is ext4's shared magic.
	want := map[string]string{"ext4": "ext2/ext3", "xfs": "xfs", "btrfs": "btrfs", "tmpfs": "tmpfs", "overlay": "overlayfs"}
	seen := map[string]bool{}
	for i, res := range results {
		fs := b.Runs[i].FS
		if res.Err != nil {
			t.Fatalf("%s: %v", fs, res.Err)
		}
		got := strings.TrimSpace(string(res.Commands[0].Stdout.Data))
		if got != want[fs] {
			t.Errorf("on %s, stat -f -c %%T . printed %q, want %q", fs, got, want[fs])
		}
		seen[got] = true
		if res.FS == nil || res.FS.Type != fs || res.FS.How == "" {
			t.Fatalf("on %s, the result's filesystem is %+v", fs, res.FS)
		}
		t.Logf("%s: stat -f printed %q; %s", fs, got, res.FS.How)
		// The directory starts empty (no lost+found) and the run's files
		// are listed from its filesystem.
		if ls := string(res.Commands[2].Stdout.Data); ls != ".\n..\nf\n" {
			t.Errorf("on %s, ls -a printed %q, want only f", fs, ls)
		}
		if len(res.Files) != 1 || res.Files[0].Name != "f" || res.Files[0].Size != 5 {
			t.Errorf("on %s, files left: %+v, want f of 5 bytes", fs, res.Files)
		}
	}
	if len(seen) != len(types) {
		t.Errorf("the runs saw %d distinct filesystems, want %d", len(seen), len(types))
	}
	// Nothing is left mounted here, nor attached to a loop device.
	mountsNow, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mountsNow), rn.TempDir) {
		t.Errorf("a mount under the runs' TempDir is visible outside the run:\n%s", mountsNow)
	}
	if backing := loopBackings(); strings.Contains(backing, rn.TempDir) {
		t.Errorf("a loop device still holds an image of the runs:\n%s", backing)
	}
}

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

func TestFSRunKilledLeavesNoMount(t *testing.T) {
	// A run that times out with a background process still holding its
	// directory: the mount and the loop device go with the run.
	b := fsBook(t, "sleep 3121 < f &\nsleep 3122", "ext4")
	b.Runs[0].Commands = append([]*model.Command{{Text: "echo x > f", Pos: b.Runs[0].Pos}}, b.Runs[0].Commands...)
	b.Runs[0].Timeout = 300e6
	rn := &Runner{TempDir: t.TempDir(), WorkDir: t.TempDir()}
	needFS(t, rn, b, "ext4")
	res := runBook(t, context.Background(), rn, b)[0]
	if !res.TimedOut {
		t.Fatalf("want a timeout, got %v", res.Err)
	}
	if backing := loopBackings(); strings.Contains(backing, rn.TempDir) {
		t.Errorf("a loop device still holds the run's image:\n%s", backing)
	}
	if pids := alive("sleep 3121"); len(pids) > 0 {
		t.Errorf("the background sleep survived: %v", pids)
	}
}

func TestFSMissingTool(t *testing.T) {
	// Without mkfs.xfs, an xfs run fails at its line, naming the tool and
	// its package, and measures nothing elsewhere.
	t.Setenv("PATH", t.TempDir())
	saved := mkfsDirs
	mkfsDirs = nil
	defer func() { mkfsDirs = saved }()
	b := fsBook(t, "stat -f -c %T .", "xfs")
	rn := &Runner{TempDir: t.TempDir(), WorkDir: t.TempDir()}
	if err := rn.Filesystems(context.Background(), b, []string{"xfs"})["xfs"]; err == nil || !strings.Contains(err.Error(), "mkfs.xfs not found (Debian package xfsprogs)") {
		t.Errorf("Filesystems: got %v, want mkfs.xfs not found", err)
	}
	res := runBook(t, context.Background(), rn, b)[0]
	if res.Err == nil || res.Err.Pos != b.Runs[0].Pos || !strings.Contains(res.Err.Msg, "cannot make the xfs filesystem of this run: mkfs.xfs not found") {
		t.Fatalf("got %v, want an error at the run's line", res.Err)
	}
	if res.Commands[0].Ran {
		t.Errorf("the transcript ran anyway")
	}
}

// TestMkfsSupervised: litbook owns mkfs as it owns go. A sweep of runs'
// orphans, which kills every child of litbook's that it did not start
// through the Supervisor, leaves mkfs alone; cancelling the build kills
// it. The mkfs here is a stand-in that never ends.
func TestMkfsSupervised(t *testing.T) {
	if err := isolation(); err != nil {
		t.Skipf("no mount namespaces here: %v", err)
	}
	bin, state := t.TempDir(), t.TempDir()
	pidFile := filepath.Join(state, "pid")
	fake := "#!/bin/sh\n[ \"$1\" = -V ] && { echo 'mkfs.xfs version 9.9.9'; exit 0; }\n" +
		"echo $$ > " + pidFile + ".tmp && mv " + pidFile + ".tmp " + pidFile + "\nexec sleep 3133\n"
	if err := os.WriteFile(filepath.Join(bin, "mkfs.xfs"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(filepath.ListSeparator)+os.Getenv("PATH"))
	b := fsBook(t, "true", "xfs")
	rn := &Runner{Supervisor: testSupervisor(), TempDir: t.TempDir(), WorkDir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- rn.Filesystems(ctx, b, []string{"xfs"})["xfs"] }()
	var pid int
	for deadline := time.Now().Add(20 * time.Second); pid == 0; time.Sleep(5 * time.Millisecond) { // polling for the stand-in's start
		if data, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		if time.Now().After(deadline) {
			t.Fatal("mkfs never started")
		}
	}
	defer unix.Kill(pid, unix.SIGKILL) // whatever happens
	testSupervisor().SweepOrphans(func() bool { return true })
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); !strings.Contains(string(cmdline), "3133") {
		t.Errorf("a sweep of orphans killed mkfs: it was not started through the Supervisor")
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Filesystems succeeded with mkfs killed")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("cancelling did not stop mkfs: Filesystems still waits for it")
	}
	if pids := alive("sleep 3133"); len(pids) > 0 {
		t.Errorf("mkfs outlived the cancelled build: %v", pids)
	}
}
