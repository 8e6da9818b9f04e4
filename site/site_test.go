package site

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// writeBook writes files (path → content) into a fresh directory and loads
// the book there.
func writeBook(t *testing.T, files map[string]string) *loader.Parsed {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := loader.Load(dir)
	if err != nil {
		t.Fatalf("loading the test book: %v", err)
	}
	return b
}

// fence turns ”' into ``` so that the chapters below can be raw strings.
func fence(s string) string { return strings.ReplaceAll(s, "'''", "```") }

var testMachine = model.Machine{
	OS: "linux", Kernel: "6.18.44-fc-v769", Arch: "amd64", CPUs: 2, FS: "ext4",
	GoVersion: "go1.26.8", Hostname: "builder", RunDirRoot: "/tmp",
}

// smallBook is three chapters: links between them, a program, a run with a
// result, and a run without one.
func smallBook(t *testing.T) (*loader.Parsed, []*model.Result) {
	b := writeBook(t, map[string]string{
		"book.toml": `[book]
title = "Atomic <Files>"
authors = ["Ann Author", "Bob Writer"]
description = "Appends & renames, measured."
language = "en-GB"
`,
		"chapters/01-intro.md": fence(`# Introduction

Read [the append chapter](02-append.md#seeking-first), not
[the config](../book.toml) or [Go](https://go.dev/x.md).

## Getting started

'''sh
echo "hello" > f
'''

    indented <code>

'''nosuchlanguage
a < b
'''
`),
		"chapters/02-append.md": fence(`# Appending

## Seeking first

'''go program=appender
package main

import "os"

func main() { os.Stdout.WriteString("<hi>\n") }
'''

'''go program=appender file=scaffold.go hidden
package main

var scaffoldOnly = 1
'''

'''console run=seek exclusive exit=1
$ appender -mode=seek f &
$ wait
$ ls -l
$ appender -fail
'''

Back to [the introduction](./01-intro.md).
`),
		"chapters/03-end.md": fence(`# The end

'''console run
$ true
'''
`),
	})
	if len(b.Runs) != 2 {
		t.Fatalf("test book has %d runs, want 2", len(b.Runs))
	}
	seek := &model.Result{
		Run: b.Runs[0],
		Commands: []model.CommandResult{
			{Ran: true, Done: true, Duration: 40 * time.Millisecond,
				Stdout: model.Output{Data: []byte("wrote 1048576 bytes"), Total: 3221225472}},
			{Ran: true, Done: true},
			{Ran: true, Done: true, Stdout: model.Output{Data: []byte("-rw-r--r-- 1 u u 1234567 f\n"), Total: 27}},
			{Ran: true, Done: true, Exit: 1, Stderr: model.Output{Data: []byte("appender: bad flag\n"), Total: 19}},
		},
		Exit:     1,
		Start:    time.Date(2026, 11, 23, 16, 40, 5, 0, time.UTC),
		Duration: 2313 * time.Millisecond,
		Files: []model.FileInfo{
			{Name: "d", Size: 4096, Mode: "dir"},
			{Name: "f", Size: 1234567, Mode: "file"},
		},
		FilesOmitted: 3,
		Machine:      testMachine,
	}
	return b, []*model.Result{seek, nil}
}

func readSite(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func mustContain(t *testing.T, page, name string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s does not contain %q", name, w)
		}
	}
}

func mustNotContain(t *testing.T, page, name string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(page, w) {
			t.Errorf("%s contains %q", name, w)
		}
	}
}

func TestWriteSmallBook(t *testing.T) {
	b, results := smallBook(t)
	out := filepath.Join(t.TempDir(), "book")
	if err := Write(Input{Book: b, Records: recordsOf(results)}, out); err != nil {
		t.Fatal(err)
	}
	pages := []string{"index.html", "01-intro.html", "02-append.html", "03-end.html"}
	for _, name := range append(pages, "style.css", MarkerFile) {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}

	absolute := regexp.MustCompile(`(?i)(href|src)="/`)
	for i, name := range pages {
		page := readSite(t, out, name)
		if m := absolute.FindString(page); m != "" {
			t.Errorf("%s has a non-relative link: %s", name, m)
		}
		mustContain(t, page, name,
			`<html lang="en-GB">`,
			`<link rel="stylesheet" href="style.css">`,
			`<script src="litbook.js" defer></script>`,
			`<a class="book-title" href="index.html"`,
			`<input type="search" id="search"`,
			`<select id="theme"`,
			`<nav class="sidebar" id="sidebar" aria-label="Chapters">`+"\n"+`<script src="toc.js"></script>`,
			`<noscript><a href="index.html#contents">Contents</a></noscript>`,
		)
		// The sidebar is drawn by toc.js, not copied into every page.
		mustNotContain(t, page, name, `<ol class="chapters">`)
		if i == 0 {
			mustContain(t, page, name, `<meta name="description" content="Appends &amp; renames, measured.">`, `<a class="book-title" href="index.html" aria-current="page">`)
		}
	}
	mustContain(t, readSite(t, out, "toc.js"), "toc.js",
		`litbookTOC([["Introduction","01-intro.html",[["Getting started","getting-started"]]],["Appending","02-append.html",[["Seeking first","seeking-first"]]],["The end","03-end.html",[]]]);`)

	index := readSite(t, out, "index.html")
	mustContain(t, index, "index.html",
		"<title>Atomic &lt;Files&gt;</title>",
		"<h1>Atomic &lt;Files&gt;</h1>",
		"by Ann Author and Bob Writer",
		`<ol class="toc">`,
		`rel="next" href="01-intro.html"`,
		"on Linux 6.18.44-fc-v769 (amd64), ext4 at /tmp, 2 CPUs, go1.26.8, on 2026-11-23.",
		"1 transcript has not been run yet.",
	)
	mustNotContain(t, index, "index.html", `rel="prev"`)

	intro := readSite(t, out, "01-intro.html")
	mustContain(t, intro, "01-intro.html",
		"<title>Introduction · Atomic &lt;Files&gt;</title>",
		`<meta name="description" content="Read the append chapter, not the config or Go.">`,
		`<a href="02-append.html#seeking-first">the append chapter</a>`,
		`<a href="files/book.toml">the config</a>`,
		`<a href="https://go.dev/x.md">Go</a>`,
		`<h2 id="getting-started">Getting started<a class="anchor" href="#getting-started" aria-label="Link to this section"></a></h2>`,
		`<span class="nb">echo</span>`, // highlighted as sh
		"<pre class=\"chroma\"><code>indented &lt;code&gt;\n</code></pre>",
		"<pre class=\"chroma\"><code>a &lt; b\n</code></pre>",
		`<a class="prev" rel="prev" href="index.html">`,
		`<a class="next" rel="next" href="02-append.html">`,
	)

	ch2 := readSite(t, out, "02-append.html")
	mustContain(t, ch2, "02-append.html",
		`<a href="01-intro.html">the introduction</a>`,
		`<span class="program-name">appender</span> · <span class="file-name">main.go</span>`,
		`<span class="kn">package</span>`,
		`<figure class="run" id="run-seek">`,
		`<span class="prompt">$ </span><span class="cmd">appender -mode=seek f &amp;</span>`,
		"wrote 1048576 bytes</span>\n<span class=\"note\">[output truncated: 19 of 3,221,225,472 bytes shown]</span>",
		`<span class="err">appender: bad flag`+"\n</span><span class=\"status\">[exit 1]</span>",
		"Measured on Linux 6.18.44-fc-v769 (amd64) · ext4 at /tmp · 2 CPUs · go1.26.8 · "+
			`<time datetime="2026-11-23T16:40:05Z">2026-11-23 16:40 UTC</time> · 2.31 s · ran alone</figcaption>`,
		`<td><code>d/</code> <span class="kind">dir</span></td>`,
		`<td><code>f</code></td><td class="num">1,234,567</td>`,
		"Files left in the run directory: 1 file (1,234,567 bytes), 1 directory, 3 more not recorded</summary>",
		// A hidden block is folded away, not dropped: the reader can open it.
		`<details class="program hidden-code">`+"\n"+`<summary><span class="program-name">appender</span> · <span class="file-name">scaffold.go</span> · 3 lines, compiled but folded away</summary>`,
	)
	mustNotContain(t, ch2, "02-append.html", "This run failed", "builder")

	end := readSite(t, out, "03-end.html")
	mustContain(t, end, "03-end.html",
		`<span class="cmd">true</span>`,
		"Not run",
		`<a class="prev" rel="prev" href="02-append.html">`,
	)
	mustNotContain(t, end, "03-end.html", `class="next"`, `rel="next"`, "Measured on")

	// The loaded book keeps its own links.
	if err := Write(Input{Book: b, Records: recordsOf(results)}, out); err != nil {
		t.Fatal(err)
	}
	mustContain(t, readSite(t, out, "01-intro.html"), "01-intro.html (second build)", `href="02-append.html#seeking-first"`)

	golden(t, "02-append.html", ch2)
}

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", name, path, diffLines(string(want), got))
	}
}

// diffLines shows the first lines where want and got differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + formatCount(int64(i+1)) + ":\n- " + wl + "\n+ " + gl + "\n")
			if shown++; shown == 5 {
				break
			}
		}
	}
	return b.String()
}

func TestEscaping(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml": "[book]\ntitle = \"T\"\n",
		"chapters/evil.md": fence(`# Evil

'''console run=evil
$ echo '<script>alert(2)</script>' | cat
'''
`),
	})
	hostile := []byte("<script>alert(1)</script>\n</pre>\n]]>\nA & B\n\x00NUL\x01\n\xff\xfeinvalid\n\x1b[1;31mred\x1b[0m plain\x1b[K\n")
	res := &model.Result{
		Run: b.Runs[0],
		Commands: []model.CommandResult{{
			Ran: true, Done: true, Exit: 2,
			Stdout: model.Output{Data: hostile, Total: int64(len(hostile))},
			Stderr: model.Output{Data: []byte("\x1b[31m<b>err</b>\x1b"), Total: 9},
		}},
		Shell: model.Output{Data: []byte("sh: <i>oops</i>\r\n"), Total: 17},
		Files: []model.FileInfo{{Name: "<img src=x onerror=alert(3)>\x07", Size: 1, Mode: "file"}},
		Err:   &model.Error{Pos: model.Pos{File: "chapters/evil.md", Line: 3}, Msg: "failed: <svg onload=alert(4)>", Detail: "\x1b[31m</code>\x00"},
		Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	out := filepath.Join(t.TempDir(), "site")
	if err := Write(Input{Book: b, Records: recordsOf([]*model.Result{res})}, out); err != nil {
		t.Fatal(err)
	}
	page := readSite(t, out, "evil.html")
	mustContain(t, page, "evil.html",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"&lt;script&gt;alert(2)&lt;/script&gt;",
		"&lt;/pre&gt;",
		"]]&gt;",
		"A &amp; B",
		"␀NUL␁",
		"\uFFFD\uFFFDinvalid",
		"red plain\n",
		"&lt;b&gt;err&lt;/b&gt;␛",
		"sh: &lt;i&gt;oops&lt;/i&gt;\n",
		"&lt;img src=x onerror=alert(3)&gt;␇",
		"failed: &lt;svg onload=alert(4)&gt;",
		"&lt;/code&gt;␀",
		"[exit 2]",
		"This run failed",
	)
	mustNotContain(t, page, "evil.html",
		"<script>alert", "</pre>\n]]>", "<b>", "<i>", "<img", "<svg", "\x1b", "\x00", "\x01", "\x07", "\r", "[31m",
	)
	if !strings.Contains(page, "</pre>") || strings.Count(page, "</pre>") != 1 {
		t.Errorf("evil.html has %d </pre> tags, want 1 (the terminal's own)", strings.Count(page, "</pre>"))
	}
	if !bytes.Equal([]byte(page), bytes.ToValidUTF8([]byte(page), nil)) {
		t.Error("evil.html is not valid UTF-8")
	}
}

// recordsOf wraps results as one-trial records.
func recordsOf(results []*model.Result) []*model.Record {
	if results == nil {
		return nil
	}
	records := make([]*model.Record, len(results))
	for i, res := range results {
		if res != nil {
			records[i] = &model.Record{Run: res.Run, Trials: []*model.Result{res}, Machine: res.Machine}
		}
	}
	return records
}

// TestAppendices checks that appendices are lettered after the numbered
// chapters: in the sidebar's data, on the title page and on the print page.
func TestAppendices(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":          "[book]\nchapters = [\"chapters/a.md\"]\nappendices = [\"chapters/z.md\"]\n",
		"chapters/a.md":      "# First\n",
		"chapters/z.md":      "# Syntax\n",
		"chapters/notes.txt": "",
	})
	out := filepath.Join(t.TempDir(), "book")
	if err := Write(Input{Book: b}, out); err != nil {
		t.Fatal(err)
	}
	mustContain(t, readSite(t, out, "toc.js"), "toc.js", `litbookTOC([["First","a.html",[]],["Syntax","z.html",[],1]]);`)
	for _, name := range []string{"index.html", "print.html"} {
		page := readSite(t, out, name)
		numbered, lettered, ok := strings.Cut(page, `<ol class="toc appendices" type="A">`)
		if !ok {
			t.Fatalf("%s has no lettered list of appendices", name)
		}
		if !strings.Contains(numbered, ">First</a>") || strings.Contains(numbered, ">Syntax</a>") || !strings.Contains(lettered, ">Syntax</a>") {
			t.Errorf("%s: the appendix is not listed apart from the chapters", name)
		}
	}
}
