package loader

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestCacheReusesOnlyUnchanged loads a book three times through one
// Cache: a chapter of plain prose whose source is unchanged is not parsed
// again (its document is the same), one whose source changed is, and
// chapters with what the book assembles across chapters (a run, a
// numbered figure) are parsed every time; and every load numbers the
// chapters as a load without a cache does, including after the
// chapters' order changes.
func TestCacheReusesOnlyUnchanged(t *testing.T) {
	dir := writeBook(t, map[string]string{
		"book.toml":      "[book]\ntitle = \"T\"\nchapters = [\"chapters/a.md\", \"chapters/b.md\", \"chapters/c.md\", \"chapters/d.md\"]\n",
		"chapters/a.md":  "# A\n\nPlain.\n",
		"chapters/b.md":  "# B\n\nPlain too.\n",
		"chapters/c.md":  "# C\n\n```console run=r\n$ true\n```\n",
		"chapters/d.md":  "# D\n\n![x](x.svg)\n\nFigure: X. {#fig-x}\n",
		"chapters/x.svg": "<svg/>",
	})
	c := &Cache{}
	load := func() *Parsed {
		t.Helper()
		b, err := LoadCached(context.Background(), dir, c)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		for i, ch := range b.Chapters {
			f := fresh.Chapters[i]
			if ch.Path != f.Path || ch.Title != f.Title || ch.Number != f.Number || ch.Appendix != f.Appendix || string(ch.Source) != string(f.Source) {
				t.Errorf("chapter %d: %+v through the cache, %+v without", i, *ch, *f)
			}
		}
		return b
	}
	first := load()
	if err := os.WriteFile(filepath.Join(dir, "chapters", "b.md"), []byte("# B\n\nEdited.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := load()
	for i, want := range []bool{true, false, false, false} {
		if got := first.Docs[i] == second.Docs[i]; got != want {
			t.Errorf("%s: document reused = %v, want %v", second.Chapters[i].Path, got, want)
		}
	}
	if first.Chapters[0] == second.Chapters[0] {
		t.Error("a reused chapter is the same *model.Chapter in both books")
	}
	if err := os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\ntitle = \"T\"\nchapters = [\"chapters/b.md\", \"chapters/c.md\", \"chapters/d.md\"]\nappendices = [\"chapters/a.md\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	third := load()
	if a := third.Chapters[3]; a.Path != "chapters/a.md" || a.Number != "A" || !a.Appendix || third.Docs[3] != first.Docs[0] {
		t.Errorf("chapters/a.md as an appendix: %+v (document reused: %v)", *a, third.Docs[3] == first.Docs[0])
	}
}
