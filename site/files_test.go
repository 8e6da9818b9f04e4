package site

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLinkedFilesAreCopied(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":            "[book]\ntitle = \"T\"\n",
		"chapters/a.md":        "# A\n\n![dot](img/dot.svg) and [data](../data/d.csv#L2)\n",
		"chapters/img/dot.svg": "<svg/>",
		"data/d.csv":           "a,b\n",
	})
	out := filepath.Join(t.TempDir(), "site")
	if err := Write(Input{Book: b}, out); err != nil {
		t.Fatal(err)
	}
	page := readSite(t, out, "a.html")
	mustContain(t, page, "a.html", `<img src="files/chapters/img/dot.svg" alt="dot">`, `<a href="files/data/d.csv#L2">data</a>`)
	if data, err := os.ReadFile(filepath.Join(out, "files", "data", "d.csv")); err != nil || string(data) != "a,b\n" {
		t.Errorf("copied file: %q, %v", data, err)
	}
	// A change to a linked file is a change to the site.
	before := PublishedDigest(out)
	if err := os.WriteFile(filepath.Join(b.Root, "data", "d.csv"), []byte("a,b,c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(Input{Book: b}, out); err != nil {
		t.Fatal(err)
	}
	if after := PublishedDigest(out); after == before || after == "" {
		t.Errorf("digest %q after changing a linked file, was %q", after, before)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "files", "data", "d.csv")); string(data) != "a,b,c\n" {
		t.Errorf("the site holds the old copy: %q", data)
	}
}
