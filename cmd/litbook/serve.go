package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/litbook/litbook/internal/inert"
	"github.com/litbook/litbook/links"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/site"
	"github.com/litbook/litbook/store"
)

var cmdServe = &command{
	Name:      "serve",
	UsageLine: "serve [-addr host:port] [-d dir] [-j n] [-frozen] [book]",
	Short:     "build the book, serve it, rebuild and reload on every change",
	Long: `
Serve builds the book as build does, serves the site on http://127.0.0.1:3000
(change it with -addr; it listens beyond this machine only when -addr names
another address, such as 0.0.0.0:3000), and watches book.toml, the chapters
and every file they link to. When one changes it builds again, a moment after
the last change, and open pages reload themselves.

A rebuild re-runs only the runs whose inputs changed (see build), parses
again only the chapters whose files changed, and draws again only the
pages that show what changed (the chapter, the pages before and after
it, those that link to it, the title and print pages, the search index
and the sidebar), rewriting only the files whose bytes changed: the site
is the one build would write, byte for byte. With
-frozen it runs nothing and renders from the results stored by any machine,
so that the first page appears at once on a new machine (a run whose block
or program changes then has no result, and serve says so). If a build
fails, serve keeps serving the last good pages and shows the errors, with
their positions, over them; fixing the file clears them.

Serve answers only requests whose Host names the address it listens on
(and localhost when that is a loopback address), so that another site
cannot read the book through a name made to resolve to this machine: other
requests get 421 Misdirected Request.

Ctrl-C stops serve, and every process a build started with it.`,
	Flags: func(fs *flag.FlagSet) *options {
		o := &options{}
		fs.StringVar(&o.addr, "addr", defaultAddr, "listen on `host:port`; an empty host means 127.0.0.1")
		fs.StringVar(&o.buildDir, "d", "", "write the site to `dir` (relative to the book; default: build-dir of book.toml, or book)")
		jobsFlag(fs, o)
		fs.BoolVar(&o.frozen, "frozen", false, "never run: render from results stored by any machine, and report each run that has none")
		return o
	},
	Run: serve,
}

const defaultAddr = "127.0.0.1:3000"

// Paths that serve adds to the site, outside any name a site can use.
const (
	livePath   = "/.litbook/live.js"
	eventsPath = "/.litbook/events"
)

// debounce is how long serve waits after a change for more changes before
// it builds: editors write a file in several steps.
const debounce = 20 * time.Millisecond

//go:embed live.js
var liveJS []byte

// listenAddr returns addr with 127.0.0.1 for an empty host, so that -addr
// :4000 changes only the port.
func listenAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", &usageError{fmt.Sprintf("-addr %q: %v", addr, err)}
	}
	if port != "" {
		if _, err := net.LookupPort("tcp", port); err != nil {
			return "", &usageError{fmt.Sprintf("-addr %q: %q is not a port (0 to 65535, or a service name)", addr, port)}
		}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

func serve(ctx context.Context, e *env, o *options, bookDir string) error {
	addr, err := listenAddr(o.addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	root, err := filepath.Abs(bookDir)
	if err != nil {
		ln.Close()
		return err
	}
	// Every build keeps what it parsed and drew for the next.
	o.site, o.loadCache, o.linkCache = &site.Incremental{}, &loader.Cache{}, &links.Cache{}
	s := &server{e: e, o: o, bookDir: bookDir, root: root, clients: map[chan struct{}]bool{}, hosts: allowedHosts(addr)}
	// The timer fires a moment after the last relevant change.
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	w, err := fsnotify.NewWatcher()
	if err != nil {
		ln.Close()
		return err
	}
	defer w.Close()
	// Watch before the first build, so that an edit made while it runs
	// is seen and builds again; then build: browsers that connect
	// meanwhile wait in the listen queue and get the new site.
	s.watch(w)
	s.buildAndWatch(ctx, w, timer)
	if ctx.Err() != nil {
		ln.Close()
		return nil
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(e.stdout, "serving http://%s/\n", ln.Addr())
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			s.closeClients()
			err := srv.Shutdown(sctx)
			cancel()
			if err != nil {
				srv.Close()
			}
			fmt.Fprintln(e.stderr, "litbook serve: stopped")
			return nil
		case err := <-served:
			return err
		case ev := <-w.Events:
			if s.relevant(w, ev) {
				timer.Reset(debounce)
			}
		case err := <-w.Errors:
			fmt.Fprintf(e.stderr, "litbook serve: watching files: %v\n", err)
		case <-timer.C:
			// The timer and an event may have been ready together: a
			// change still queued means the burst is not over.
			if s.pending(w) {
				timer.Reset(debounce)
				continue
			}
			s.buildAndWatch(ctx, w, timer)
		}
	}
}

// buildAndWatch builds, then watches the directories of the files the
// build found it depends on. A file in a directory watched only now may
// have changed during the build, unseen: if one did, timer is set to build
// again. Changes in directories watched already wait in w's queue.
func (s *server) buildAndWatch(ctx context.Context, w *fsnotify.Watcher, timer *time.Timer) {
	start := time.Now()
	s.build(ctx)
	added := s.watch(w)
	if len(added) == 0 {
		return
	}
	s.mu.Lock()
	inputs := s.inputsLocked()
	s.mu.Unlock()
	for _, f := range inputs {
		p := filepath.Join(s.root, filepath.FromSlash(f))
		if !added[filepath.Dir(p)] {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.ModTime().Before(start) {
			timer.Reset(debounce)
			return
		}
	}
}

// server serves the last good site, and tells open pages about builds.
type server struct {
	e       *env
	o       *options
	bookDir string
	root    string // absolute

	// hosts says whether a request's Host may be answered (see
	// allowedHosts).
	hosts func(host string) bool

	mu      sync.Mutex
	dir     string         // the site's directory; "" until a build has loaded book.toml
	book    *loader.Parsed // of the last good build
	linked  []string       // the files its chapters link to
	digest  string         // of the published site
	errs    []buildError   // of the last build; nil if it succeeded
	clients map[chan struct{}]bool
}

// buildError is an error of a build as pages show it.
type buildError struct {
	Pos string `json:"pos,omitempty"` // chapters/a.md:12, relative to the book
	Msg string `json:"msg"`
}

// state is what pages are told after every build: the digest of the site
// they should show, and the errors of the last build.
type state struct {
	Digest string       `json:"digest"`
	Errors []buildError `json:"errors"`
}

// build builds the book and tells the pages.
func (s *server) build(ctx context.Context) {
	start := time.Now()
	built, err := buildSite(ctx, s.e, s.o, s.bookDir)
	if ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	if err != nil {
		s.errs = buildErrors(err)
		if s.dir == "" {
			s.dir = s.siteDir()
		}
	} else {
		s.errs = nil
		s.book, s.dir = built.book, built.dir
		s.linked = built.linked
		if s.linked == nil {
			s.linked = links.Dependencies(s.book)
		}
		s.digest = site.PublishedDigest(built.dir)
	}
	s.mu.Unlock()
	if err != nil {
		s.e.report(err)
		fmt.Fprintln(s.e.stderr, "litbook serve: the build failed; serving the last good site")
	} else {
		fmt.Fprintf(s.e.stderr, "litbook serve: built in %s\n", time.Since(start).Round(time.Millisecond))
	}
	s.notify()
}

// siteDir returns the site's directory from book.toml alone, for when the
// first build fails: a site from an earlier run of litbook may be there.
func (s *server) siteDir() string {
	b, err := loader.LoadConfig(s.bookDir)
	if err != nil {
		return ""
	}
	dir := s.o.buildDir
	if dir == "" {
		dir = b.Config.BuildDir
	}
	dir = resolve(b, dir)
	s.digest = site.PublishedDigest(dir)
	return dir
}

// buildErrors turns a build's error into lines for the overlay.
func buildErrors(err error) []buildError {
	var list model.ErrorList
	var one *model.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = model.ErrorList{one}
	default:
		return []buildError{{Msg: inert.String(err.Error())}}
	}
	out := make([]buildError, len(list))
	for i, x := range list {
		msg := x.Msg
		if x.Detail != "" {
			msg += "\n" + strings.TrimRight(x.Detail, "\n")
		}
		out[i] = buildError{Msg: inert.String(msg)}
		if x.Pos.File != "" {
			out[i].Pos = inert.String(x.Pos.String())
		}
	}
	return out
}

func (s *server) state() state {
	s.mu.Lock()
	defer s.mu.Unlock()
	return state{Digest: s.digest, Errors: s.errs}
}

// notify wakes every open page's event stream.
func (s *server) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		select {
		case c <- struct{}{}:
		default: // it has a wake-up pending already
		}
	}
}

func (s *server) closeClients() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		close(c)
		delete(s.clients, c)
	}
}

// watch makes w watch what the book is made of: the book's directory
// (book.toml, go.mod), the chapters directory with every directory in it,
// the directories of chapters listed elsewhere, and those of the files
// chapters link to. Watching directories rather than files sees editors
// that save by writing a new file and renaming it over the old one. It
// returns the directories it started watching.
func (s *server) watch(w *fsnotify.Watcher) (added map[string]bool) {
	added = map[string]bool{}
	dirs := map[string]bool{s.root: true}
	_ = filepath.WalkDir(filepath.Join(s.root, "chapters"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs[p] = true
		}
		return nil
	})
	s.mu.Lock()
	for _, f := range s.inputsLocked() {
		dirs[filepath.Dir(filepath.Join(s.root, filepath.FromSlash(f)))] = true
	}
	var trees []string // the directories that files= copies into runs
	if s.book != nil {
		for _, r := range s.book.Runs {
			for _, in := range r.Files {
				if in.Dir {
					trees = append(trees, filepath.Join(s.root, filepath.FromSlash(in.Path)))
				}
			}
		}
	}
	s.mu.Unlock()
	for _, t := range trees {
		_ = filepath.WalkDir(t, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs[p] = true
			}
			return nil
		})
	}
	watched := map[string]bool{}
	for _, p := range w.WatchList() {
		watched[p] = true
	}
	for d := range dirs {
		if !watched[d] {
			err := w.Add(d)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(s.e.stderr, "litbook serve: cannot watch %s: %v\n", d, err)
			}
			if err == nil {
				added[d] = true
			}
		}
	}
	return added
}

// inputsLocked lists the files of the last good build other than those in
// chapters/, relative to the root: chapters listed elsewhere, the go.mod
// programs build with, the files program blocks include, those of the
// book's packages that programs import, the files chapters link to, and
// those runs read (stdin=, files=, which may be directories). s.mu is
// held.
func (s *server) inputsLocked() []string {
	if s.book == nil {
		return nil
	}
	var files []string
	for _, ch := range s.book.Chapters {
		files = append(files, ch.Path)
	}
	if gm := s.book.Config.GoMod; gm != "" {
		files = append(files, filepath.ToSlash(gm), path.Join(path.Dir(filepath.ToSlash(gm)), "go.sum"))
	}
	for _, r := range s.book.Runs {
		if r.Stdin != nil {
			files = append(files, r.Stdin.Path)
		}
		for _, in := range r.Files {
			files = append(files, in.Path)
		}
	}
	files = append(files, s.book.Includes...)
	files = append(files, s.book.Packages...)
	return append(files, s.linked...)
}

// relevant reports whether ev may change the site, and starts watching
// directories that appear in the chapters directory.
func (s *server) relevant(w *fsnotify.Watcher, ev fsnotify.Event) bool {
	rel, err := filepath.Rel(s.root, ev.Name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false
	}
	rel = filepath.ToSlash(rel)
	first, _, _ := strings.Cut(rel, "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir != "" {
		if d, err := filepath.Rel(s.root, s.dir); err == nil {
			d = filepath.ToSlash(d)
			if rel == d || strings.HasPrefix(rel, d+"/") || strings.HasPrefix(first, "."+path.Base(d)+".") {
				return false // the site being published
			}
		}
	}
	switch {
	case first == site.WorkDir || first == store.Dir || first == ".git":
		return false
	case rel == loader.ConfigFile || rel == "go.mod" || rel == "go.sum":
		return true
	case first == "chapters":
		if ev.Has(fsnotify.Create) {
			if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
				// A new directory: watch it and what is already in it.
				_ = filepath.WalkDir(ev.Name, func(p string, d fs.DirEntry, err error) error {
					if err == nil && d.IsDir() {
						_ = w.Add(p)
					}
					return nil
				})
			}
		}
		return true
	}
	for _, f := range s.inputsLocked() {
		if f == rel || strings.HasPrefix(rel, f+"/") {
			return true
		}
	}
	return false
}

// pending takes the events already queued on w and reports whether one of
// them is relevant.
func (s *server) pending(w *fsnotify.Watcher) bool {
	found := false
	for {
		select {
		case ev := <-w.Events:
			found = s.relevant(w, ev) || found
		default:
			return found
		}
	}
}

// ServeHTTP serves the site, with the live-reload script added to pages,
// and the event stream that script listens to.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.hosts(r.Host) {
		// A page of another site whose name was made to resolve to this
		// machine (DNS rebinding) must not read the book.
		http.Error(w, fmt.Sprintf("litbook serve answers only for the address it listens on, not for host %q", r.Host), http.StatusMisdirectedRequest)
		return
	}
	if r.Method != http.MethodGet && (r.Method != http.MethodHead || r.URL.Path == eventsPath) {
		// The event stream is for pages' EventSource, which only GETs.
		allow := "GET, HEAD"
		if r.URL.Path == eventsPath {
			allow = "GET"
		}
		w.Header().Set("Allow", allow)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case livePath:
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(liveJS)
		return
	case eventsPath:
		s.events(w, r)
		return
	}
	s.mu.Lock()
	dir, digest := s.dir, s.digest
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-cache")
	name := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(r.URL.Path, "/") {
		name = path.Join(name, site.IndexPage)
	}
	if dir == "" {
		s.noSite(w, digest)
		return
	}
	// Every file is opened through an os.Root of the site, so that nothing
	// outside it is served: not through .. (Clean removed those), and not
	// through a symbolic link in the site that points out of it.
	root, err := os.OpenRoot(dir)
	if err != nil {
		s.noSite(w, digest)
		return
	}
	defer root.Close()
	file := "." + name
	fi, err := root.Stat(file)
	if path.Base(name) == site.MarkerFile {
		fi, err = nil, fs.ErrNotExist // litbook's, not the book's: not found
	}
	if err == nil && fi.IsDir() {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		return
	}
	status := http.StatusOK
	if err != nil {
		status = http.StatusNotFound
		file = site.NotFoundPage
		name = "/" + site.NotFoundPage
	}
	data, err := root.ReadFile(file)
	if err != nil {
		if status == http.StatusNotFound {
			s.noSite(w, digest) // not even the not-found page: no site yet
			return
		}
		http.Error(w, "cannot read "+name, http.StatusInternalServerError)
		return
	}
	if !strings.HasSuffix(name, ".html") {
		if status == http.StatusOK {
			http.ServeFileFS(w, r, root.FS(), path.Clean(file))
			return
		}
	}
	if status == http.StatusNotFound {
		// The not-found page links to its stylesheet and pages relative
		// to the site's top, wherever the missing page was asked for.
		data = bytes.Replace(data, []byte("<head>"), []byte(`<head>`+"\n"+`<base href="/">`), 1)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(data)
	_, _ = w.Write(liveTag(digest))
}

// allowedHosts returns what a request's Host header may name when serve
// listens on addr (host:port): that host; localhost, 127.0.0.1 and [::1]
// too when it is a loopback address; and when it is every address
// (0.0.0.0, [::]), any IP address, localhost, and this machine's name
// with or without a domain. Any port is accepted: a DNS rebinding attack
// is told apart by the name, which is the attacker's.
func allowedHosts(addr string) func(string) bool {
	lhost, _, _ := net.SplitHostPort(addr)
	lhost = strings.ToLower(lhost)
	lip := net.ParseIP(lhost)
	hostname, _ := os.Hostname()
	hostname = strings.ToLower(hostname)
	return func(h string) bool {
		if hh, _, err := net.SplitHostPort(h); err == nil {
			h = hh
		}
		h = strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
		ip := net.ParseIP(h)
		switch {
		case h == lhost || ip != nil && lip != nil && ip.Equal(lip):
			return true
		case lhost == "localhost" || lip != nil && lip.IsLoopback():
			return h == "localhost" || ip != nil && ip.IsLoopback()
		case lip != nil && lip.IsUnspecified():
			return ip != nil || h == "localhost" || hostname != "" && (h == hostname || strings.HasPrefix(h, hostname+"."))
		}
		return false
	}
}

// liveTag is the script element serve adds at the end of every page:
// it reloads the page when a build changes the site, and shows the
// errors of a failed build.
func liveTag(digest string) []byte {
	return []byte(`<script src="` + livePath + `" data-digest="` + template.HTMLEscapeString(digest) + `"></script>` + "\n")
}

// noSite answers when there is no site to serve yet: the first build
// failed. The live script shows why, and reloads when a build succeeds.
func (s *server) noSite(w http.ResponseWriter, digest string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	var b bytes.Buffer
	b.WriteString("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>litbook serve: no site yet</title></head>\n<body><p>The book has not been built yet: the build failed.</p>\n")
	b.Write(liveTag(digest))
	b.WriteString("</body></html>\n")
	_, _ = w.Write(b.Bytes())
}

// events is a server-sent event stream: one "state" event when a page
// connects and one after every build.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	wake := make(chan struct{}, 1)
	s.mu.Lock()
	s.clients[wake] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, wake)
		s.mu.Unlock()
	}()
	send := func() error {
		data, err := json.Marshal(s.state())
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "retry: 500\nevent: state\ndata: %s\n\n", data); err != nil {
			return err
		}
		return rc.Flush()
	}
	if send() != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case _, ok := <-wake:
			if !ok || send() != nil {
				return
			}
		}
	}
}
