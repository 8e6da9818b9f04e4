package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/litbook/litbook/internal/benchfig"
)

// serveBench measures edit-to-reload under litbook serve and hugo server
// on the corpus in book (and its Hugo site in book/hugo), edits times
// each, alternating: an edit appends a line to the middle chapter, and
// the time is from the moment the write returns to the moment an open page
// would be told to reload:
//
//   - litbook: the next "state" event on serve's event stream
//     (/.litbook/events, as live.js reads it) whose digest differs from
//     the last one, which serve sends once the new site is in place;
//   - Hugo: the next "reload" message on hugo server's LiveReload
//     websocket (/livereload, as livereload.js reads it). Hugo renders to
//     memory (its default) and runs twice, on two copies of the site: with
//     --disableFastRender, so that, like litbook, it brings every page up
//     to date; and with its default fast render, which renders again only
//     the pages a browser visited lately (none here) and the changed one.
//
// All three servers run throughout, each on its own files; only one is
// ever rebuilding.
func serveBench(fig *benchfig.File, litbook, hugo, book string, n, edits int) error {
	mid := pad(n/2+1, n)
	fast := filepath.Join(book, "hugo-fast")
	if err := copyTree(filepath.Join(book, "hugo"), fast); err != nil {
		return err
	}
	lit, err := startLitbook(litbook, book)
	if err != nil {
		return err
	}
	defer lit.stop()
	hs, err := startHugo(hugo, filepath.Join(book, "hugo"), "--disableFastRender")
	if err != nil {
		return err
	}
	defer hs.stop()
	hf, err := startHugo(hugo, fast)
	if err != nil {
		return err
	}
	defer hf.stop()
	servers := []struct {
		name, file string
		s          *server
		times      []time.Duration
	}{
		{name: "litbook serve", file: filepath.Join(book, "chapters", "ch"+mid+".md"), s: lit},
		{name: "hugo server --disableFastRender", file: filepath.Join(book, "hugo", "content", "ch"+mid+".md"), s: hs},
		{name: "hugo server (fast render)", file: filepath.Join(fast, "content", "ch"+mid+".md"), s: hf},
	}
	for i := range edits {
		var line []string
		for j := range servers {
			sv := &servers[j]
			d, err := timeEdit(sv.file, i, sv.s.reload)
			if err != nil {
				return fmt.Errorf("%s: %w\n%s", sv.name, err, sv.s.log.String())
			}
			sv.times = append(sv.times, d)
			line = append(line, fmt.Sprintf("%s %s", sv.name, ms(d)))
		}
		fmt.Fprintf(os.Stderr, "edit %d/%d: %s\n", i+1, edits, strings.Join(line, ", "))
	}
	for j := range servers {
		slices.Sort(servers[j].times)
	}
	lt, ht, ft := servers[0].times, servers[1].times, servers[2].times
	lm, hm, fm := benchfig.Median(lt), benchfig.Median(ht), benchfig.Median(ft)
	fmt.Printf("\nedit to reload, %d chapters, %d edits each, %d CPUs\n", n, edits, runtime.NumCPU())
	fmt.Printf("%-34s %10s %10s %10s\n", "server", "median", "fastest", "slowest")
	for _, sv := range servers {
		fmt.Printf("%-34s %10s %10s %10s\n", sv.name, ms(benchfig.Median(sv.times)), ms(sv.times[0]), ms(sv.times[len(sv.times)-1]))
	}
	fmt.Printf("\nedit-to-reload median litbook:                %s   (target <= 100ms)\n", ms(lm))
	fmt.Printf("ratio litbook / hugo --disableFastRender:     %.3f\n", float64(lm)/float64(hm))
	fmt.Printf("ratio litbook / hugo fast render:             %.3f\n", float64(lm)/float64(fm))
	fig.Figures = map[string]float64{
		"chapters": float64(n), "edits": float64(edits),
		"litbook_ms": msf(lm), "litbook_min_ms": msf(lt[0]), "litbook_max_ms": msf(lt[len(lt)-1]),
		"hugo_ms": msf(hm), "hugo_min_ms": msf(ht[0]), "hugo_max_ms": msf(ht[len(ht)-1]),
		"hugo_fast_ms": msf(fm), "hugo_fast_min_ms": msf(ft[0]), "hugo_fast_max_ms": msf(ft[len(ft)-1]),
		"ratio": float64(lm) / float64(hm), "ratio_fast": float64(lm) / float64(fm),
	}
	return nil
}

// copyTree copies the directory src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// timeEdit appends a line to file and returns how long reload took to
// report the change.
func timeEdit(file string, i int, reload func(deadline time.Time) error) (time.Duration, error) {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	_, err = fmt.Fprintf(f, "\nAn edit, number %d.\n", i+1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := reload(start.Add(time.Minute)); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// server is a server the benchmark started, and how to hear its reloads.
type server struct {
	cmd    *exec.Cmd
	log    *strings.Builder
	reload func(deadline time.Time) error
	conn   io.Closer
}

func (s *server) stop() {
	if s.conn != nil {
		s.conn.Close()
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// start starts cmd and returns once a line of its output contains ready,
// with the line.
func start(cmd *exec.Cmd, ready string) (*server, string, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = cmd.Stdout
	s := &server{cmd: cmd, log: &strings.Builder{}}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		found := false
		for sc.Scan() {
			if !found && strings.Contains(sc.Text(), ready) {
				found = true
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	select {
	case line, ok := <-lines:
		if ok {
			return s, line, nil
		}
	case <-time.After(5 * time.Minute):
	}
	s.stop()
	return nil, "", fmt.Errorf("%s did not say %q", cmd.Path, ready)
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startLitbook starts litbook serve on book and opens its event stream.
func startLitbook(litbook, book string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s, _, err := start(exec.Command(litbook, "serve", "-addr", addr, book), "serving http://")
	if err != nil {
		return nil, err
	}
	resp, err := http.Get("http://" + addr + "/.litbook/events")
	if err != nil {
		s.stop()
		return nil, err
	}
	s.conn = resp.Body
	r := bufio.NewReader(resp.Body)
	// event reads the next state event's digest.
	event := func() (string, error) {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return "", err
			}
			if data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: "); ok {
				var st struct {
					Digest string
					Errors []any
				}
				if err := json.Unmarshal([]byte(data), &st); err != nil {
					return "", err
				}
				if len(st.Errors) > 0 {
					return "", fmt.Errorf("the build failed: %s", data)
				}
				return st.Digest, nil
			}
		}
	}
	digest, err := event()
	if err != nil {
		s.stop()
		return nil, err
	}
	s.reload = reloads(event, func(d string) bool {
		changed := d != digest
		digest = d
		return changed
	})
	return s, nil
}

// reloads returns a server's reload function: it waits, until a
// deadline, for the next message that next reads (in a goroutine of its
// own, from now on) for which isReload is true.
func reloads(next func() (string, error), isReload func(string) bool) func(deadline time.Time) error {
	msgs := make(chan string)
	errs := make(chan error, 1)
	go func() {
		for {
			m, err := next()
			if err != nil {
				errs <- err
				return
			}
			msgs <- m
		}
	}()
	return func(deadline time.Time) error {
		for {
			select {
			case m := <-msgs:
				if isReload(m) {
					return nil
				}
			case err := <-errs:
				return err
			case <-time.After(time.Until(deadline)):
				return errors.New("no reload within a minute")
			}
		}
	}
}

// startHugo starts hugo server on site and opens its LiveReload websocket.
func startHugo(hugo, site string, flags ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(hugo, append([]string{"server", "-s", site, "--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--appendPort=true"}, flags...)...)
	cmd.Env = append(os.Environ(), "HUGO_CACHEDIR="+filepath.Join(site, ".hugo-cache"))
	s, _, err := start(cmd, "Web Server is available at")
	if err != nil {
		return nil, err
	}
	conn, err := dialWebsocket(fmt.Sprintf("127.0.0.1:%d", port), "/livereload")
	if err != nil {
		s.stop()
		return nil, err
	}
	s.conn = conn
	if err := writeText(conn, `{"command":"hello","protocols":["http://livereload.com/protocols/official-7"]}`); err != nil {
		s.stop()
		return nil, err
	}
	r := bufio.NewReader(conn)
	s.reload = reloads(func() (string, error) { return readFrame(r) }, func(m string) bool {
		var msg struct{ Command string }
		return json.Unmarshal([]byte(m), &msg) == nil && msg.Command == "reload"
	})
	return s, nil
}

// dialWebsocket opens a websocket (RFC 6455) to path on addr: enough of a
// client for LiveReload's text messages.
func dialWebsocket(addr, path string) (net.Conn, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: http://%s\r\n\r\n", path, addr, base64.StdEncoding.EncodeToString(key), addr)
	// Read the response's header byte by byte, so that no frame is
	// buffered away.
	var head []byte
	b := make([]byte, 1)
	for !strings.HasSuffix(string(head), "\r\n\r\n") {
		if _, err := conn.Read(b); err != nil {
			conn.Close()
			return nil, err
		}
		head = append(head, b[0])
	}
	if !strings.Contains(strings.SplitN(string(head), "\r\n", 2)[0], " 101 ") {
		conn.Close()
		return nil, fmt.Errorf("websocket %s: %s", path, strings.SplitN(string(head), "\r\n", 2)[0])
	}
	return conn, nil
}

// writeText sends a masked text frame, as a client must.
func writeText(w io.Writer, s string) error {
	frame := []byte{0x81}
	n := len(s)
	switch {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n < 1<<16:
		frame = append(frame, 0x80|126, byte(n>>8), byte(n))
	default:
		return errors.New("message too long")
	}
	mask := make([]byte, 4)
	_, _ = rand.Read(mask)
	frame = append(frame, mask...)
	for i := range n {
		frame = append(frame, s[i]^mask[i%4])
	}
	_, err := w.Write(frame)
	return err
}

// readFrame reads a server's (unmasked) frame and returns its payload.
func readFrame(r *bufio.Reader) (string, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return "", errors.New("frame too long")
	}
	var mask [4]byte
	if h[1]&0x80 != 0 {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return "", err
		}
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return "", err
	}
	if h[1]&0x80 != 0 {
		for i := range data {
			data[i] ^= mask[i%4]
		}
	}
	if h[0]&0x0f == 0x8 {
		return "", errors.New("the server closed the websocket")
	}
	return string(data), nil
}
