package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// initBook is the book that litbook init writes: book.toml, go.mod, a
// .gitignore and one chapter with a program, a racing run, a value, a
// claim, a chart, a callout and a figure reference. go.mod.tmpl and
// gitignore are named so that the go command and git leave them alone
// here; init writes them as go.mod and .gitignore.
//
//go:embed initbook
var initBook embed.FS

var cmdInit = &command{
	Name:      "init",
	UsageLine: "init [dir]",
	Short:     "write a small book to start from",
	Long: `
Init writes a new book into dir (default: the current directory, created if
need be): book.toml, go.mod, .gitignore and chapters/01-start.md, a chapter
with a Go program, a run that races two copies of it, a value, a claim, a
chart, a callout and a numbered figure. It builds and passes litbook test
as it is; it needs only Go and its standard library.

Init never overwrites a file: if any of those it would write exists, it
writes nothing and names them.`,
	Flags: func(fs *flag.FlagSet) *options { return &options{jobs: 1} },
	Run: func(ctx context.Context, e *env, o *options, dir string) error {
		files, err := initFiles()
		if err != nil {
			return err
		}
		names := make([]string, 0, len(files))
		for name := range files {
			names = append(names, name)
		}
		sort.Strings(names)
		var exist []string
		for _, name := range names {
			if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); err == nil || !errors.Is(err, fs.ErrNotExist) {
				exist = append(exist, filepath.Join(dir, filepath.FromSlash(name)))
			}
		}
		if len(exist) > 0 {
			return fmt.Errorf("init writes no file over another: %s already exist%s; choose another directory, or move %s", strings.Join(exist, ", "), map[bool]string{true: "s"}[len(exist) == 1], map[bool]string{true: "it", false: "them"}[len(exist) == 1])
		}
		for _, name := range names {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			// O_EXCL: a file that appeared since the check is not replaced.
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return err
			}
			_, err = f.Write(files[name])
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
		cd := ""
		if dir != "." {
			cd = fmt.Sprintf("\tcd %s\n", dir)
		}
		fmt.Fprintf(e.stdout, `Wrote a new book in %s: %s.

Next:
%s	litbook serve    build it, serve it on http://127.0.0.1:3000, and rebuild on every save
	litbook test     run what changed and check every claim, as CI would

Then edit chapters/01-start.md: the program, the run, the values and the
claim in its prose. Commit results/ with the chapters: it holds what the
book says. The authoring reference is the appendix of litbook's own book
(chapters/90-authoring.md in its repository).
`, displayDir(dir), strings.Join(names, ", "), cd)
		return nil
	},
}

// initFiles returns the files of the new book by their path in it.
func initFiles() (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(initBook, "initbook", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := initBook.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "initbook/")
		switch name {
		case "go.mod.tmpl":
			name = "go.mod"
			data = []byte(strings.ReplaceAll(string(data), "{{GO}}", goLanguageVersion()))
		case "gitignore":
			name = ".gitignore"
		}
		files[name] = data
		return nil
	})
	return files, err
}

// goLanguageVersion is the language version of the Go that built litbook,
// for the go line of a new book's go.mod: "1.26" for go1.26.8.
func goLanguageVersion() string {
	v := strings.TrimPrefix(runtime.Version(), "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || strings.ContainsAny(parts[1], "-+ ") {
		return "1.26"
	}
	return parts[0] + "." + parts[1]
}

// displayDir is dir as the user can type it.
func displayDir(dir string) string {
	if dir == "." {
		return "the current directory"
	}
	return dir
}
