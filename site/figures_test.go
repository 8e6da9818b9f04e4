package site

import (
	"path/filepath"
	"testing"
)

// TestCallouts draws each kind of GitHub alert as an aside with the role
// of a note, labelled by its visible title, without the [!KIND] marker;
// the ids of the labels are unique on the print page too.
func TestCallouts(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":     "[book]\n",
		"chapters/a.md": "# A\n\n> [!NOTE]\n> Read *this*.\n\n> [!caution]\n> Or not.\n\n> A plain quote.\n",
	})
	out := filepath.Join(t.TempDir(), "book")
	if err := Write(Input{Book: b}, out); err != nil {
		t.Fatal(err)
	}
	page := readSite(t, out, "a.html")
	mustContain(t, page, "a.html",
		`<aside class="callout callout-note" role="note" aria-labelledby="callout-1">`+"\n"+`<p class="callout-title" id="callout-1">Note</p>`+"\n"+`<p>Read <em>this</em>.</p>`+"\n</aside>",
		`<aside class="callout callout-caution" role="note" aria-labelledby="callout-2">`,
		"<blockquote>\n<p>A plain quote.</p>\n</blockquote>")
	mustNotContain(t, page, "a.html", "[!NOTE]", "[!caution]")
	mustContain(t, readSite(t, out, "print.html"), "print.html", `aria-labelledby="a:callout-2"`, `id="a:callout-2"`)
	mustContain(t, readSite(t, out, "style.css"), "style.css", ".callout-warning", "--callout-note")
}

// TestFigures draws captioned images and tables as numbered figures whose
// ids are their labels, and empty links to them, to runs and to chapters
// as their names, on the chapter pages and the print page.
func TestFigures(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":      "[book]\nchapters = [\"chapters/a.md\", \"chapters/b.md\"]\nappendices = [\"chapters/z.md\"]\n",
		"chapters/d.svg": `<svg xmlns="http://www.w3.org/2000/svg"/>`,
		"chapters/a.md": fence(`# A

![A diagram](d.svg)

Figure: Descriptors and *files*. {#fig-files}

| lock | owner |
|------|-------|
| flock | open file description |

Table: Who owns a lock. {#tbl-locks}

'''console run=race
$ true
'''

See [](#fig-files), [](#tbl-locks), [](#run-race), [](b.md#fig-b), [](b.md), [](z.md) and [the table](#tbl-locks).
`),
		"chapters/b.md": "# B\n\n![b](d.svg)\n\nFigure: In B. {#fig-b}\n\nBack to [](a.md#fig-files).\n",
		"chapters/z.md": "# Z\n\n![z](d.svg)\n\nFigure: In an appendix. {#fig-z}\n\nSee [](#fig-z).\n",
	})
	out := filepath.Join(t.TempDir(), "book")
	if err := Write(Input{Book: b}, out); err != nil {
		t.Fatal(err)
	}
	a := readSite(t, out, "a.html")
	mustContain(t, a, "a.html",
		`<figure class="figure" id="fig-files">`+"\n"+`<img src="files/chapters/d.svg" alt="A diagram"><figcaption><span class="figure-number">Figure 1.1.</span> Descriptors and <em>files</em>.</figcaption>`+"\n</figure>",
		`<figure class="figure table-figure" id="tbl-locks">`+"\n"+`<figcaption><span class="figure-number">Table 1.1.</span> Who owns a lock.</figcaption>`+"\n<table>",
		`See <a href="#fig-files" class="xref">Figure 1.1</a>, <a href="#tbl-locks" class="xref">Table 1.1</a>, <a href="#run-race" class="xref">run race</a>, <a href="b.html#fig-b" class="xref">Figure 2.1</a>, <a href="b.html" class="xref">Chapter 2</a>, <a href="z.html" class="xref">Appendix A</a> and <a href="#tbl-locks">the table</a>.`)
	mustNotContain(t, a, "a.html", "{#fig-files}", "Figure:", "Table:")
	mustContain(t, readSite(t, out, "b.html"), "b.html", `<a href="a.html#fig-files" class="xref">Figure 1.1</a>`)
	mustContain(t, readSite(t, out, "z.html"), "z.html", `Figure A.1.</span>`, `class="xref">Figure A.1</a>`)
	mustContain(t, readSite(t, out, "print.html"), "print.html", `id="a:fig-files"`, `<a href="#b:fig-b" class="xref">Figure 2.1</a>`)
}

// TestParts lists the chapters under the titles of their parts in the
// sidebar, on the title page and on the print page, numbered through.
func TestParts(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":     "[book]\nappendices = [\"chapters/z.md\"]\n\n[[book.parts]]\ntitle = \"Appends\"\nchapters = [\"chapters/a.md\", \"chapters/b.md\"]\n\n[[book.parts]]\ntitle = \"Locks <&>\"\nchapters = [\"chapters/c.md\"]\n",
		"chapters/a.md": "# A\n",
		"chapters/b.md": "# B\n",
		"chapters/c.md": "# C\n",
		"chapters/z.md": "# Z\n",
	})
	out := filepath.Join(t.TempDir(), "book")
	if err := Write(Input{Book: b}, out); err != nil {
		t.Fatal(err)
	}
	mustContain(t, readSite(t, out, "toc.js"), "toc.js",
		`litbookTOC([["A","a.html",[],0,"Appends"],["B","b.html",[]],["C","c.html",[],0,"Locks \u003c\u0026\u003e"],["Z","z.html",[],1]]);`)
	mustContain(t, readSite(t, out, "print.html"), "print.html",
		`<section class="print-part" id="part-1">`+"\n"+`<p class="part-number">Part 1</p>`+"\n"+`<h1>Appends</h1>`+"\n"+`</section>`+"\n"+`<article class="chapter" id="a">`,
		`<p class="part-number">Part 2</p>`+"\n"+`<h1>Locks &lt;&amp;&gt;</h1>`+"\n"+`</section>`+"\n"+`<article class="chapter" id="c">`)
	for _, name := range []string{"index.html", "print.html"} {
		mustContain(t, readSite(t, out, name), name,
			`<h3 class="toc-part">Appends</h3>`+"\n"+`<ol class="toc" start="1">`,
			`<h3 class="toc-part">Locks &lt;&amp;&gt;</h3>`+"\n"+`<ol class="toc" start="3">`,
			`<ol class="toc appendices" type="A">`)
	}
}
