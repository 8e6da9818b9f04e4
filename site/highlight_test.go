package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
