package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/litbook/litbook/site"
	"github.com/litbook/litbook/store"
)

// faultBook writes a small book of two chapters with runs quick runs in
// all, whose transcripts name iter, so that each iteration's runs are new
// to the store. Each run prints its name and leaves a file.
func faultBook(t *testing.T, dir string, runs, iter int) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Faults\"\n")
	var ch [2]strings.Builder
	for i := range ch {
		fmt.Fprintf(&ch[i], "# Chapter %d\n\nSome prose.\n\n", i)
	}
	for r := range runs {
		fmt.Fprintf(&ch[r%2], "```console run=r%d\n$ echo iter-%d-run-%d; sleep 0.0%d\n$ head -c %d /dev/zero > f\n```\n\nIt left `=r%d.size(\"f\")` bytes.\n\n", r, iter, r, r%10, 100*(r+1), r)
	}
	for i := range ch {
		writeFile(t, filepath.Join(dir, "chapters", fmt.Sprintf("c%d.md", i)), ch[i].String())
	}
}

// litbookCmd is a litbook process on the book in dir, with its run
// directories made in tmp.
func litbookCmd(dir, tmp string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command("litbook", append(args, dir)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	return cmd, &stderr
}

// siteFiles lists the files of the site in dir, and fails if the site is
// not whole: no marker, or a page cut short.
func siteFiles(t *testing.T, dir string) []string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, site.MarkerFile)); err != nil {
		t.Fatalf("the site has no marker: %v", err)
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, rel)
		if strings.HasSuffix(p, ".html") {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.HasSuffix(bytes.TrimSpace(data), []byte("</html>")) {
				t.Errorf("%s is cut short", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// checkStore fails unless every record in the book's store passes its
// checks, and returns how many records hold output of iteration iter.
func checkStore(t *testing.T, dir string, iter int) int {
	t.Helper()
	ix, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ix.Problems {
		t.Errorf("the store has a bad entry: %v", p)
	}
	n := 0
	needle := fmt.Sprintf("iter-%d-run-", iter)
	_ = filepath.WalkDir(filepath.Join(dir, store.Dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if data, err := os.ReadFile(p); err == nil && bytes.Contains(data, []byte(needle)) {
			n++
		}
		return nil
	})
	return n
}

var ranRE = regexp.MustCompile(`(?m)^(\d+) runs? (ok|failed)`)

// ran returns how many runs a build's summary line says it ran.
func ran(out string) int {
	m := ranRE.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestKill9MidBuild kills litbook with SIGKILL at random points of builds
// that each have every run to do, and checks after each kill that the
// previous site is whole, that the store holds only whole records, and that
// the next build succeeds running exactly the runs whose records are
// missing.
func TestKill9MidBuild(t *testing.T) {
	const runs = 6
	iterations := 25
	if testing.Short() {
		iterations = 8
	}
	dir, tmp := t.TempDir(), t.TempDir()
	faultBook(t, dir, runs, 0)
	cmd, out := litbookCmd(dir, tmp, "build")
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("first build: %v\n%s", err, out)
	}
	full := time.Since(start)
	want := siteFiles(t, filepath.Join(dir, "book"))
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("a whole build takes %s; seed %d", full.Round(time.Millisecond), seed)
	killed := 0
	for iter := 1; iter <= iterations; iter++ {
		faultBook(t, dir, runs, iter)
		cmd, out := litbookCmd(dir, tmp, "build")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(full * 5 / 4))))
		_ = cmd.Process.Signal(syscall.SIGKILL)
		if err := cmd.Wait(); err != nil {
			killed++
		}
		// The build may have finished before the kill: either way the
		// site is whole.
		if got := siteFiles(t, filepath.Join(dir, "book")); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("iteration %d: the site holds %v, want %v", iter, got, want)
		}
		stored := checkStore(t, dir, iter)
		next, out := litbookCmd(dir, tmp, "build")
		if err := next.Run(); err != nil {
			t.Fatalf("iteration %d: the build after the kill failed: %v\n%s", iter, err, out)
		}
		if got := ran(out.String()); got != runs-stored {
			t.Fatalf("iteration %d: %d of %d records were stored before the kill, and the next build ran %d runs, want %d:\n%s", iter, stored, runs, got, runs-stored, out)
		}
		if n := checkStore(t, dir, iter); n != runs {
			t.Fatalf("iteration %d: after the next build the store holds %d records of this iteration, want %d", iter, n, runs)
		}
		page, _ := os.ReadFile(filepath.Join(dir, "book", "c0.html"))
		if !bytes.Contains(page, fmt.Appendf(nil, "iter-%d-run-0", iter)) {
			t.Fatalf("iteration %d: the site after the next build does not show this iteration's output", iter)
		}
	}
	t.Logf("%d builds of %d killed before they finished", killed, iterations)
	// What the killed builds left behind is gone after the next ones.
	if left, _ := filepath.Glob(filepath.Join(tmp, "litbook-run-*")); len(left) > 0 {
		t.Errorf("run directories left in TMPDIR: %v", left)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".book.*")); len(left) > 0 {
		t.Errorf("temporary sites left beside the site: %v", left)
	}
}
