package runner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
)

// program returns a program of ch whose files (name, source) start at
// chapter line at, each file's lines following the previous file's.
func program(ch *model.Chapter, name string, at int, files ...string) *model.Program {
	p := &model.Program{Name: name, Chapter: ch, Pos: model.Pos{File: ch.Path, Line: at}}
	line := at + 1
	for i := 0; i < len(files); i += 2 {
		f := &model.File{Name: files[i], Source: []byte(files[i+1])}
		for range strings.Split(files[i+1], "\n") {
			f.Lines = append(f.Lines, line)
			line++
		}
		line += 2 // the fences
		p.Files = append(p.Files, f)
	}
	ch.Programs = append(ch.Programs, p)
	return p
}

const helloMain = "package main\n\nfunc main() {}\n"

// TestBuildKeepsGoing: a program that fails to load (a missing import)
// stops go build before it compiles anything, and one with a type error
// fails only itself; the healthy programs must compile all the same, in
// the same Build, and each broken one be reported at its chapter line.
func TestBuildKeepsGoing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	ch := &model.Chapter{Path: "chapters/a.md", Slug: "a"}
	b := &model.Book{Root: t.TempDir(), Chapters: []*model.Chapter{ch}}
	b.Programs = []*model.Program{
		program(ch, "one", 10, "main.go", helloMain),
		program(ch, "noimport", 20, "main.go", "package main\n\nimport _ \"nosuch/pkg\"\n\nfunc main() {}\n"),
		program(ch, "two", 30, "main.go", helloMain),
		program(ch, "typeerr", 40, "main.go", "package main\n\nfunc main() {\n\tvar x int = \"s\"\n\t_ = x\n}\n"),
		program(ch, "three", 50, "main.go", helloMain),
	}
	progs, err := (&Runner{}).Build(context.Background(), b, b.Programs)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"one", "two", "three"} {
		if _, err := os.Stat(filepath.Join(progs.BinDir, name)); err != nil {
			t.Errorf("healthy program %s has no binary: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(progs.PathDirs[ch.Path], name)); err != nil {
			t.Errorf("healthy program %s is not on its chapter's PATH: %v", name, err)
		}
	}
	want := map[string]string{
		"noimport": "chapters/a.md:23: package nosuch/pkg is not in std",
		"typeerr":  `chapters/a.md:44: cannot use "s" (untyped string constant) as int value in variable declaration`,
	}
	if len(progs.Failed) != len(want) {
		t.Errorf("failed: %v, want %d programs", progs.Failed, len(want))
	}
	for name, w := range want {
		err := progs.Failed[name]
		var list model.ErrorList
		if !errors.As(err, &list) || len(list) != 1 || !strings.HasPrefix(list[0].Error(), w) {
			t.Errorf("program %s: got %v, want one error starting %q", name, err, w)
		}
		if _, err := os.Stat(filepath.Join(progs.BinDir, name)); err == nil {
			t.Errorf("broken program %s has a binary", name)
		}
	}
}

// TestBuildErrorsAtBookPositions: every error of a program or of the
// book's go.mod is at a line the author wrote, in words that apply to a
// book, without litbook's internal paths.
func TestBuildErrorsAtBookPositions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	t.Setenv("GOPROXY", "off") // nothing is downloaded
	for _, tc := range []struct {
		name  string
		gomod string   // the book's go.mod, if any
		files []string // of program bye, at chapter line 3
		want  string   // the whole error, of Build or of bye
	}{
		{name: "not main", files: []string{"main.go", "package foo\n\nfunc main() {}\n"},
			want: "chapters/b.md:4: program bye is not a command: its files must say package main, not package foo"},
		{name: "two packages", files: []string{"main.go", helloMain, "extra.go", "// Extra.\npackage other\n"},
			want: "chapters/b.md:11: program bye: extra.go says package other: every file of a program must say package main"},
		{name: "go.mod garbage", gomod: "module book\n\nthis is not a go.mod\n", files: []string{"main.go", helloMain},
			want: "go.mod:3: unknown directive: this"},
		{name: "newer go", gomod: "module book\n\ngo 1.99.0\n", files: []string{"main.go", helloMain},
			want: "go.mod:3: the book's go.mod asks for a newer Go than the toolchain, "},
		{name: "missing module", gomod: "module book\n\ngo 1.26\n", files: []string{"main.go", "package main\n\nimport _ \"github.com/no/such/module\"\n\nfunc main() {}\n"},
			want: "chapters/b.md:6: no required module provides package github.com/no/such/module: add a require line for its module to go.mod (and its sums to go.sum beside it)"},
		{name: "missing go.sum", gomod: "module book\n\ngo 1.26\n\nrequire golang.org/x/sys v0.49.0\n", files: []string{"main.go", "package main\n\nimport _ \"golang.org/x/sys/unix\"\n\nfunc main() {}\n"},
			want: "chapters/b.md:6: missing go.sum entry for module providing package golang.org/x/sys/unix: add the module's checksums to the go.sum beside go.mod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := &model.Chapter{Path: "chapters/b.md", Slug: "b"}
			b := &model.Book{Root: t.TempDir(), Chapters: []*model.Chapter{ch}}
			b.Programs = []*model.Program{program(ch, "bye", 3, tc.files...), program(ch, "hello", 30, "main.go", helloMain)}
			if tc.gomod != "" {
				if err := os.WriteFile(filepath.Join(b.Root, "go.mod"), []byte(tc.gomod), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			progs, err := (&Runner{}).Build(context.Background(), b, b.Programs)
			if err == nil {
				err = progs.Failed["bye"]
				if _, serr := os.Stat(filepath.Join(progs.BinDir, "hello")); serr != nil {
					t.Errorf("the healthy program has no binary: %v", serr)
				}
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
			if strings.Contains(err.Error(), b.Root) || strings.Contains(err.Error(), "go get") || strings.Contains(err.Error(), programsModule) {
				t.Errorf("the error names an internal path or advises go get: %v", err)
			}
			var list model.ErrorList
			if errors.As(err, &list) && len(list) != 1 {
				t.Errorf("%d errors, want 1: %v", len(list), err)
			}
		})
	}
}

// TestGoVersionNewerToolchainUnavailable: a go.mod asking for a Go that the
// go command cannot get (here GOPROXY=off) is reported at its go line.
func TestGoVersionNewerToolchainUnavailable(t *testing.T) {
	t.Setenv("GOTOOLCHAIN", "auto")
	t.Setenv("GOPROXY", "off")
	b := &model.Book{Root: t.TempDir()}
	if err := os.WriteFile(filepath.Join(b.Root, "go.mod"), []byte("module book\n\ngo 1.99.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := (&Runner{}).GoVersion(context.Background(), b)
	if err == nil || !strings.HasPrefix(err.Error(), "go.mod:3: the book's go.mod asks for a newer Go, which the go command could not find: ") {
		t.Errorf("got %v, want it at go.mod:3", err)
	}
}

// TestBuildPanicNamesChapterLines: a program built from two blocks panics
// in the second; its stack trace names the chapter line of each frame
// (the //line directives) and no directory of the machine (-trimpath).
func TestBuildPanicNamesChapterLines(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	ch := &model.Chapter{Path: "chapters/a.md", Slug: "a"}
	b := &model.Book{Root: t.TempDir(), Chapters: []*model.Chapter{ch}}
	p := &model.Program{Name: "boom", Chapter: ch, Pos: model.Pos{File: ch.Path, Line: 3}, Files: []*model.File{{
		Name: "main.go",
		// Lines 1-4 are chapter lines 4-7; lines 5-7 are chapter lines
		// 20-22, a block further down.
		Source: []byte("package main\n\nfunc main() { third(nil) }\n\n//go:noinline\nfunc third(s []int) int {\n\treturn s[2]\n}\n"),
		Lines:  []int{4, 5, 6, 7, 20, 21, 22, 23},
	}}}
	ch.Programs = []*model.Program{p}
	b.Programs = ch.Programs
	progs, err := (&Runner{}).Build(context.Background(), b, b.Programs)
	if err != nil {
		t.Fatal(err)
	}
	if err := progs.Err(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(progs.BinDir, "boom")).CombinedOutput()
	if err == nil {
		t.Fatalf("boom did not panic:\n%s", out)
	}
	for _, want := range []string{"\tchapters/a.md:22 ", "\tchapters/a.md:6 "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the stack trace lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "\t/") || strings.Contains(string(out), b.Root) {
		t.Errorf("the stack trace names a directory of the machine:\n%s", out)
	}
}

// TestBuildKeepsCurrentBinaries: a program that Build is not asked to
// compile stays on PATH, without a relink, only while its binary was
// compiled from the sources it has now (by Hashes); a program whose hash
// changed is neither kept nor on PATH.
func TestBuildKeepsCurrentBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	ch := &model.Chapter{Path: "chapters/a.md", Slug: "a"}
	b := &model.Book{Root: t.TempDir(), Chapters: []*model.Chapter{ch}}
	b.Programs = []*model.Program{
		program(ch, "one", 10, "main.go", helloMain),
		program(ch, "two", 20, "main.go", helloMain),
	}
	ctx := context.Background()
	r := &Runner{Hashes: map[string]string{"one": "h1", "two": "h1"}}
	if _, err := r.Build(ctx, b, b.Programs); err != nil {
		t.Fatal(err)
	}
	if !r.Current(b, "one", "h1") || r.Current(b, "one", "h2") {
		t.Fatal("Current does not match the hash recorded at compilation")
	}
	bin := filepath.Join(r.workDir(b), "bin", "one")
	before, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	// two's sources changed: only it compiles; one stays as it was.
	r.Hashes["two"] = "h2"
	progs, err := r.Build(ctx, b, b.Programs[1:])
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(bin)
	if err != nil || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("one's current binary was not kept as it was (%v)", err)
	}
	for _, name := range []string{"one", "two"} {
		if _, err := os.Stat(filepath.Join(progs.PathDirs[ch.Path], name)); err != nil {
			t.Errorf("%s is not on PATH: %v", name, err)
		}
	}
	// one's sources changed and it is not compiled: it must not run stale.
	r.Hashes["one"] = "h3"
	progs, err = r.Build(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(progs.PathDirs[ch.Path], "one")); err == nil {
		t.Error("one, compiled from other sources, is on PATH")
	}
	if _, err := os.Stat(bin); err == nil {
		t.Error("one's stale binary was kept")
	}
	if _, err := os.Stat(filepath.Join(progs.PathDirs[ch.Path], "two")); err != nil {
		t.Errorf("two, current, is not on PATH: %v", err)
	}
}
