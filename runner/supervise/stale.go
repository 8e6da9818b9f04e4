package supervise

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Prefix starts the name of every run directory and run cgroup of the
// litbook process pid, so that a later litbook can tell those of a litbook
// that was killed (kill -9 gives no chance to clean up) from those of one
// still running. The runner names its directories with it whether or not
// it is supervised.
func Prefix(pid int) string { return "litbook-run-" + strconv.Itoa(pid) + "-" }

// removeStale removes what litbook processes that no longer exist left in
// the directories runs are made in: run directories in dirs, and run
// cgroups (killing what still runs in them first).
func removeStale(cg cgroupDirs, dirs ...string) {
	for _, dir := range []string{cg.v2, cg.v1Pids} {
		for _, p := range staleEntries(dir) {
			stale := &runCgroup{}
			if dir == cg.v2 {
				stale.v2 = p
			} else {
				stale.v1 = p
			}
			stale.kill()
			stale.remove()
		}
	}
	for _, dir := range dirs {
		for _, p := range staleEntries(dir) {
			RemoveAll(p)
		}
	}
}

// staleEntries returns the entries of dir named by Prefix for a pid
// that is not a live process.
func staleEntries(dir string) []string {
	if dir == "" {
		return nil
	}
	entries, _ := os.ReadDir(dir)
	var stale []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "litbook-run-")
		if !ok || !e.IsDir() {
			continue
		}
		// Only names that Prefix made: litbook-run-PID-TOKEN. Older
		// litbooks named their run directories litbook-run-RANDOM, and
		// RANDOM is no process ID: reading it as one would remove the
		// directories of a build that is running.
		digits, _, found := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(digits)
		if !found || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if unix.Kill(pid, 0) == unix.ESRCH {
			stale = append(stale, filepath.Join(dir, e.Name()))
		}
	}
	return stale
}

// RemoveAll removes a run's directory dir, making directories that a
// program made unwritable writable first.
func RemoveAll(dir string) {
	if os.RemoveAll(dir) == nil {
		return
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
}
