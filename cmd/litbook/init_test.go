package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitThenTest writes a new book with litbook init and builds it with
// litbook test, offline: it compiles, runs, and its claim holds. A second
// init into the same directory refuses, naming the files in the way, and
// changes nothing.
func TestInitThenTest(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs a book")
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "")
	dir := filepath.Join(t.TempDir(), "new book")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"init", dir}, &stdout, &stderr); code != exitOK {
		t.Fatalf("init: exit %d\n%s", code, stderr.String())
	}
	for _, want := range []string{"Wrote a new book in " + dir, "book.toml, chapters/01-start.md, go.mod", "cd " + dir, "litbook serve", "litbook test"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("init's output lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, name := range []string{"book.toml", "go.mod", ".gitignore", "chapters/01-start.md"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	chapter, _ := os.ReadFile(filepath.Join(dir, "chapters/01-start.md"))
	for _, form := range []string{"program=appender", "run=race", "`=race.wrote`", " in every trial`", "`=chart(", "> [!TIP]", "{#fig-race}", "[](#fig-race)"} {
		if !bytes.Contains(chapter, []byte(form)) {
			t.Errorf("the new chapter lacks %q", form)
		}
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"test", dir}, &stdout, &stderr); code != exitOK {
		t.Fatalf("test of the new book: exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "1 run (5 trials) ok") {
		t.Errorf("test did not run the race:\n%s", stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"build", dir}, &stdout, &stderr); code != exitOK {
		t.Fatalf("build of the new book: exit %d\n%s", code, stderr.String())
	}
	page, err := os.ReadFile(filepath.Join(dir, "book", "01-start.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`class="callout callout-tip"`, `<a href="#fig-race" class="xref">Figure 1.1</a>`, `<figure class="figure" id="fig-race">`, `Two appenders, 2,000 lines each`, `time (`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the new book's page lacks %q", want)
		}
	}

	before, _ := os.ReadFile(filepath.Join(dir, "book.toml"))
	os.Remove(filepath.Join(dir, "go.mod"))
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"init", dir}, &stdout, &stderr); code != exitFail {
		t.Fatalf("init over a book: exit %d, want %d", code, exitFail)
	}
	want := "litbook: init writes no file over another: " + filepath.Join(dir, ".gitignore") + ", " + filepath.Join(dir, "book.toml") + ", " + filepath.Join(dir, "chapters/01-start.md") + " already exist; choose another directory, or move them\n"
	if stderr.String() != want {
		t.Errorf("init over a book said\n%s\nwant\n%s", stderr.String(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		t.Error("init wrote go.mod though it refused")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "book.toml")); !bytes.Equal(before, after) {
		t.Error("init changed book.toml")
	}
}
