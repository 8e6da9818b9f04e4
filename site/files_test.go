package site

import (
	"os"
	"path/filepath"
	"strings"
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

// TestNotFoundBase gives the not-found page the site's URL as its base when
// book.toml names it, so that a static host serving it at a nested path
// still finds the stylesheet and the chapters; without site-url it has
// none.
func TestNotFoundBase(t *testing.T) {
	for _, siteURL := range []string{"", "/my-book/"} {
		toml := "[book]\ntitle = \"T\"\n"
		if siteURL != "" {
			toml += "site-url = \"" + siteURL + "\"\n"
		}
		b := writeBook(t, map[string]string{"book.toml": toml, "chapters/a.md": "# A\n\nText.\n"})
		dir := filepath.Join(t.TempDir(), "site")
		if err := Write(Input{Book: b}, dir); err != nil {
			t.Fatal(err)
		}
		nf, _ := os.ReadFile(filepath.Join(dir, NotFoundPage))
		ch, _ := os.ReadFile(filepath.Join(dir, "a.html"))
		hasBase := strings.Contains(string(nf), `<base href="/my-book/">`)
		if hasBase != (siteURL != "") || strings.Contains(string(ch), "<base") {
			t.Errorf("site-url %q: 404 base %v; chapter page has a base: %v", siteURL, hasBase, strings.Contains(string(ch), "<base"))
		}
	}
}
