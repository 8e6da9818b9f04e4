package loader

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
)

// FuzzChapter loads a book whose one chapter is the fuzzed input: loading
// never panics, and every error it reports points at a line of the chapter
// (or of book.toml) that exists.
func FuzzChapter(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.txtar")
	for _, s := range seeds {
		data, _ := os.ReadFile(s)
		f.Add(string(data))
	}
	f.Add("```go program=x\npackage main\n```\n")
	f.Add("```go program=x hidden\npackage main\n```\n\n`=timeline(r)`\n\n```console run=r\n$ x\n```\n")
	f.Add("```console run=r exit=1 timeout=1s exclusive\n$ a &\n$ b \\\n c\n```\n")
	f.Add("- item\n\n  ```go program=y file=z.go\n  package main\n  ```\n")
	f.Add("> ```console run\n> $ x\n")
	f.Add("~~~go program=\"q\n~~~\n")
	// Every option of a run block, and the values, claims and charts of
	// prose that refer to it.
	f.Add("```console run=r trials=3 exit=2 timeout=90s exclusive title=\"a b\"\n$ x | y > f &\n$ wait\n$ sh -c 'exit 2'\n```\n\n" +
		"Lost `=r.size(\"f\")` bytes; `=r.lost > 0 in every trial`; `=median(r.time)`.\n\n`=chart(r.time as \"t\", r.lost)`\n")
	f.Add("```go program=p file=util.go\npackage main\n```\n\n    indented $ code\n\n<pre>```console run\n$ x</pre>\n")
	// Callouts, captions and labels, well and badly placed.
	f.Add("> [!NOTE]\n> a\n\n> [!X] b\n\n![i](x.svg)\n\nFigure: c {#fig-a}\n\n| a |\n|---|\n| 1 |\n\nTable: t {#tbl-}\n\nFigure: {#fig-a}\n\n> ![i](y)\n>\n> Figure: in a quote {#fig-q}\n")
	f.Add("```console run=a\n$ true\n```\n```console run=a\n$ true\n```\n```console run=\n```\n```console run=b trials=0 exit=x timeout=-1s\n$\n```\n")
	// Here-documents, closed and not, and "# exit N".
	f.Add("```console run=h stdin=c.md files=.,c.md env=A=1,B=2,3\n$ cat <<-E &\n\tx\n\tE\n$ cat <<E # exit 1\n\tE\n$ wait\n```\n")
	f.Fuzz(func(t *testing.T, chapter string) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "chapters"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\ntitle = \"f\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "chapters", "c.md"), []byte(chapter), 0o644); err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(chapter, "\n") + 1
		_, err := Load(dir)
		var list model.ErrorList
		if err != nil && !errors.As(err, &list) {
			t.Fatalf("error is not an ErrorList: %v", err)
		}
		for _, e := range list {
			switch e.Pos.File {
			case "chapters/c.md":
				if e.Pos.Line < 1 || e.Pos.Line > lines {
					t.Errorf("error at line %d of a %d-line chapter: %v", e.Pos.Line, lines, e)
				}
			case "book.toml":
			default:
				t.Errorf("error names an unexpected file: %v", e)
			}
		}
	})
}

// FuzzConfig loads a fuzzed book.toml: never a panic, and every position
// lies inside the file.
func FuzzConfig(f *testing.F) {
	f.Add("[book]\ntitle = \"x\"\nchapters = [\"chapters/a.md\"]\n[build]\ntimeout = \"1s\"\n")
	f.Add("[book]\ntitle = = 1\n")
	f.Add("[build]\noutput-limit = -1\ngo-mod = \"/x\"\n")
	f.Add("[build]\nfile-size-limit = 0\nprocess-limit = 99999999999999999999\n")
	f.Add("[Build]\nbuild-dir = 1\n[book]\nchapters = [\"a.md\", 2]\n")
	f.Add("[book]\nappendices = [\"chapters/a.md\", \"chapters/a.md\", \"../b.md\"]\n")
	f.Add("[book]\nchapters = [\"chapters/a.md\"]\nappendices = [\"chapters/a.md\"]\n")
	f.Add("[[book.parts]]\ntitle = \"P\"\nchapters = [\"chapters/a.md\"]\n[[book.parts]]\nchapters = []\n[[Book.Parts]]\ntitle = 1\n")
	f.Add("[book]\nparts = [{title = \"P\", chapters = [\"chapters/a.md\", \"x\"]}, {}]\n")
	f.Fuzz(func(t *testing.T, config string) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "chapters"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "book.toml"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "chapters", "a.md"), []byte("# A\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(config, "\n") + 1
		_, err := Load(dir)
		var list model.ErrorList
		var one *model.Error
		switch {
		case err == nil:
		case errors.As(err, &list):
		case errors.As(err, &one):
			list = model.ErrorList{one}
		default:
			t.Fatalf("error without a position: %v", err)
		}
		for _, e := range list {
			switch {
			case e.Pos.File == "":
				t.Errorf("error without a position: %v", e)
			case e.Pos.File == "book.toml" && e.Pos.Line > lines:
				t.Errorf("error at line %d of a %d-line book.toml: %v", e.Pos.Line, lines, e)
			}
		}
	})
}

// FuzzShellScan feeds arbitrary transcripts to the shell parser: it never
// panics, every command name it returns is a plain word, a background
// command's "&" ends its line, and every error points at a line and
// column of the transcript.
func FuzzShellScan(f *testing.F) {
	for _, s := range []string{"a | b & c; d", "echo $(x $(y)) `z` $((1+(2)))", "f() { g; }", "echo 'a", "x >| y 2>&1 &>z", "wait; jobs", `"\\`,
		"b() { b | b & }; b", "alias ll='ls -l'\n$ ll", "echo a \\\n  | wc &", "for i in 1; do\n$ done", "command -v x; time -p y", "&", "echo ${x:1}"} {
		f.Add("$ " + s)
	}
	f.Fuzz(func(t *testing.T, transcript string) {
		var lines []transcriptLine
		for i, l := range strings.SplitAfter(transcript, "\n") {
			lines = append(lines, transcriptLine{Text: l, Line: 10 + i, Col: 3})
		}
		var errs model.ErrorList
		cmds, calls := parseTranscript("c.md", lines, &errs)
		for _, c := range calls {
			if c.Name == "" || strings.ContainsAny(c.Name, " \t\n|&;()<>$`'\"\\") {
				t.Errorf("call of %q", c.Name)
			}
		}
		for _, c := range cmds {
			if c.Text == "" {
				t.Errorf("empty command at %s", c.Pos)
			}
		}
		for _, e := range errs {
			i := e.Pos.Line - 10
			if i < 0 || i >= len(lines) {
				t.Fatalf("error at line %d of %d: %v", e.Pos.Line, len(lines), e)
			}
			if e.Pos.Col != 0 && (e.Pos.Col < 3 || e.Pos.Col > 3+len(lines[i].Text)) {
				t.Errorf("error at column %d of a %d-byte line: %v", e.Pos.Col, len(lines[i].Text), e)
			}
		}
		for _, l := range strings.Split(transcript, "\n") {
			cmd := strings.TrimSpace(strings.TrimPrefix(l, "$"))
			sc, err := scanShell(cmd)
			if err == nil && sc.background && (sc.amp != len(cmd)-1 || cmd[sc.amp] != '&') {
				t.Errorf("scanShell(%q): background at %d", cmd, sc.amp)
			}
		}
	})
}
