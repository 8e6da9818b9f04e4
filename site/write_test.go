package site

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// siblings lists the names in dir other than keep, to catch temporary
// directories left behind.
func siblings(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
outer:
	for _, e := range entries {
		for _, k := range keep {
			if e.Name() == k {
				continue outer
			}
		}
		names = append(names, e.Name())
	}
	return names
}

func TestWriteReplacesPreviousSite(t *testing.T) {
	b, results := smallBook(t)
	parent := t.TempDir()
	out := filepath.Join(parent, "book")
	if err := Write(Input{Book: b, Records: recordsOf(results)}, out); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "stale.html")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o055 != 0o055 {
		t.Errorf("site directory has mode %v, want it readable by all", perm)
	}

	// Nothing changed: the site is up to date, and the build does nothing.
	if err := Write(Input{Book: b, Records: recordsOf(results)}, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Errorf("a build with nothing changed replaced the site (%v)", err)
	}

	// A new result changes the site: it is replaced as a whole.
	results[0].Duration++
	if err := Write(Input{Book: b, Records: recordsOf(results)}, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the previous site's %s survived the third build (err=%v)", filepath.Base(stale), err)
	}
	for _, name := range []string{"index.html", "02-append.html", MarkerFile} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("after the second build: %v", err)
		}
	}
	if left := siblings(t, parent, "book"); len(left) > 0 {
		t.Errorf("temporary directories left beside the site: %v", left)
	}
}

func TestWriteIntoEmptyDirectory(t *testing.T) {
	b, results := smallBook(t)
	out := filepath.Join(t.TempDir(), "book")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(Input{Book: b, Records: recordsOf(results)}, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
		t.Error(err)
	}
}

func TestWriteRefusesForeignDirectory(t *testing.T) {
	b, results := smallBook(t)
	parent := t.TempDir()
	out := filepath.Join(parent, "book")
	keep := filepath.Join(out, "thesis.tex")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keep, []byte("years of work"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(Input{Book: b, Records: recordsOf(results)}, out)
	if !errors.Is(err, ErrNotOurs) {
		t.Fatalf("Write into a directory litbook did not make: err = %v, want ErrNotOurs", err)
	}
	if !strings.Contains(err.Error(), "refusing to replace") || !strings.Contains(err.Error(), MarkerFile) {
		t.Errorf("error %q should say what it refuses and why", err)
	}
	if data, err := os.ReadFile(keep); err != nil || string(data) != "years of work" {
		t.Errorf("the directory's file was touched: %q, %v", data, err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("the directory now holds %d entries, want 1", len(entries))
	}
	if left := siblings(t, parent, "book"); len(left) > 0 {
		t.Errorf("temporary directories left beside the site: %v", left)
	}

	// A file in place of the directory is refused too.
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(Input{Book: b, Records: recordsOf(results)}, file); err == nil {
		t.Error("Write replaced a regular file")
	}
}

func TestFailedRenderKeepsPreviousSite(t *testing.T) {
	b, results := smallBook(t)
	parent := t.TempDir()
	out := filepath.Join(parent, "book")
	if err := Write(Input{Book: b, Records: recordsOf(results)}, out); err != nil {
		t.Fatal(err)
	}
	before := readSite(t, out, "02-append.html")
	// One result too many: a caller's bug, reported as an error.
	if err := Write(Input{Book: b, Records: recordsOf(append(results, nil))}, out); err == nil {
		t.Fatal("Write with more results than runs succeeded")
	}
	if after := readSite(t, out, "02-append.html"); after != before {
		t.Error("a failed build changed the published site")
	}
	if left := siblings(t, parent, "book"); len(left) > 0 {
		t.Errorf("temporary directories left beside the site: %v", left)
	}
}

func TestWriteRefusesTheBook(t *testing.T) {
	b, results := smallBook(t)
	for _, dir := range []string{
		b.Root,
		filepath.Dir(b.Root),
		"/",
		filepath.Join(b.Root, "chapters"),
		filepath.Join(b.Root, "chapters", "out"),
		b.Root + "/chapters/../chapters/..", // the root, spelt otherwise
	} {
		if err := Write(Input{Book: b, Records: recordsOf(results)}, dir); err == nil {
			t.Errorf("Write(%s) succeeded; it must refuse to replace the book", dir)
		}
		if err := Clean(b, dir); err == nil {
			t.Errorf("Clean(%s) succeeded; it must refuse to remove the book", dir)
		}
	}
	if _, err := os.Stat(filepath.Join(b.Root, "chapters", "02-append.md")); err != nil {
		t.Fatalf("the book was damaged: %v", err)
	}

	// A symbolic link to the book is the book.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(b.Root, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(Input{Book: b, Records: recordsOf(results)}, link); err == nil {
		t.Error("Write through a symbolic link to the book succeeded")
	}

	// A build directory inside the book, beside the chapters, is fine.
	if err := Write(Input{Book: b, Records: recordsOf(results)}, filepath.Join(b.Root, "book")); err != nil {
		t.Error(err)
	}
}

func TestClean(t *testing.T) {
	b, results := smallBook(t)
	parent := t.TempDir()

	// A directory without the marker stays.
	foreign := filepath.Join(parent, "foreign")
	if err := os.Mkdir(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "index.html"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Clean(b, foreign); !errors.Is(err, ErrNotOurs) {
		t.Errorf("Clean of a directory without %s: err = %v, want ErrNotOurs", MarkerFile, err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "index.html")); err != nil {
		t.Errorf("Clean removed a directory it did not make: %v", err)
	}

	// A site litbook made goes.
	out := filepath.Join(parent, "book")
	if err := Write(Input{Book: b, Records: recordsOf(results)}, out); err != nil {
		t.Fatal(err)
	}
	if err := Clean(b, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Clean left the site: %v", err)
	}

	// Nothing to clean is not an error.
	if err := Clean(b, out); err != nil {
		t.Errorf("Clean of a missing directory: %v", err)
	}
}

func TestSwapByRenames(t *testing.T) {
	parent := t.TempDir()
	dir, tmp := filepath.Join(parent, "book"), filepath.Join(parent, ".book.tmp-1")
	for d, content := range map[string]string{dir: "old", tmp: "new"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "index.html"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := swapByRenames(tmp, dir); err != nil {
		t.Fatal(err)
	}
	if got := readSite(t, dir, "index.html"); got != "new" {
		t.Errorf("after the swap the site holds %q, want the new one", got)
	}
	if left := siblings(t, parent, "book"); len(left) > 0 {
		t.Errorf("left beside the site: %v", left)
	}
}
