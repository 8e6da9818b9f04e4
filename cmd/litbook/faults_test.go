package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
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
	// LITBOOK_KILL_LOOPS runs it longer (100 in a row, in development).
	iterations := 12
	if n, err := strconv.Atoi(os.Getenv("LITBOOK_KILL_LOOPS")); err == nil && n > 0 {
		iterations = n
	} else if testing.Short() {
		iterations = 4
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

// TestSignalsStopBuild sends SIGTERM (what kill, systemd and CI runners
// send) and SIGHUP (a closed terminal) to builds whose runs are running:
// each stops as Ctrl-C stops it (interrupt.txtar), with every process it
// started killed, its run directories removed, the previous site intact
// and nothing stored.
func TestSignalsStopBuild(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			marker := fmt.Sprintf("litbook-signal-test-%d-sig%d-", os.Getpid(), sig)
			t.Cleanup(func() { // should the test fail
				for _, pid := range processesWith(marker) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			writeFile(t, filepath.Join(dir, "book.toml"), "[book]\n")
			writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# Before\n")
			if cmd, out := litbookCmd(dir, tmp, "build"); cmd.Run() != nil {
				t.Fatalf("first build failed:\n%s", out)
			}
			writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# After\n\n```console run=slow timeout=5m\n$ setsid sh -c 'sleep 300; : "+marker+"' &\n$ sh -c 'sleep 301; : "+marker+"'\n```\n")
			cmd, out := litbookCmd(dir, tmp, "build")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(60 * time.Second); len(processesWith(marker)) < 2; {
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("the run never started:\n%s", out)
				}
				time.Sleep(20 * time.Millisecond)
			}
			sent := time.Now()
			_ = cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err == nil {
					t.Errorf("the build succeeded after %v", sig)
				}
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("the build did not stop within 20 s of %v", sig)
			}
			t.Logf("stopped %s after %v", time.Since(sent).Round(time.Millisecond), sig)
			if !strings.Contains(out.String(), "interrupted: runs were stopped, nothing was changed") {
				t.Errorf("stderr:\n%s", out)
			}
			if left := processesWith(marker); len(left) > 0 {
				t.Errorf("processes left: %v", left)
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
			if page, _ := os.ReadFile(filepath.Join(dir, "book", "a.html")); !bytes.Contains(page, []byte("Before")) {
				t.Errorf("the previous site was changed")
			}
			if _, err := os.Stat(filepath.Join(dir, store.Dir)); !os.IsNotExist(err) {
				t.Errorf("something was stored: %v", err)
			}
		})
	}
}

// fill writes a file into the filesystem of dir until at most room bytes
// are left free.
func fill(t *testing.T, dir string, room int64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if free > room {
		_, _ = f.Write(make([]byte, free-room))
	}
}

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			files[p] = string(data)
		}
		return nil
	})
	return files
}

func sameFiles(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for p, data := range want {
		if got[p] != data {
			t.Errorf("%s: %s changed", what, p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: %s appeared", what, p)
		}
	}
}

// TestStoringFails runs litbook with a file size limit that a record of
// one run exceeds (EFBIG, as a full disk gives ENOSPC): the build fails at
// that run's line saying why, and the site and the store are as they were.
func TestStoringFails(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	faultBook(t, dir, 2, 0)
	if cmd, out := litbookCmd(dir, tmp, "build"); cmd.Run() != nil {
		t.Fatalf("first build failed:\n%s", out)
	}
	site0 := snapshot(t, filepath.Join(dir, "book"))
	store0 := snapshot(t, filepath.Join(dir, store.Dir))
	// r0 now prints 64 KB, which its record holds; litbook may write
	// files of 32 KB at most.
	faultBook(t, dir, 2, 1)
	c0 := filepath.Join(dir, "chapters", "c0.md")
	src, _ := os.ReadFile(c0)
	writeFile(t, c0, strings.Replace(string(src), "$ head -c 100 /dev/zero > f", "$ head -c 65536 /dev/urandom | od -An -tx1 | head -c 65536", 1))
	cmd := exec.Command("sh", "-c", `ulimit -f 64 && exec litbook build "$0"`, dir)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the build succeeded:\n%s", out)
	}
	if !regexp.MustCompile(`chapters/c0\.md:\d+: storing the result of c0/r0: .*file too large`).Match(out) {
		t.Errorf("the error does not say where and why:\n%s", out)
	}
	sameFiles(t, "site", snapshot(t, filepath.Join(dir, "book")), site0)
	// r1's record fits, and is stored; r0's old one must be as it was.
	r1 := func(p string, _ string) bool { return strings.HasSuffix(p, "r1.json") }
	now := snapshot(t, filepath.Join(dir, store.Dir))
	maps.DeleteFunc(now, r1)
	maps.DeleteFunc(store0, r1)
	sameFiles(t, "store", now, store0)
	checkStore(t, dir, 1)
	t.Logf("litbook said:\n%s", out)
}

// TestDiskFull publishes a site on a small tmpfs that is full: the build
// fails naming the site and the file it could not write, the old site and
// the store are as they were, and nothing of the new site is left.
func TestDiskFull(t *testing.T) {
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", disk).Run() })
	dir, tmp := filepath.Join(disk, "b"), t.TempDir()
	faultBook(t, dir, 2, 0)
	if cmd, out := litbookCmd(dir, tmp, "build"); cmd.Run() != nil {
		t.Fatalf("first build failed:\n%s", out)
	}
	site0 := snapshot(t, filepath.Join(dir, "book"))
	store0 := snapshot(t, filepath.Join(dir, store.Dir))
	for _, room := range []int64{0, 16 << 10, 64 << 10} {
		// New prose and the same runs: nothing to run or store, a site to
		// write, and room for less than a site.
		c1 := filepath.Join(dir, "chapters", "c1.md")
		src, _ := os.ReadFile(c1)
		writeFile(t, c1, string(src)+"\nMore prose.\n")
		fill(t, disk, room)
		cmd, out := litbookCmd(dir, tmp, "build")
		err := cmd.Run()
		os.Remove(filepath.Join(disk, "filler"))
		if err == nil {
			t.Fatalf("%d bytes free: the build succeeded:\n%s", room, out)
		}
		if !regexp.MustCompile(`writing the site \S+/book: write \S+/\.book\.tmp-\d+/\S+: no space left on device`).MatchString(out.String()) {
			t.Errorf("%d bytes free: the error does not say why:\n%s", room, out)
		}
		sameFiles(t, "site", snapshot(t, filepath.Join(dir, "book")), site0)
		sameFiles(t, "store", snapshot(t, filepath.Join(dir, store.Dir)), store0)
		if left, _ := filepath.Glob(filepath.Join(dir, ".book.*")); len(left) > 0 {
			t.Errorf("%d bytes free: the failed site was left beside the old one: %v", room, left)
		}
		t.Logf("%d bytes free: litbook said:\n%s", room, out)
	}
	// With room again, the build succeeds.
	if cmd, out := litbookCmd(dir, tmp, "build"); cmd.Run() != nil {
		t.Fatalf("the build with room failed:\n%s", out)
	}
}

// TestConcurrentBuilds starts ten builds of one book at once: each
// succeeds, every one that waited says for whom, the runs are run once in
// all, and the site and the store are whole.
func TestConcurrentBuilds(t *testing.T) {
	const runs, builds = 4, 10
	dir, tmp := t.TempDir(), t.TempDir()
	faultBook(t, dir, runs, 0)
	type result struct {
		err error
		out string
	}
	results := make(chan result, builds)
	for range builds {
		cmd, out := litbookCmd(dir, tmp, "build")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			err := cmd.Wait()
			results <- result{err, out.String()}
		}()
	}
	total := 0
	waitRE := regexp.MustCompile(`(?m)^waiting for litbook build \(pid \d+, since [0-9:]+\) to finish`)
	for range builds {
		r := <-results
		if r.err != nil {
			t.Errorf("a build failed: %v\n%s", r.err, r.out)
		}
		if strings.Contains(r.out, "waiting for") && !waitRE.MatchString(r.out) {
			t.Errorf("a build waited without naming the holder:\n%s", r.out)
		}
		total += ran(r.out)
	}
	if total != runs {
		t.Errorf("the builds ran %d runs in all, want each of the %d once", total, runs)
	}
	siteFiles(t, filepath.Join(dir, "book"))
	if n := checkStore(t, dir, 0); n != runs {
		t.Errorf("the store holds %d records, want %d", n, runs)
	}
}

// TestGigabyteOfOutput builds a book whose run prints a gigabyte: the
// build succeeds, counts every byte, and litbook's peak memory stays far
// below what holding the output would take.
func TestGigabyteOfOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("prints a gigabyte")
	}
	dir, tmp := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\n```console run=flood timeout=5m\n$ head -c 1000000000 /dev/zero\n```\n")
	cmd, out := litbookCmd(dir, tmp, "build")
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	t.Logf("peak RSS of litbook build with 1 GB of output: %d MiB", peak>>20)
	if page, _ := os.ReadFile(filepath.Join(dir, "book", "a.html")); !bytes.Contains(page, []byte("1,000,000,000")) {
		t.Errorf("the page does not count the gigabyte")
	}
	// The race detector multiplies litbook's own memory; a gigabyte
	// buffered would exceed this in any case.
	if peak > 400<<20 {
		t.Errorf("peak RSS %d MiB", peak>>20)
	}
}

// TestBuildMemoryPerRun builds, in fresh processes, a book whose run prints
// nothing and the attack report's books: one run of 40 commands printing
// 6 MB each, and one run of 30 trials printing 6 MB each. A run keeps
// output-limit bytes of output in all, so litbook's peak RSS (build, then
// a rebuild with nothing changed, which loads the records) must stay near
// the quiet book's; it was 1.1 GiB and 891 MiB for 40 commands.
func TestBuildMemoryPerRun(t *testing.T) {
	if testing.Short() {
		t.Skip("prints about 400 MB")
	}
	const sixMB = "$ yes abcdefghijklmnopqrstuvwxyz | head -c 3000000; yes 0123456789 | head -c 3000000 >&2\n"
	books := map[string]string{
		"quiet":       "```console run=q\n$ true\n```\n",
		"40 commands": "```console run=many timeout=2m\n" + strings.Repeat(sixMB, 40) + "```\n",
		"30 trials":   "```console run=many timeout=2m trials=30\n" + sixMB + "```\n",
	}
	peak := func(name string) (build, rebuild int64) {
		dir, tmp := t.TempDir(), t.TempDir()
		writeFile(t, filepath.Join(dir, "book.toml"), "[book]\n")
		writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\n"+books[name])
		for i, p := range []*int64{&build, &rebuild} {
			cmd, out := litbookCmd(dir, tmp, "build")
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s, build %d: %v\n%s", name, i+1, err, out)
			}
			*p = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
		}
		return build, rebuild
	}
	slack := int64(buildMemorySlack)
	if raceEnabled {
		slack *= 4
	}
	qb, qr := peak("quiet")
	t.Logf("quiet book: peak RSS %d MiB (build), %d MiB (rebuild)", qb>>20, qr>>20)
	for _, name := range []string{"40 commands", "30 trials"} {
		b, r := peak(name)
		t.Logf("%s of 6 MB: peak RSS %d MiB (build), %d MiB (rebuild)", name, b>>20, r>>20)
		if b-qb > slack || r-qr > slack {
			t.Errorf("%s of 6 MB: peak RSS %d MiB and %d MiB, more than %d MiB above the quiet book's", name, b>>20, r>>20, slack>>20)
		}
	}
}

// buildMemorySlack is how much more memory litbook may take to build, or
// rebuild, a book whose one run prints 240 MB than one whose run prints
// nothing; the race detector multiplies it by 4. The README's "Limits of a
// run" says so.
const buildMemorySlack = 32 << 20

// TestKill9MidCompile kills litbook with SIGKILL while go build compiles
// the book's programs: go build must die with it (left running, it would
// go on writing binaries into the work directory that the next build is
// building in, and that build's runs could execute a stale program), and
// the next build removes go build's work directory.
func TestKill9MidCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build with an empty cache")
	}
	dir, tmp := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\n```go program=slow\npackage main\n\nimport (\n\t_ \"net/http\"\n\t_ \"encoding/xml\"\n)\n\nfunc main() {}\n```\n\n```console run=slow\n$ slow\n```\n")
	bin := filepath.Join(dir, ".litbook", "bin")
	cmd, out := litbookCmd(dir, tmp, "build")
	cmd.Env = append(cmd.Env, "GOCACHE="+t.TempDir()) // nothing cached: compiling takes a while
	// go build's compilers, and go build itself should the test fail.
	t.Cleanup(func() {
		for _, s := range []string{bin, tmp} {
			for _, pid := range processesWith(s) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(100 * time.Millisecond)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); len(processesWith(tmp)) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("go build never started compiling:\n%s", out)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	// go build's command line names the binaries' directory; its
	// compilers', the work directory in tmp. Those finish the package
	// they are compiling and stop: no go build is left to start more.
	for deadline := time.Now().Add(10 * time.Second); len(processesWith(bin)) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("go build outlived litbook by 10 s: %v", processesWith(bin))
		}
	}
	// The next build, with the build cache, removes the killed build's go
	// work directory.
	next, out := litbookCmd(dir, tmp, "build")
	if err := next.Run(); err != nil {
		t.Fatalf("the build after the kill failed: %v\n%s", err, out)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "litbook-run-*")); len(left) > 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
}
