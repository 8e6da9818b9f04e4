package site

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestPrintPage(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":     "[book]\ntitle = \"P\"\n",
		"chapters/a.md": "# A\n\n## Same\n\nSee [B's same](b.md#same) and [mine](#same).[^1]\n\n[^1]: A note.\n",
		"chapters/b.md": "# B\n\n## Same\n\nBack to [A](a.md).[^1]\n\n[^1]: Another note.\n",
	})
	out := filepath.Join(t.TempDir(), "site")
	if err := Write(Input{Book: b}, out); err != nil {
		t.Fatal(err)
	}
	page := readSite(t, out, PrintPage)
	mustContain(t, page, PrintPage,
		`<body class="print">`,
		`<li><a href="#a">A</a></li>`,
		`<article class="chapter" id="a">`,
		`<h2 id="a:same">Same<a class="anchor" href="#a:same"`,
		`<h2 id="b:same">Same`,
		`<a href="#b:same">B's same</a>`,
		`<a href="#a:same">mine</a>`,
		`<a href="#a">A</a>`,
		`id="a:fn:1"`, `id="b:fn:1"`, `href="#b:fnref:1"`,
	)
	// Every id is unique on the page that holds the whole book.
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if seen[m[1]] {
			t.Errorf("print page: id %q appears twice", m[1])
		}
		seen[m[1]] = true
	}
	if _, err := os.Stat(filepath.Join(out, ".print-parts")); err == nil {
		t.Error("the print page's scratch file is left in the site")
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".print-parts") {
			t.Errorf("scratch file %s left in the site", e.Name())
		}
	}
	nf := readSite(t, out, NotFoundPage)
	mustContain(t, nf, NotFoundPage, "<title>Page not found · P</title>", "<h1>Page not found</h1>", `href="index.html#contents"`)
}

func TestSearchIndex(t *testing.T) {
	b, results := smallBook(t)
	out := filepath.Join(t.TempDir(), "site")
	if err := Write(Input{Book: b, Records: recordsOf(results)}, out); err != nil {
		t.Fatal(err)
	}
	js := readSite(t, out, SearchIndex)
	data, ok := strings.CutPrefix(js, "window.litbookSearchDocs = ")
	if !ok {
		t.Fatalf("%s does not set window.litbookSearchDocs: %.60s", SearchIndex, js)
	}
	var docs []searchDoc
	if err := json.Unmarshal([]byte(strings.TrimSuffix(data, ";\n")), &docs); err != nil {
		t.Fatal(err)
	}
	find := func(word string) *searchDoc {
		for i := range docs {
			if strings.Contains(docs[i].Text, word) {
				return &docs[i]
			}
		}
		return nil
	}
	for i, d := range docs {
		if d.ID != i {
			t.Errorf("doc %d has id %d", i, d.ID)
		}
	}
	for word, url := range map[string]string{
		"1048576":     "02-append.html#seeking-first", // captured output
		"bad flag":    "02-append.html#seeking-first", // captured stderr
		"WriteString": "02-append.html#seeking-first", // program code
		"hello":       "01-intro.html#getting-started",
		"append":      "01-intro.html", // prose before the first section
	} {
		d := find(word)
		if d == nil {
			t.Errorf("no search entry holds %q", word)
			continue
		}
		if d.URL != url {
			t.Errorf("%q is in the entry of %s, want %s", word, d.URL, url)
		}
	}
	if d := find("1048576"); d != nil && (d.Title != "Seeking first" || d.Chapter != "Appending") {
		t.Errorf("entry titled %q in %q", d.Title, d.Chapter)
	}
	for _, name := range []string{MiniSearch, MiniSearchLicence, Script, TOCScript, Icon} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	mustContain(t, readSite(t, out, MiniSearchLicence), MiniSearchLicence, "Copyright 2022 Luca Ongaro")
}

// TestOutputGrowsLinearly checks that the site's size is proportional to
// the number of chapters: no page carries a copy of the whole contents,
// so a chapter's page is the same size in a book 4 times as long.
func TestOutputGrowsLinearly(t *testing.T) {
	pageSize := func(n int) (first int64, total int64) {
		files := map[string]string{"book.toml": "[book]\ntitle = \"Growth\"\n"}
		for i := range n {
			files[fmt.Sprintf("chapters/c%03d.md", i)] = fmt.Sprintf("# Chapter %03d with a longish title\n\n## One\n\n## Two\n\nText.\n", i)
		}
		b := writeBook(t, files)
		out := filepath.Join(t.TempDir(), "site")
		if err := Write(Input{Book: b}, out); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(out, "c001.html"))
		if err != nil {
			t.Fatal(err)
		}
		_ = filepath.Walk(out, func(_ string, info os.FileInfo, _ error) error {
			if info != nil && !info.IsDir() {
				total += info.Size()
			}
			return nil
		})
		return fi.Size(), total
	}
	small, total25 := pageSize(25)
	_, total50 := pageSize(50)
	large, total100 := pageSize(100)
	if large != small {
		t.Errorf("a chapter page is %d bytes in a 25-chapter book and %d in a 100-chapter one: pages must not grow with the book", small, large)
	}
	// What one more chapter costs must not depend on how many there are.
	per1 := float64(total50-total25) / 25
	per2 := float64(total100-total50) / 50
	if per2 > per1*1.05 {
		t.Errorf("output per chapter grows with the book: %.0f bytes a chapter from 25 to 50 chapters, %.0f from 50 to 100", per1, per2)
	}
}
