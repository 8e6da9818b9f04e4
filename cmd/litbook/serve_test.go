package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// served is a litbook serve process under test.
type served struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT
	stderr *lockedBuffer
	done   chan error
}

// startServe starts "litbook serve" on a free port for the book in dir, as
// a real process (testscript's Main put litbook on PATH), and waits until
// it listens.
func startServe(t *testing.T, dir string, args ...string) *served {
	t.Helper()
	cmd := exec.Command("litbook", append(append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), dir)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.done <- cmd.Wait()
	}()
	select {
	case l := <-line:
		u, ok := strings.CutPrefix(l, "serving ")
		if !ok {
			t.Fatalf("serve printed %q first", l)
		}
		s.url = strings.TrimSuffix(u, "/")
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start; stderr:\n%s", s.stderr)
	}
	return s
}

// stop sends SIGINT, as Ctrl-C does, and waits for serve to exit.
func (s *served) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGINT; stderr:\n%s", err, s.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not stop within 15 s of SIGINT; stderr:\n%s", s.stderr)
	}
}

func (s *served) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// events follows serve's event stream.
type events struct {
	states chan state
	body   io.Closer
}

func (s *served) events(t *testing.T) *events {
	t.Helper()
	resp, err := http.Get(s.url + eventsPath)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: Content-Type %q", ct)
	}
	ev := &events{states: make(chan state, 16), body: resp.Body}
	t.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(ev.states)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var st state
				if json.Unmarshal([]byte(data), &st) == nil {
					ev.states <- st
				}
			}
		}
	}()
	return ev
}

// next returns the next state, failing after a while.
func (ev *events) next(t *testing.T, s *served, what string) state {
	t.Helper()
	select {
	case st, ok := <-ev.states:
		if !ok {
			t.Fatalf("%s: the event stream ended; stderr:\n%s", what, s.stderr)
		}
		return st
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: no event within 60 s; stderr:\n%s", what, s.stderr)
	}
	return state{}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// saveByRename writes name the way many editors do: a new file renamed
// over the old one.
func saveByRename(t *testing.T, name, content string) {
	t.Helper()
	tmp := name + ".tmp~"
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

func TestServeRebuildsAndReports(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Served\"\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\nFirst words.\n\n## Two\n\nSee [B](b.md).\n")
	writeFile(t, filepath.Join(dir, "chapters", "b.md"), "# B\n\nBee.\n")
	s := startServe(t, dir)

	code, page := s.get(t, "/a.html")
	if code != 200 || !strings.Contains(page, "First words.") || !strings.Contains(page, `<script src="/.litbook/live.js" data-digest="`) {
		t.Fatalf("GET /a.html: %d\n%s", code, page)
	}
	if code, _ := s.get(t, "/"); code != 200 {
		t.Errorf("GET /: %d", code)
	}
	if code, page := s.get(t, "/no-such-page.html"); code != 404 || !strings.Contains(page, "Page not found") {
		t.Errorf("GET a missing page: %d, want 404 and the not-found page", code)
	}
	if code, _ := s.get(t, "/"+"style.css"); code != 200 {
		t.Errorf("GET /style.css: %d", code)
	}

	ev := s.events(t)
	first := ev.next(t, s, "on connecting")
	if first.Digest == "" || len(first.Errors) != 0 {
		t.Fatalf("first state %+v, want a digest and no errors", first)
	}

	// A broken link: the build fails, the last good page stays, and the
	// error comes with its position.
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\nSecond words.\n\n## Two\n\nSee [B](b.md#nowhere).\n")
	st := ev.next(t, s, "after breaking a link")
	if len(st.Errors) != 1 || st.Errors[0].Pos != "chapters/a.md:7" || !strings.Contains(st.Errors[0].Msg, "no anchor #nowhere") {
		t.Fatalf("state after a broken link: %+v", st)
	}
	if st.Digest != first.Digest {
		t.Errorf("a failed build changed the digest")
	}
	if _, page := s.get(t, "/a.html"); !strings.Contains(page, "First words.") {
		t.Errorf("after a failed build, /a.html is not the last good page")
	}

	// Fixed, saved by rename: the error clears and the site changes.
	saveByRename(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\nThird words.\n\n![a dot](img/dot.svg)\n")
	st = ev.next(t, s, "after fixing the link")
	for len(st.Errors) == 0 && st.Digest == first.Digest {
		st = ev.next(t, s, "after fixing the link")
	}
	// The image does not exist yet.
	if len(st.Errors) != 1 || !strings.Contains(st.Errors[0].Msg, "img/dot.svg does not exist") {
		t.Fatalf("state with a missing image: %+v", st)
	}

	// A new directory, and a file in it: watched, and the build succeeds.
	writeFile(t, filepath.Join(dir, "chapters", "img", "dot.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
	st = ev.next(t, s, "after adding the image")
	for len(st.Errors) != 0 {
		st = ev.next(t, s, "after adding the image")
	}
	if st.Digest == first.Digest {
		t.Fatalf("the site did not change")
	}
	if _, page := s.get(t, "/a.html"); !strings.Contains(page, "Third words.") || !strings.Contains(page, "files/chapters/img/dot.svg") {
		t.Errorf("/a.html is not the new page")
	}
	if code, _ := s.get(t, "/files/chapters/img/dot.svg"); code != 200 {
		t.Errorf("GET the copied image: %d", code)
	}
	// A directory without an index: redirected once, then not found.
	if code, _ := s.get(t, "/files/chapters"); code != 404 {
		t.Errorf("GET /files/chapters: %d, want 404", code)
	}

	// A change to the linked file alone rebuilds too.
	writeFile(t, filepath.Join(dir, "chapters", "img", "dot.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"1\"/></svg>")
	if st2 := ev.next(t, s, "after changing the image"); st2.Digest == st.Digest {
		t.Errorf("changing a linked file did not change the site")
	}
	s.stop(t)
}

func TestServeAddr(t *testing.T) {
	for addr, want := range map[string]string{
		":4000":          "127.0.0.1:4000",
		"127.0.0.1:3000": "127.0.0.1:3000",
		"0.0.0.0:80":     "0.0.0.0:80",
		"[::1]:3000":     "[::1]:3000",
	} {
		if got, err := listenAddr(addr); err != nil || got != want {
			t.Errorf("listenAddr(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := listenAddr("3000"); err == nil {
		t.Error("listenAddr(\"3000\") accepted a port without a colon")
	}
}

// TestServeStopsEverything starts serve on a book whose run sleeps, sends
// SIGINT while the run is running, and checks that serve exits and leaves
// no process behind.
func TestServeStopsEverything(t *testing.T) {
	dir := t.TempDir()
	marker := "litbook-serve-test-" + strconv.Itoa(os.Getpid())
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Slow\"\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\n```console run timeout=5m\n$ sh -c 'sleep 300; : "+marker+"' &\n$ sleep 301\n```\n")
	cmd := exec.Command("litbook", "serve", "-addr", "127.0.0.1:0", dir)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for len(processesWith(marker)) == 0 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the run never started; stderr:\n%s", stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("serve did not stop within 20 s of SIGINT; stderr:\n%s", stderr)
	}
	if left := processesWith(marker); len(left) > 0 {
		t.Errorf("processes left after serve stopped: %v", left)
	}
}

// processesWith returns the pids of processes whose command line holds s.
func processesWith(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestServeFrozen: serve -frozen runs nothing. On a book with no stored
// results it reports each run that has none, at its line; once a build has
// stored them, it serves the pages from them, and an edit to a run block
// (which has no stored result then) is reported, not run.
func TestServeFrozen(t *testing.T) {
	dir := writeBrowserBook(t)
	s := startServe(t, dir, "-frozen")
	st := s.events(t).next(t, s, "on connecting")
	if len(st.Errors) != 1 || st.Errors[0].Pos != "chapters/02-b.md:13" {
		t.Fatalf("serve -frozen without results: %+v, want one error at the run; stderr:\n%s", st, s.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "results")); err == nil {
		t.Error("serve -frozen stored results: it ran something")
	}
	s.stop(t)

	build(t, dir)
	s = startServe(t, dir, "-frozen")
	ev := s.events(t)
	if st := ev.next(t, s, "on connecting"); len(st.Errors) != 0 {
		t.Fatalf("serve -frozen with stored results: %+v", st)
	}
	if _, page := s.get(t, "/02-b.html"); !strings.Contains(page, "glimmer7734") {
		t.Error("the page does not show the stored output")
	}
	writeFile(t, filepath.Join(dir, "chapters", "02-b.md"), strings.Replace(browserBook["chapters/02-b.md"], "glimmer 7734", "glimmer 7735", 1))
	st = ev.next(t, s, "after editing the run")
	if len(st.Errors) != 1 || st.Errors[0].Pos != "chapters/02-b.md:13" {
		t.Errorf("after editing a run under -frozen: %+v, want one error at the run", st)
	}
	if strings.Contains(s.stderr.String(), "glimmer7735") {
		t.Error("serve -frozen ran the edited run")
	}
	s.stop(t)
}

// TestServeRebuildsOnRunInputs: a file that a run copies (files=), here
// in a directory outside chapters/, is watched: editing it reruns the run.
func TestServeRebuildsOnRunInputs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Inputs\"\n")
	writeFile(t, filepath.Join(dir, "data", "sub", "x.txt"), "first input\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\n```console run=r files=../data\n$ cat data/sub/x.txt\n```\n")
	s := startServe(t, dir)
	if _, page := s.get(t, "/a.html"); !strings.Contains(page, "first input") {
		t.Fatalf("/a.html lacks the run's output:\n%s", page)
	}
	ev := s.events(t)
	first := ev.next(t, s, "on connecting")
	writeFile(t, filepath.Join(dir, "data", "sub", "x.txt"), "second input\n")
	st := ev.next(t, s, "after editing the run's input")
	if len(st.Errors) != 0 || st.Digest == first.Digest {
		t.Fatalf("state after editing the run's input: %+v", st)
	}
	if _, page := s.get(t, "/a.html"); !strings.Contains(page, "second input") {
		t.Errorf("/a.html does not show the run's new output")
	}
	s.stop(t)
}

// TestServeSiteEqualsBuild edits a book under serve, which parses and
// draws again only what each edit changes, and after every edit compares
// the site serve publishes with the one litbook build writes from scratch
// into another directory: they must be the same, file for file and byte
// for byte. The edits change one chapter's prose, a figure number that
// another chapter's cross-reference shows, and a title that the next
// chapter's pager and the sidebar show.
func TestServeSiteEqualsBuild(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Same\"\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\n## Start\n\nSee [](b.md#fig-two) and [the end](b.md#the-end).\n")
	writeFile(t, filepath.Join(dir, "chapters", "b.md"), "# B\n\n![one](d.svg)\n\nFigure: One. {#fig-one}\n\n![two](d.svg)\n\nFigure: Two. {#fig-two}\n\n## The end\n\nBack to [A](a.md#start).\n")
	writeFile(t, filepath.Join(dir, "chapters", "c.md"), "# C\n\nPlain prose.\n")
	writeFile(t, filepath.Join(dir, "chapters", "d.svg"), `<svg xmlns="http://www.w3.org/2000/svg"/>`)
	s := startServe(t, dir)
	ev := s.events(t)
	digest := ev.next(t, s, "on connecting").Digest
	compare := func(what string) {
		t.Helper()
		full := filepath.Join(t.TempDir(), "full")
		if out, err := exec.Command("litbook", "build", "-d", full, dir).CombinedOutput(); err != nil {
			t.Fatalf("%s: litbook build: %v\n%s", what, err, out)
		}
		served, built := readTree(t, filepath.Join(dir, "book")), readTree(t, full)
		for name, data := range built {
			if other, ok := served[name]; !ok || !bytes.Equal(data, other) {
				t.Errorf("%s: serve's %s differs from build's (or is missing)", what, name)
			}
		}
		for name := range served {
			if _, ok := built[name]; !ok {
				t.Errorf("%s: serve's site has %s, which build's has not", what, name)
			}
		}
	}
	edit := func(what, name, content string) {
		t.Helper()
		writeFile(t, filepath.Join(dir, "chapters", name), content)
		for {
			st := ev.next(t, s, what)
			if len(st.Errors) > 0 {
				t.Fatalf("%s: %+v", what, st.Errors)
			}
			if st.Digest != digest {
				digest = st.Digest
				break
			}
		}
		compare(what)
	}
	compare("first build")
	edit("prose", "c.md", "# C\n\nPlain prose, edited.\n")
	edit("a figure number", "b.md", "# B\n\n![zero](d.svg)\n\nFigure: Zero. {#fig-zero}\n\n![one](d.svg)\n\nFigure: One. {#fig-one}\n\n![two](d.svg)\n\nFigure: Two. {#fig-two}\n\n## The end\n\nBack to [A](a.md#start).\n")
	edit("a title", "b.md", "# Bee\n\n![zero](d.svg)\n\nFigure: Zero. {#fig-zero}\n\n![one](d.svg)\n\nFigure: One. {#fig-one}\n\n![two](d.svg)\n\nFigure: Two. {#fig-two}\n\n## The end\n\nBack to [A](a.md#start).\n")
	s.stop(t)
}

// readTree returns every file under dir by its path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
