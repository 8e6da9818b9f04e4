package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tourPages are, per page of the example book examples/tour, what its
// runs must have shown: data files and //go:embed, go test on a program
// whose code is included from real files, a package of the book's module
// shared by chapters, a program of another chapter called with uses=, and
// a panic that names the chapter's line and no directory of the machine.
var tourPages = map[string][]string{
	"01-files.html":  {"Hello, Ada!", "Hello, whoever you are."},
	"02-tests.html":  {"--- PASS: TestPoem", "ok  \texample.com/tour/wordcount", "testdata/poem.txt: lines=4 words=24"},
	"03-shared.html": {"tick 1", "tock 3", "-: lines=4 words=12"},
	"04-panics.html": {"\tchapters/04-panics.md:18\n", "[exit 2]"},
}

// TestExampleBookTour renders the example book from its committed results
// (-frozen: it fails if a chapter changed without its results being
// measured again), and builds a copy of it as a fresh clone would, running
// every run.
func TestExampleBookTour(t *testing.T) {
	book := filepath.Join("..", "..", "examples", "tour")
	check := func(site string) {
		t.Helper()
		for page, wants := range tourPages {
			data, err := os.ReadFile(filepath.Join(site, page))
			if err != nil {
				t.Error(err)
				continue
			}
			text := htmlText(data)
			for _, w := range wants {
				if !strings.Contains(text, w) {
					t.Errorf("%s lacks %q", page, w)
				}
			}
			if strings.Contains(text, "\t/") {
				t.Errorf("%s shows an absolute path in a stack trace:\n%s", page, text)
			}
		}
	}
	var stdout, stderr bytes.Buffer
	site := filepath.Join(t.TempDir(), "site")
	if code := run(context.Background(), []string{"build", "-frozen", "-d", site, book}, &stdout, &stderr); code != exitOK {
		t.Fatalf("litbook build -frozen examples/tour: exit %d\n%s", code, stderr.String())
	}
	check(site)

	if testing.Short() {
		t.Skip("compiles and runs the example book")
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "")
	clone := filepath.Join(t.TempDir(), "tour")
	if err := copyBook(book, clone); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"build", clone}, &stdout, &stderr); code != exitOK {
		t.Fatalf("litbook build of a fresh copy of examples/tour: exit %d\n%s", code, stderr.String())
	}
	check(filepath.Join(clone, "book"))
}

// copyBook copies the sources of the book in src to dst: what a fresh
// clone holds, without results, a built site or a work directory.
func copyBook(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		switch rel {
		case "results", "book", ".litbook":
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

// htmlText returns the text of an HTML page, tags removed and the
// entities litbook's pages use decoded.
func htmlText(page []byte) string {
	var b strings.Builder
	in := false
	for _, c := range string(page) {
		switch {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return strings.NewReplacer("&#43;", "+", "&lt;", "<", "&gt;", ">", "&quot;", "\"", "&#34;", "\"", "&#39;", "'", "&amp;", "&").Replace(b.String())
}
