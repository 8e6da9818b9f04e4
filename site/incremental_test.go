package site

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/links"
	"github.com/litbook/litbook/loader"
)

// TestIncrementalEqualsWrite edits a book step by step, as an author under
// litbook serve does, and after every step compares the site that one
// Incremental keeps up to date (from books loaded through one
// loader.Cache, their links resolved through one links.Cache) with the
// site that Write makes from scratch from the same sources: they must be
// the same, file for file and byte for byte. The
// steps change what other chapters' pages show without touching their
// sources (a title that the next chapter's pager shows, a figure's number
// that another chapter's cross-reference shows), add and remove chapters,
// and break a chapter and fix it. It also checks that the Incremental
// redrew pages only where it had to: an edit to one chapter's prose
// rewrites that chapter's page and leaves the others' files alone.
func TestIncrementalEqualsWrite(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := fsx.WriteAtomic(filepath.Join(root, filepath.FromSlash(name)), false, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	write("book.toml", "[book]\ntitle = \"Incremental\"\n")
	write("chapters/a.md", "# Alpha\n\n## Seeking first\n\nSee [beta](b.md#the-end) and [](b.md#fig-two).\n")
	write("chapters/b.md", "# Beta\n\n![one](d.svg)\n\nFigure: One. {#fig-one}\n\n![two](d.svg)\n\nFigure: Two. {#fig-two}\n\n## The end\n\nBack to [alpha](a.md#seeking-first).\n")
	write("chapters/c.md", "# Gamma\n\nPlain prose, `code` and\n\n```go\npackage main\n```\n")
	write("chapters/d.svg", `<svg xmlns="http://www.w3.org/2000/svg"/>`)
	write("chapters/e.md", "# Epsilon\n\n```console run=r\n$ echo hi\n```\n\nA run that has not run yet.\n")

	cache, linkCache := &loader.Cache{}, &links.Cache{}
	inc := &Incremental{}
	incDir := filepath.Join(t.TempDir(), "inc")
	step := 0
	// build returns the files the Incremental rewrote, by modification.
	build := func(what string) {
		t.Helper()
		step++
		b, err := loader.LoadCached(context.Background(), root, cache)
		if err != nil {
			t.Fatalf("step %d (%s): %v", step, what, err)
		}
		lk, err := links.ResolveCached(b, incDir, linkCache)
		if err != nil {
			t.Fatalf("step %d (%s): %v", step, what, err)
		}
		if err := inc.Write(Input{Book: b, Links: lk}, incDir); err != nil {
			t.Fatalf("step %d (%s): incremental: %v", step, what, err)
		}
		fresh, err := loader.Load(root)
		if err != nil {
			t.Fatal(err)
		}
		fullDir := filepath.Join(t.TempDir(), "full")
		if err := Write(Input{Book: fresh}, fullDir); err != nil {
			t.Fatalf("step %d (%s): Write: %v", step, what, err)
		}
		sameTree(t, what, fullDir, incDir)
	}
	mtimes := func() map[string]int64 {
		m := map[string]int64{}
		_ = filepath.WalkDir(incDir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				fi, _ := d.Info()
				m[strings.TrimPrefix(p, incDir+"/")] = fi.ModTime().UnixNano()
			}
			return nil
		})
		return m
	}

	build("first build")
	build("nothing changed")
	before := mtimes()
	write("chapters/c.md", "# Gamma\n\nPlain prose, more of it, `code` and\n\n```go\npackage main\n```\n")
	build("prose of one chapter")
	after := mtimes()
	for _, name := range []string{"a.html", "b.html", "index.html", "toc.js", "style.css", "files/chapters/d.svg"} {
		if before[name] != after[name] {
			t.Errorf("an edit to c.md's prose rewrote %s", name)
		}
	}
	for _, name := range []string{"c.html", "print.html", "search-index.js", MarkerFile} {
		if before[name] == after[name] {
			t.Errorf("an edit to c.md's prose left %s as it was", name)
		}
	}
	write("chapters/b.md", "# Beta\n\n![zero](d.svg)\n\nFigure: Zero. {#fig-zero}\n\n![one](d.svg)\n\nFigure: One. {#fig-one}\n\n![two](d.svg)\n\nFigure: Two. {#fig-two}\n\n## The end\n\nBack to [alpha](a.md#seeking-first).\n")
	build("a figure number that a.md shows")
	write("chapters/b.md", "# Beta, renamed\n\n![zero](d.svg)\n\nFigure: Zero. {#fig-zero}\n\n![one](d.svg)\n\nFigure: One. {#fig-one}\n\n![two](d.svg)\n\nFigure: Two. {#fig-two}\n\n## The end\n\nBack to [alpha](a.md#seeking-first).\n")
	build("a title that the pagers and the sidebar show")
	write("chapters/a.md", "# Alpha\n\n## Seeking last\n\nSee [beta](b.md#the-end) and [](b.md#fig-two).\n")
	write("chapters/b.md", "# Beta, renamed\n\n![two](d.svg)\n\nFigure: Two. {#fig-two}\n\n## The end\n\nBack to [alpha](a.md#seeking-last).\n")
	build("a heading another chapter links to, renamed in both")
	write("chapters/a.md", "# Alpha\n\n## Seeking last\n\nSee [beta](b.md#the-end).\n")
	build("a link removed")
	write("chapters/a.md", "# Alpha\n\n## Seeking last\n\nSee [beta](b.md#the-end).\n\n## A new section\n\nWhich the search index numbers.\n")
	build("a section added, which numbers the search index's later entries")
	write("chapters/b2.md", "# Between\n\nNew.\n")
	build("a chapter added")
	if err := os.Remove(filepath.Join(root, "chapters", "b2.md")); err != nil {
		t.Fatal(err)
	}
	build("a chapter removed")
	write("chapters/c.md", "# Gamma\n\n```go\npackage main\n")
	if _, err := loader.LoadCached(context.Background(), root, cache); err == nil {
		t.Fatal("a chapter with an unclosed block loaded")
	}
	write("chapters/c.md", "# Gamma\n\nFixed.\n")
	build("a broken chapter fixed")
	write("chapters/e.md", "# Epsilon\n\n```console run=r\n$ echo hi\n```\n\nA run that has not run yet, edited.\n")
	build("a chapter with a run")
	write("book.toml", "[book]\ntitle = \"Incremental, renamed\"\n")
	build("book.toml")
}

// sameTree fails unless dirs a and b hold the same files with the same
// bytes.
func sameTree(t *testing.T, what, a, b string) {
	t.Helper()
	read := func(dir string) map[string][]byte {
		m := map[string][]byte{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			m[strings.TrimPrefix(p, dir+"/")] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ma, mb := read(a), read(b)
	for name, data := range ma {
		other, ok := mb[name]
		switch {
		case !ok:
			t.Errorf("%s: the incremental site lacks %s", what, name)
		case !bytes.Equal(data, other):
			t.Errorf("%s: %s differs from a whole build's", what, name)
		}
	}
	for name := range mb {
		if _, ok := ma[name]; !ok {
			t.Errorf("%s: the incremental site has %s, which a whole build has not", what, name)
		}
	}
}

// TestRemoveLeftoversInSite: the files an Incremental was writing when it
// was killed go, and the site's own files stay.
func TestRemoveLeftoversInSite(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "book")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".print.html.tmp-123", MarkerFile, "print.html"} {
		if err := os.WriteFile(filepath.Join(out, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	RemoveLeftovers(root, out)
	if _, err := os.Stat(filepath.Join(out, ".print.html.tmp-123")); err == nil {
		t.Error("the temporary file is still there")
	}
	for _, name := range []string{MarkerFile, "print.html"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}
