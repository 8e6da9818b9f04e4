package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/model"
)

// TestValueLinksOnPrintPage renders a value on the print page, where its
// link carries the chapter's prefix and a colon (#01-w:run-w): it must
// reach the transcript there, not become #ZgotmplZ.
func TestValueLinksOnPrintPage(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":        "[book]\ntitle = \"V\"\n",
		"chapters/01-w.md": fence("# W\n\n'''console run=w\n$ echo x=5\n'''\n\nIt printed `=w.x`, as [`=w.x` shows](#w).\n"),
	})
	res := &model.Result{Run: b.Runs[0], Start: time.Date(2026, 11, 23, 16, 40, 5, 0, time.UTC), Machine: testMachine,
		Commands: []model.CommandResult{{Ran: true, Done: true, Stdout: model.Output{Data: []byte("x=5\n"), Total: 4}}}}
	out := filepath.Join(t.TempDir(), "site")
	if err := Write(Input{Book: b, Records: recordsOf([]*model.Result{res})}, out); err != nil {
		t.Fatal(err)
	}
	page := readSite(t, out, PrintPage)
	mustContain(t, page, PrintPage, `href="#01-w:run-w"`, `id="01-w:run-w"`)
	// A value in a link's text is text, not a button inside the link.
	mustContain(t, page, PrintPage, `<a href="#01-w:w"><span class="value" title="w.x: 5">5</span> shows</a>`)
	mustNotContain(t, page, PrintPage, "ZgotmplZ")
	mustContain(t, readSite(t, out, "01-w.html"), "01-w.html", `href="#run-w"`)
}

// TestCheckHrefs checks the check of a rendered site: it finds every link
// that leads nowhere, and passes links that lead somewhere.
func TestCheckHrefs(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"index.html": `<!doctype html><html><head><link rel="stylesheet" href="style.css"><script>var s = "<a href='nowhere.html'>";</script></head>
<body><main id="content"><a href="a%20b.html#x y">ok</a> <a href="a%20b.html#x%20y">ok</a> <a href='https://go.dev/'>out</a> <a href="mailto:a@b.c">mail</a>
<!-- <a href="commented.html"> -->
<img src="files/img.png" alt=""> <a href="files/chapters/report.html#part">report</a> <a href="#content">top</a> <a href="print.html#01-a:run-x">print</a>
<a href="#ZgotmplZ">bad</a> <a href="missing.html">bad</a> <a href="a%20b.html#nope">bad</a> <a href="">bad</a>
<a href="javascript:alert(1)">bad</a> <img src="/abs.png" alt=""> <a href="../up.html">bad</a></main></body></html>`,
		"a b.html":      `<h2 id="x y">X</h2>`,
		"print.html":    `<figure id="01-a:run-x"></figure>`,
		"style.css":     ``,
		"files/img.png": ``,
		// A file of the book: its anchors are the author's.
		"files/chapters/report.html": `<p>no ids here</p>`,
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := checkHrefs(dir)
	if err == nil {
		t.Fatal("checkHrefs passed a site with broken links")
	}
	want := []string{
		`index.html: href="#ZgotmplZ" leads to #ZgotmplZ, which index.html does not have`,
		`index.html: href="missing.html" leads to missing.html, which the site does not hold`,
		`index.html: href="a%20b.html#nope" leads to #nope, which a b.html does not have`,
		`index.html: href="" is empty`,
		`index.html: href="javascript:alert(1)" has the scheme javascript:, which a page must not use`,
		`index.html: src="/abs.png" is absolute`,
		`index.html: href="../up.html" leads outside the site`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q:\n%v", w, err)
		}
	}
	if n := strings.Count(err.Error(), "\nindex.html: "); n != len(want) {
		t.Errorf("%d problems reported, want %d:\n%v", n, len(want), err)
	}
}

// BenchmarkCheckHrefs measures the check on the site of the bundled book,
// built with litbook build -frozen into ../book (skipped if it is not
// there).
func BenchmarkCheckHrefs(b *testing.B) {
	dir := os.Getenv("LITBOOK_SITE")
	if dir == "" {
		b.Skip("set LITBOOK_SITE to a built site, e.g. the bundled book's: litbook build -frozen -d /tmp/site .")
	}
	for b.Loop() {
		if err := checkHrefs(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSearchIndexHasValues: a measured value of the prose is in the search
// index as the page shows it, so that a number on a page can be found.
func TestSearchIndexHasValues(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":        "[book]\ntitle = \"V\"\n",
		"chapters/01-w.md": fence("# W\n\n'''console run=w\n$ echo x=12345\n'''\n\nIt printed `=w.x` in the end.\n"),
	})
	res := &model.Result{Run: b.Runs[0], Start: time.Date(2026, 11, 23, 16, 40, 5, 0, time.UTC), Machine: testMachine,
		Commands: []model.CommandResult{{Ran: true, Done: true, Stdout: model.Output{Data: []byte("x=12345\n"), Total: 8}}}}
	out := filepath.Join(t.TempDir(), "site")
	if err := Write(Input{Book: b, Records: recordsOf([]*model.Result{res})}, out); err != nil {
		t.Fatal(err)
	}
	mustContain(t, readSite(t, out, SearchIndex), SearchIndex, "It printed 12,345 in the end.")
}
