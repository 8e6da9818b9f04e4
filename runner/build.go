package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/model"
	"golang.org/x/mod/modfile"
)

// programsModule is the module path of the generated module that holds the
// book's programs.
const programsModule = "litbook.local/programs"

// Programs is the outcome of a Build.
type Programs struct {
	BinDir    string // absolute; holds one executable per program that compiled
	GoVersion string // e.g. go1.26.8
	// PathDirs maps a chapter's path to a directory of links to its own
	// programs that compiled: the first element of PATH in that chapter's
	// runs.
	PathDirs map[string]string
	// Failed maps the name of each program that did not compile to why:
	// a model.ErrorList positioned at chapter lines. The other programs
	// compiled; runs that call a failed program are the caller's to skip.
	Failed map[string]error
}

// Err returns the errors of every program that failed, ordered by
// position, or nil if all compiled.
func (p *Programs) Err() error {
	var errs model.ErrorList
	for _, err := range p.Failed {
		errs.Append(err)
	}
	errs.Sort()
	return errs.Err()
}

// Build writes programs, which belong to b, into a generated module under
// WorkDir and compiles them: every program that compiles gets its binary,
// and every one that does not is reported in the result's Failed, with its
// errors at chapter lines, so that one broken program stops no other.
// Only these programs are on PATH in the runs that follow: a program not
// rebuilt is never run stale. Build returns an error only for what stops
// every program: the build was cancelled, there is no Go toolchain, or the
// book's go.mod is broken (reported at its own lines).
func (r *Runner) Build(ctx context.Context, b *model.Book, programs []*model.Program) (*Programs, error) {
	gover, err := r.GoVersion(ctx, b)
	if err != nil {
		return nil, err
	}
	work := r.workDir(b)
	src := filepath.Join(work, "src")
	bin := filepath.Join(work, "bin")
	paths := filepath.Join(work, "path")
	// Start from scratch so that renamed or deleted programs leave nothing
	// behind; the go build cache keeps this cheap.
	for _, d := range []string{src, bin, paths} {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	progs := &Programs{BinDir: bin, GoVersion: gover, PathDirs: map[string]string{}, Failed: map[string]error{}}
	if len(programs) == 0 {
		return progs, nil // the book's go.mod matters to programs only
	}
	mod, err := readBookMod(b, gover)
	if err != nil {
		return nil, err
	}
	if err := mod.write(src); err != nil {
		return nil, err
	}
	r.progress(Event{Kind: Compiling, Total: len(programs)})
	for _, p := range programs {
		if err := writeProgram(src, p); err != nil {
			return nil, err
		}
	}
	c := &compilation{r: r, book: b, mod: mod, src: src, bin: bin, failed: map[*model.Program]model.ErrorList{}}
	err = c.run(ctx, programs)
	r.progress(Event{Kind: Compiled, Total: len(programs)})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	for _, p := range programs {
		if errs := c.failed[p]; len(errs) > 0 {
			errs.Sort()
			progs.Failed[p.Name] = errs
			continue
		}
		ch := p.Chapter
		dir := progs.PathDirs[ch.Path]
		if dir == "" {
			dir = filepath.Join(paths, ch.Slug)
			if err := os.Mkdir(dir, 0o755); err != nil {
				return nil, err
			}
			progs.PathDirs[ch.Path] = dir
		}
		if err := os.Symlink(filepath.Join(bin, p.Name), filepath.Join(dir, p.Name)); err != nil {
			return nil, err
		}
	}
	return progs, nil
}

// bookMod is the go.mod the programs are built with: the book's own (so
// programs can import what it requires, such as golang.org/x/sys), or a
// minimal one.
type bookMod struct {
	file *modfile.File
	rel  string // the book's go.mod, relative to the book, or "" if it has none
	dir  string // the directory of the book's go.mod
}

// readBookMod reads and checks the book's go.mod: its syntax, and whether
// it asks for a newer Go than gover, the toolchain's version. Errors are at
// lines of the book's go.mod.
func readBookMod(b *model.Book, gover string) (*bookMod, error) {
	rel := b.Config.GoMod
	if rel == "" {
		rel = "go.mod"
	}
	path := filepath.Join(b.Root, filepath.FromSlash(rel))
	data, err := fsx.ReadRegular(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && b.Config.GoMod == "":
		f := new(modfile.File)
		lang := gover
		if v := goLanguage(gover); v != "" {
			lang = v
		}
		if err := f.AddGoStmt(strings.TrimPrefix(lang, "go")); err != nil {
			return nil, err
		}
		return &bookMod{file: f, dir: b.Root}, nil
	case err != nil:
		return nil, &model.Error{Pos: model.Pos{File: "book.toml"}, Msg: fmt.Sprintf("go-mod: %v", err), Err: err}
	}
	f, err := modfile.Parse(rel, data, nil)
	if err != nil {
		return nil, modErrors(rel, err)
	}
	if line, newer := newerGo(f, gover); newer {
		return nil, &model.Error{Pos: model.Pos{File: rel, Line: line}, Msg: fmt.Sprintf("the book's go.mod asks for a newer Go than the toolchain, %s", gover)}
	}
	return &bookMod{file: f, rel: rel, dir: filepath.Dir(path)}, nil
}

// goLanguage returns the language version of a toolchain version:
// go1.26 for go1.26.8.
func goLanguage(v string) string {
	rest, ok := strings.CutPrefix(v, "go")
	if !ok {
		return ""
	}
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) < 2 {
		return ""
	}
	minor, _, _ := strings.Cut(parts[1], "rc")
	minor, _, _ = strings.Cut(minor, "beta")
	return "go" + parts[0] + "." + minor
}

// modErrors turns modfile's parse errors into errors at the lines of the
// book's go.mod, rel.
func modErrors(rel string, err error) error {
	var list modfile.ErrorList
	if !errors.As(err, &list) {
		return &model.Error{Pos: model.Pos{File: rel}, Msg: err.Error(), Err: err}
	}
	var errs model.ErrorList
	for _, e := range list {
		msg := e.Err.Error()
		if e.Verb != "" && e.ModPath != "" {
			msg = fmt.Sprintf("%s %s: %s", e.Verb, e.ModPath, msg)
		}
		errs = append(errs, &model.Error{Pos: model.Pos{File: rel, Line: e.Pos.Line}, Msg: msg, Err: e.Err})
	}
	return errs
}

// write writes the generated module's go.mod (the book's, with the module
// path replaced and relative replace targets made absolute, since the copy
// lives elsewhere) and go.sum into src.
func (m *bookMod) write(src string) error {
	f := m.file
	if err := f.AddModuleStmt(programsModule); err != nil {
		return err
	}
	for _, rep := range append([]*modfile.Replace(nil), f.Replace...) {
		if !modfile.IsDirectoryPath(rep.New.Path) || filepath.IsAbs(rep.New.Path) {
			continue
		}
		if err := f.AddReplace(rep.Old.Path, rep.Old.Version, filepath.Join(m.dir, rep.New.Path), ""); err != nil {
			return err
		}
	}
	f.Cleanup()
	data, err := f.Format()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), data, 0o644); err != nil {
		return err
	}
	if m.rel == "" {
		return nil
	}
	sum, err := fsx.ReadRegular(filepath.Join(m.dir, "go.sum"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(src, "go.sum"), sum, 0o644)
}

func writeProgram(src string, p *model.Program) error {
	dir := filepath.Join(src, p.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range p.Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Source, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sortedNames returns the names of programs, sorted.
func sortedNames(programs []*model.Program) []string {
	var names []string
	for _, p := range programs {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names
}
