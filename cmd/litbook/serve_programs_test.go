package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRebuildsOnProgramSources: under serve, editing a file that a
// program block includes, or a package of the book's module that a
// program imports through another, rebuilds the book; neither is a
// chapter or a linked file.
func TestServeRebuildsOnProgramSources(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs a book under serve")
	}
	t.Setenv("GOPROXY", "off")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "book.toml"), "[book]\n")
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/served\n\ngo 1.26\n")
	writeFile(t, filepath.Join(dir, "internal", "a", "a.go"), "package a\n\nimport \"example.com/served/internal/b\"\n\nfunc Word() string { return b.Word }\n")
	writeFile(t, filepath.Join(dir, "internal", "b", "b.go"), "package b\n\nconst Word = \"first-word\"\n")
	writeFile(t, filepath.Join(dir, "code", "shown.go"), "package main\n\n// first-comment\nfunc main() {}\n")
	writeFile(t, filepath.Join(dir, "chapters", "a.md"), "# A\n\n"+
		"```go program=say\npackage main\n\nimport \"example.com/served/internal/a\"\n\nfunc main() { println(a.Word()) }\n```\n\n"+
		"```console run=say\n$ say\n```\n\n"+
		"```go program=shown include=../code/shown.go\n```\n")
	s := startServe(t, dir)
	ev := s.events(t)
	first := ev.next(t, s, "on connecting")
	if len(first.Errors) != 0 {
		t.Fatalf("first state: %+v", first)
	}
	if _, page := s.get(t, "/a.html"); !strings.Contains(page, "first-word") || !strings.Contains(page, "first-comment") {
		t.Fatalf("/a.html lacks the program's output or the included code:\n%s", page)
	}
	for _, c := range []struct{ file, content, want string }{
		{"code/shown.go", "package main\n\n// second-comment\nfunc main() {}\n", "second-comment"},
		{"internal/b/b.go", "package b\n\nconst Word = \"second-word\"\n", "second-word"},
	} {
		saveByRename(t, filepath.Join(dir, filepath.FromSlash(c.file)), c.content)
		for {
			st := ev.next(t, s, "after editing "+c.file)
			if len(st.Errors) != 0 {
				t.Fatalf("after editing %s: %+v", c.file, st)
			}
			if _, page := s.get(t, "/a.html"); strings.Contains(page, c.want) {
				break
			}
		}
	}
	s.stop(t)
}
