package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litbook/litbook/site"
)

// rawGet sends request line by line as written, over a plain TCP
// connection: net/http's client would clean the path first.
func rawGet(t *testing.T, s *served, requestLine string) (status int, body string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "%s\r\nHost: localhost\r\nConnection: close\r\n\r\n", requestLine)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: %v", requestLine, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// TestServeNothingOutside asks for files outside the build directory in
// every way a path can say so, and through symbolic links planted in it.
func TestServeNothingOutside(t *testing.T) {
	dir := t.TempDir()
	const secret = "the-secret-outside-the-site"
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Walls\"\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\nInside.\n")
	writeFile(t, filepath.Join(dir, "secret.txt"), secret)
	outside := filepath.Join(t.TempDir(), "secret.txt")
	writeFile(t, outside, secret)
	s := startServe(t, dir, "-addr", ":0") // an empty host: loopback
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Errorf("-addr :0 listens at %s, want 127.0.0.1", s.url)
	}
	site := filepath.Join(dir, "book")
	for name, target := range map[string]string{"rel.txt": "../secret.txt", "abs.txt": outside, "up": ".."} {
		if err := os.Symlink(target, filepath.Join(site, name)); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := rawGet(t, s, "GET /a.html HTTP/1.1"); code != 200 || !strings.Contains(body, "Inside.") {
		t.Fatalf("GET /a.html: %d", code)
	}
	for _, path := range []string{
		"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
		"//../secret.txt", "/a/../../secret.txt", "/./../secret.txt", "/..\\secret.txt", "/%2e%2e%5csecret.txt",
		"/rel.txt", "/abs.txt", "/up/secret.txt", "/up/book/a.html",
		"../secret.txt", "http://localhost/../secret.txt",
	} {
		code, body := rawGet(t, s, "GET "+path+" HTTP/1.1")
		if strings.Contains(body, secret) || code == 200 && !strings.Contains(body, "Page not found") {
			t.Errorf("GET %s: %d, served something outside the site:\n%.200s", path, code, body)
		}
	}
	s.stop(t)
}

func TestServeEventsOnlyGet(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Methods\"\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n")
	s := startServe(t, dir)
	// A server that streams events to any method must fail the test, not
	// hang it.
	client := &http.Client{Timeout: 10 * time.Second}
	for _, m := range []string{"POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"} {
		req, _ := http.NewRequest(m, s.url+eventsPath, strings.NewReader("x"))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET" {
			t.Errorf("%s %s: %d, Allow %q; want 405 and GET", m, eventsPath, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	if code, _ := rawGet(t, s, "POST /a.html HTTP/1.1"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /a.html: %d, want 405", code)
	}
	s.stop(t)
}

// TestServeManyPages connects 300 pages to the event stream: each gets the
// state, each is told about the next build, and pages are still served.
func TestServeManyPages(t *testing.T) {
	const pages = 300
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Crowd\"\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\nOne.\n")
	s := startServe(t, dir)
	var wg sync.WaitGroup
	connected := make(chan bool, pages)
	told := make(chan bool, pages)
	for range pages {
		wg.Go(func() {
			conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
			if err != nil {
				connected <- false
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(90 * time.Second))
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n", eventsPath)
			sc := bufio.NewScanner(conn)
			states := 0
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "data: ") {
					states++
					if states == 1 {
						connected <- true
					} else {
						told <- true
						return
					}
				}
			}
			if states == 0 {
				connected <- false
			}
		})
	}
	for range pages {
		if !<-connected {
			t.Fatalf("a page could not connect to the event stream; stderr:\n%s", s.stderr)
		}
	}
	if code, body := s.get(t, "/a.html"); code != 200 || !strings.Contains(body, "One.") {
		t.Errorf("with %d pages connected, GET /a.html: %d", pages, code)
	}
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\nTwo.\n")
	wg.Wait()
	if n := len(told); n != pages {
		t.Errorf("%d of %d pages were told about the rebuild", n, pages)
	}
	s.stop(t)
}

// TestServeBurstOneRebuild saves 100 chapters at once, as an editor's
// "save all" or a git checkout does, and counts the rebuilds: one per
// quiet spell of the debounce, so one for a burst with no pause as long as
// the debounce in it. On a slow machine where some writes are further
// apart than that, each such pause may add one rebuild, and no more: a
// broken debounce (a build per event) fails on any machine.
func TestServeBurstOneRebuild(t *testing.T) {
	const files = 100
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Burst\"\n")
	for i := range files {
		writeFile(t, filepath.Join(dir, "chapters", fmt.Sprintf("c%03d.md", i)), fmt.Sprintf("# C%d\n", i))
	}
	s := startServe(t, dir)
	builds := func() int { return strings.Count(s.stderr.String(), "litbook serve: built in") }
	waitBuilds := func(n int, what string) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); builds() < n; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d builds, want %d; stderr:\n%s", what, builds(), n, s.stderr)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// stderr reaches the test through a pipe of its own, maybe after the
	// address on stdout.
	waitBuilds(1, "at start")
	pauses := 0 // gaps between writes as long as the debounce
	last := time.Now()
	for i := range files {
		writeFile(t, filepath.Join(dir, "chapters", fmt.Sprintf("c%03d.md", i)), fmt.Sprintf("# C%d\n\nEdited.\n", i))
		now := time.Now()
		if i > 0 && now.Sub(last) >= debounce {
			pauses++
		}
		last = now
	}
	waitBuilds(2, "after the burst")
	// Then one more change, after the burst's rebuilds: once its page is
	// served, every build the burst caused has been counted.
	for deadline := time.Now().Add(60 * time.Second); ; {
		if _, page := s.get(t, "/c099.html"); strings.Contains(page, "Edited.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rebuild missed the last file written; stderr:\n%s", s.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := builds()
	writeFile(t, filepath.Join(dir, "chapters", "c000.md"), "# C0\n\nSentinel.\n")
	waitBuilds(before+1, "after the sentinel")
	for deadline := time.Now().Add(60 * time.Second); ; {
		if _, page := s.get(t, "/c000.html"); strings.Contains(page, "Sentinel.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sentinel's rebuild did not publish it; stderr:\n%s", s.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := builds() - 2; n < 1 || n > 1+pauses {
		t.Errorf("saving %d files with %d pauses of %s or more caused %d rebuilds, want 1 to %d; stderr:\n%s", files, pauses, debounce, n, 1+pauses, s.stderr)
	}
	s.stop(t)
}

// TestServeLoopbackByDefault: without -addr, or with a port alone, serve
// listens on the loopback interface only.
func TestServeLoopbackByDefault(t *testing.T) {
	o := cmdServe.Flags(flag.NewFlagSet("serve", flag.ContinueOnError))
	for _, addr := range []string{o.addr, ":3000", ":0"} {
		got, err := listenAddr(addr)
		if err != nil {
			t.Fatal(err)
		}
		host, _, _ := net.SplitHostPort(got)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			t.Errorf("-addr %q listens on %s, not on loopback", addr, got)
		}
	}
}

// TestServeEditDuringFirstBuild edits a chapter while serve's first build
// runs (its run waits for the test's signal, a file): the edit must reach
// the served site, without another change to the file (F10).
func TestServeEditDuringFirstBuild(t *testing.T) {
	dir := t.TempDir()
	// The signals are outside /tmp, which is the run's own where runs are
	// isolated.
	signals := t.TempDir()
	if d, err := os.MkdirTemp("/dev/shm", "litbook-test-"); err == nil {
		signals = d
		t.Cleanup(func() { os.RemoveAll(d) })
	}
	started, proceed := filepath.Join(signals, "started"), filepath.Join(signals, "proceed")
	chapter := filepath.Join(dir, "chapters", "a.md")
	run := fmt.Sprintf("```console run=wait timeout=2m\n$ touch %s; while [ ! -e %s ]; do sleep 0.01; done; echo first\n```\n", started, proceed)
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Edit\"\n")
	writeFile(t, chapter, "# A\n\nBefore.\n\n"+run)
	cmd := exec.Command("litbook", "serve", "-addr", "127.0.0.1:0", dir)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first build's run never started; stderr:\n%s", stderr)
		}
	}
	// The chapter has been read: this edit comes after, during the build.
	saveByRename(t, chapter, "# A\n\nEdited during the first build.\n\n"+run)
	writeFile(t, proceed, "")
	line, err := bufio.NewReader(stdout).ReadString('\n')
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "serving ")
	if !ok {
		t.Fatalf("serve printed %q (%v); stderr:\n%s", line, err, stderr)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	s := &served{url: strings.TrimSuffix(u, "/"), stderr: stderr}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, page := s.get(t, "/a.html"); strings.Contains(page, "Edited during the first build.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edit made during the first build never reached the site; stderr:\n%s", stderr)
		}
	}
}

// TestServeChecksHost: serve answers only requests that name the address
// it listens on, so that a page of another site whose name an attacker
// made resolve to 127.0.0.1 (DNS rebinding) cannot read the book; and the
// site's marker file is not found, as any file the book does not have.
func TestServeChecksHost(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\ntitle = \"Hosts\"\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\nInside.\n")
	s := startServe(t, dir)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.url, "http://"))
	get := func(host, path string) (int, string) {
		req, err := http.NewRequest("GET", s.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for host, want := range map[string]int{
		"127.0.0.1:" + port:        200,
		"localhost:" + port:        200,
		"LOCALHOST":                200,
		"[::1]:" + port:            200,
		"127.0.0.2:" + port:        200,
		"evil.example:" + port:     http.StatusMisdirectedRequest,
		"evil.example":             http.StatusMisdirectedRequest,
		"localhost.evil.example":   http.StatusMisdirectedRequest,
		"192.168.1.10:" + port:     http.StatusMisdirectedRequest,
		"127.0.0.1.evil.example:1": http.StatusMisdirectedRequest,
	} {
		code, body := get(host, "/a.html")
		if code != want || code == 200 && !strings.Contains(body, "Inside.") || code != 200 && strings.Contains(body, "Inside.") {
			t.Errorf("GET /a.html with Host %q: %d, want %d", host, code, want)
		}
	}
	if code, body := get("127.0.0.1:"+port, "/"+site.MarkerFile); code != http.StatusNotFound || !strings.Contains(body, "Page not found") {
		t.Errorf("GET /%s on a built site: %d, want 404 and the site's not-found page:\n%.300s", site.MarkerFile, code, body)
	}
	s.stop(t)
}

// TestAllowedHosts checks the Host rule for the kinds of address serve may
// listen on.
func TestAllowedHosts(t *testing.T) {
	hostname, _ := os.Hostname()
	for _, tc := range []struct {
		addr string
		yes  []string
		no   []string
	}{
		{"127.0.0.1:3000", []string{"127.0.0.1:3000", "localhost", "[::1]:3000"}, []string{"evil.example", "10.0.0.1"}},
		{"[::1]:3000", []string{"[::1]:3000", "localhost:3000", "127.0.0.1"}, []string{"evil.example"}},
		{"192.168.1.5:3000", []string{"192.168.1.5:3000"}, []string{"localhost", "evil.example", "192.168.1.6"}},
		{"0.0.0.0:3000", []string{"192.168.1.5:3000", "localhost", "[fe80::1]:3000", hostname, hostname + ".lan:3000"}, []string{"evil.example", hostname + "x"}},
	} {
		ok := allowedHosts(tc.addr)
		for _, h := range tc.yes {
			if !ok(h) {
				t.Errorf("listening on %s, Host %q is refused", tc.addr, h)
			}
		}
		for _, h := range tc.no {
			if ok(h) {
				t.Errorf("listening on %s, Host %q is accepted", tc.addr, h)
			}
		}
	}
}
