package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
)

func TestHighlightCache(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cache", "highlight.cache")
	code := []byte("package main\n\nfunc main() {}\n")
	other := []byte("x := 1\n")

	h := loadHighlighter(file)
	want := h.highlight(blockKey("go", code), "go", code)
	if !strings.Contains(want, `<span class="kd">func</span>`) {
		t.Fatalf("not highlighted: %s", want)
	}
	h.highlight(blockKey("go", other), "go", other)
	h.commit()

	// The next build knows both blocks and lexes nothing.
	h = loadHighlighter(file)
	if len(h.known) != 2 {
		t.Fatalf("the cache holds %d blocks, want 2", len(h.known))
	}
	if got := h.highlight(blockKey("go", code), "go", code); got != want {
		t.Errorf("cached block differs:\n%s\nwant\n%s", got, want)
	}
	if h.fresh != 0 {
		t.Errorf("%d blocks highlighted afresh, want 0", h.fresh)
	}
	// It used one of the two blocks: the other drops out of the cache.
	h.commit()
	if h = loadHighlighter(file); len(h.known) != 1 {
		t.Errorf("after a build that used 1 block, the cache holds %d", len(h.known))
	}

	// A damaged cache is no cache.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data[:len(data)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	if h = loadHighlighter(file); len(h.known) != 0 {
		t.Errorf("a truncated cache gave %d blocks", len(h.known))
	}
	if got := h.highlight(blockKey("go", code), "go", code); got != want {
		t.Errorf("highlighting without the cache differs")
	}
	// A failed build leaves no temporary file.
	h.abort()
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("cache directory holds %d entries after abort, want 1", len(entries))
	}
}

// The styles litbook keeps a copy of (chromastyles) are chroma's own, in
// the version go.mod names: an upgrade of chroma that changes them fails
// here until the copies are updated.
func TestChromaStylesAsChromas(t *testing.T) {
	for _, name := range []string{lightStyle, darkStyle} {
		ours, err := chromaStyle(name)
		if err != nil {
			t.Fatal(err)
		}
		theirs := styles.Get(name)
		if theirs.Name != name {
			t.Fatalf("chroma has no style %s", name)
		}
		f := chromahtml.New(chromahtml.WithClasses(true))
		var a, b strings.Builder
		if err := f.WriteCSS(&a, ours); err != nil {
			t.Fatal(err)
		}
		if err := f.WriteCSS(&b, theirs); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() || ours.Counterpart != theirs.Counterpart {
			t.Errorf("chromastyles/%s.xml differs from chroma's: copy styles/%[1]s.xml of the chroma in go.mod", name)
		}
	}
}
