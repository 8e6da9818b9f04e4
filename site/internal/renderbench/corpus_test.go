package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpus checks the generated book: n chapters named as wide as n,
// each with its three sections, table and code blocks, and a Hugo site
// with the same Markdown.
func TestCorpus(t *testing.T) {
	dir := t.TempDir()
	if err := writeCorpus(dir, 12); err != nil {
		t.Fatal(err)
	}
	if err := hugoSite(dir); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "chapters", "*.md"))
	if len(names) != 12 || filepath.Base(names[0]) != "ch01.md" {
		t.Fatalf("chapters: %v", names)
	}
	data, err := os.ReadFile(filepath.Join(dir, "chapters", "ch07.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(data)
	for _, want := range []string{"# Chapter 07: appending", "## Section 3", "| O_EXCL | yes | lock files |", "for i := 0; i < 307; i++ {", "[the next chapter](ch07.md#section-2)"} {
		if !strings.Contains(md, want) {
			t.Errorf("ch07.md lacks %q", want)
		}
	}
	if n := strings.Count(md, "```go"); n != 3 {
		t.Errorf("ch07.md has %d Go blocks, want 3", n)
	}
	hugo, err := os.ReadFile(filepath.Join(dir, "hugo", "content", "ch07.md"))
	if err != nil || string(hugo) != md {
		t.Errorf("the Hugo site's ch07.md differs from the book's (%v)", err)
	}
	for _, f := range []string{"config.toml", "layouts/_default/single.html", "layouts/_default/list.html", "../book.toml"} {
		if _, err := os.Stat(filepath.Join(dir, "hugo", f)); err != nil {
			t.Error(err)
		}
	}
}
