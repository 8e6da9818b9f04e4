package loader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
)

// writeBook writes files (path → content) under a new directory and
// returns it.
func writeBook(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestIncludeRegions assembles a program from a block of the chapter and
// two regions of a real file: the compiled file holds them in chapter
// order, without the anchor lines or the blank lines beside them, and
// each line knows the file and line it comes from.
func TestIncludeRegions(t *testing.T) {
	dir := writeBook(t, map[string]string{
		"book.toml": "[book]\n",
		"code/x.go": "package main\n" + // 1
			"\n" + // 2
			"// ANCHOR: f\n" + // 3
			"\n" + // 4
			"func f() int { return 1 }\n" + // 5
			"\n" + // 6
			"// ANCHOR_END: f\n" + // 7
			"// ANCHOR: main\n" + // 8
			"func main() { println(f()) }\n" + // 9
			"// ANCHOR_END: main\n", // 10
		"chapters/a.md": "# A\n" + // 1
			"\n" + // 2
			"```go program=x\n" + // 3
			"package main\n" + // 4
			"```\n" + // 5
			"\n" + // 6
			"```go program=x include=../code/x.go#main\n" + // 7
			"```\n" + // 8
			"\n" + // 9
			"```go program=x include=../code/x.go#f file=main.go\n" + // 10
			"```\n" + // 11
			"\n" + // 12
			"```text program=x file=testdata/in.txt\n" + // 13
			"data\n" + // 14
			"```\n",
		"chapters/b.md": "# B\n\n```console run=r uses=a/x in=x\n$ x\n```\n",
	})
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	x := b.Programs[0]
	if len(x.Files) != 3 || x.Files[0].Name != "main.go" || x.Files[1].Name != "x.go" || x.Files[2].Name != "testdata/in.txt" {
		var names []string
		for _, f := range x.Files {
			names = append(names, f.Name)
		}
		t.Fatalf("files %q, want main.go, x.go, testdata/in.txt", names)
	}
	main, inc := x.Files[0], x.Files[1]
	if got, want := string(main.Source), "package main\nfunc f() int { return 1 }\n"; got != want {
		t.Errorf("main.go = %q, want %q", got, want)
	}
	if got, want := string(inc.Source), "func main() { println(f()) }\n"; got != want {
		t.Errorf("x.go = %q, want %q", got, want)
	}
	for _, c := range []struct {
		f    *model.File
		line int
		want string
	}{
		{main, 1, "chapters/a.md:4"},
		{main, 2, "code/x.go:5"},
		{inc, 1, "code/x.go:9"},
	} {
		if got := x.ChapterLine(c.f, c.line).String(); got != c.want {
			t.Errorf("%s line %d is at %s, want %s", c.f.Name, c.line, got, c.want)
		}
	}
	if strings.Join(b.Includes, " ") != "code/x.go" {
		t.Errorf("Includes = %q", b.Includes)
	}
	if len(b.Runs) != 1 {
		t.Fatalf("%d runs", len(b.Runs))
	}
	r := b.Runs[0]
	if r.Dir != "x" || len(r.Uses) != 1 || r.Uses[0] != x || len(r.Programs) != 1 || r.Programs[0] != x {
		t.Errorf("run: Dir=%q Uses=%v Programs=%v, want in=x and uses=a/x, in its programs", r.Dir, r.Uses, r.Programs)
	}
}

// TestIncludeErrors reports every bad include= at once, at its attribute.
func TestIncludeErrors(t *testing.T) {
	dir := writeBook(t, map[string]string{
		"book.toml":  "[book]\n",
		"code/x.go":  "// ANCHOR: open\nfunc f() {}\n",
		"code/blank": "\n\n",
		"chapters/a.md": "# A\n\n" +
			"```go program=a include=../code/x.go#open\n```\n\n" +
			"```go program=b include=../code/nosuch.go\n```\n\n" +
			"```go program=c include=code/x.go#\n```\n\n" +
			"```go program=d include=../../out.go\n```\n\n" +
			"```text program=e include=../code/blank file=f.txt\n```\n",
	})
	_, err := Load(dir)
	want := []string{
		`chapters/a.md:3:17: include="../code/x.go#open": code/x.go has no line "ANCHOR_END: open" after its "ANCHOR: open"`,
		`chapters/a.md:6:17: include="../code/nosuch.go": code/nosuch.go: no such file or directory`,
		`chapters/a.md:9:17: include="code/x.go#": name a file, or a region of one`,
		`chapters/a.md:12:17: include="../../out.go": the file must be inside the book's directory`,
		`chapters/a.md:15:19: include="../code/blank": ../code/blank: nothing to include`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("errors lack %q:\n%v", w, err)
		}
	}
}
