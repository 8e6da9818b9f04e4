package runner

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/model"
	"golang.org/x/mod/modfile"
)

// programsModule is the module path of the generated module that holds the
// book's programs when the book has no go.mod; otherwise the generated
// module has the path of the book's, so that programs may import the
// book's own packages, internal ones included.
const programsModule = "litbook.local/programs"

// Programs is the outcome of a Build.
type Programs struct {
	BinDir    string // absolute; holds one executable per program that compiled
	GoVersion string // e.g. go1.26.8
	// PathDirs maps a chapter's path to a directory of links to its own
	// programs that compiled: the first element of PATH in that chapter's
	// runs.
	PathDirs map[string]string
	// ProgramDirs maps the name of each program that compiled to a
	// directory holding only a link to it: what a run of another chapter
	// that uses= it adds to PATH.
	ProgramDirs map[string]string
	// Src is the generated module: Src/NAME holds program NAME's files,
	// as a run with in=NAME copies them. Module is its module path.
	Src, Module string
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
// Only these programs, and those whose binaries were compiled from what
// they are now (see Hashes and Current), are on PATH in the runs that
// follow: a program is never run stale. Build returns an error only for what stops
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
	// The programs not to compile whose binaries are current stay; all
	// else starts from scratch, so that renamed or deleted programs leave
	// nothing behind (the go build cache keeps this cheap).
	kept := r.current(b, programs)
	for _, d := range []string{src, paths} {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
	}
	if err := clearBin(bin, kept); err != nil {
		return nil, err
	}
	for _, d := range []string{src, bin, paths, filepath.Join(bin, hashDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	progs := &Programs{BinDir: bin, GoVersion: gover, PathDirs: map[string]string{}, ProgramDirs: map[string]string{}, Src: src, Failed: map[string]error{}}
	// link puts p, compiled or kept, on the PATH of its chapter's runs and
	// in a directory of its own for the runs that use= it.
	link := func(p *model.Program) error {
		ch := p.Chapter
		dir := progs.PathDirs[ch.Path]
		if dir == "" {
			dir = filepath.Join(paths, ch.Slug)
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			progs.PathDirs[ch.Path] = dir
		}
		if err := os.Symlink(filepath.Join(bin, p.Name), filepath.Join(dir, p.Name)); err != nil {
			return err
		}
		own := filepath.Join(paths, "programs", p.Name)
		if err := os.MkdirAll(own, 0o755); err != nil {
			return err
		}
		if err := os.Symlink(filepath.Join(bin, p.Name), filepath.Join(own, p.Name)); err != nil {
			return err
		}
		progs.ProgramDirs[p.Name] = own
		return nil
	}
	var keptProgs []*model.Program
	for _, p := range b.Programs {
		if kept[p.Name] {
			keptProgs = append(keptProgs, p)
		}
	}
	if len(programs) == 0 && len(keptProgs) == 0 {
		return progs, nil // the book's go.mod matters to programs only
	}
	mod, err := readBookMod(b, gover)
	if err != nil {
		return nil, err
	}
	if err := mod.write(src); err != nil {
		return nil, err
	}
	progs.Module = mod.path
	c := &compilation{r: r, book: b, mod: mod, src: src, bin: bin, failed: map[*model.Program]model.ErrorList{}, written: map[string][]int{}}
	// A kept program's files are in the generated module too, as a run
	// with in= copies them; it compiled from them before.
	for _, p := range keptProgs {
		if err := writeProgram(src, p, c.written); err != nil {
			return nil, err
		}
		if errs := mod.linkPackages(src, p, b.Programs); len(errs) > 0 {
			progs.Failed[p.Name] = errs
			continue
		}
		if err := link(p); err != nil {
			return nil, err
		}
	}
	if len(programs) == 0 {
		return progs, nil
	}
	r.progress(Event{Kind: Compiling, Total: len(programs)})
	var healthy []*model.Program
	for _, p := range programs {
		if err := writeProgram(src, p, c.written); err != nil {
			return nil, err
		}
		if errs := mod.linkPackages(src, p, b.Programs); len(errs) > 0 {
			c.failed[p] = errs
			continue
		}
		healthy = append(healthy, p)
	}
	err = c.run(ctx, healthy)
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
		if h := r.Hashes[p.Name]; h != "" {
			// After the binary: a sidecar without its binary is never
			// written, and a binary without its sidecar compiles again.
			if err := os.WriteFile(filepath.Join(bin, hashDir, p.Name), []byte(h), 0o644); err != nil {
				return nil, err
			}
		}
		if err := link(p); err != nil {
			return nil, err
		}
	}
	return progs, nil
}

// hashDir, in the binaries' directory, holds beside each binary the hash
// of the sources it was compiled from (Runner.Hashes), in a file named
// for the program.
const hashDir = ".hash"

// Current reports whether the binary of program name in b's work
// directory was compiled from sources with the given hash (see Hashes), so
// that Build need not compile it again.
func (r *Runner) Current(b *model.Book, name, hash string) bool {
	if hash == "" {
		return false
	}
	bin := filepath.Join(r.workDir(b), "bin")
	got, err := os.ReadFile(filepath.Join(bin, hashDir, name))
	if err != nil || string(got) != hash {
		return false
	}
	fi, err := os.Stat(filepath.Join(bin, name))
	return err == nil && fi.Mode().IsRegular()
}

// current returns the names of the programs of b, other than those to
// compile, whose binaries are current.
func (r *Runner) current(b *model.Book, compile []*model.Program) map[string]bool {
	skip := map[string]bool{}
	for _, p := range compile {
		skip[p.Name] = true
	}
	kept := map[string]bool{}
	for _, p := range b.Programs {
		if !skip[p.Name] && r.Current(b, p.Name, r.Hashes[p.Name]) {
			kept[p.Name] = true
		}
	}
	return kept
}

// clearBin removes from the binaries' directory bin every binary, and
// every hash beside one, except those of the programs kept.
func clearBin(bin string, kept map[string]bool) error {
	if len(kept) == 0 {
		return os.RemoveAll(bin)
	}
	for _, dir := range []string{filepath.Join(bin, hashDir), bin} {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, e := range entries {
			if kept[e.Name()] || dir == bin && e.Name() == hashDir {
				continue
			}
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// bookMod is the go.mod the programs are built with: the book's own (so
// programs can import what it requires, such as golang.org/x/sys), or a
// minimal one.
type bookMod struct {
	file *modfile.File
	path string // the generated module's path: the book's module's, or programsModule
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
		return &bookMod{file: f, dir: b.Root, path: programsModule}, nil
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
	mp := programsModule
	if f.Module != nil && f.Module.Mod.Path != "" {
		mp = f.Module.Mod.Path
	}
	return &bookMod{file: f, rel: rel, dir: filepath.Dir(path), path: mp}, nil
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

// write writes the generated module's go.mod (the book's, with relative
// replace targets made absolute, since the copy lives elsewhere) and go.sum
// into src.
func (m *bookMod) write(src string) error {
	f := m.file
	if err := f.AddModuleStmt(m.path); err != nil {
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

// writeProgram writes the files of p into src/NAME. Go files get //line
// directives wherever the next line does not follow the previous one in
// the book, so that the compiler's errors, panics and stack traces name
// the chapter's lines (chapters/x.md:12) or those of the file the code was
// included from. written gets, per Go file written, the line of f.Source
// that each line of the written file holds (0 for a directive).
func writeProgram(src string, p *model.Program, written map[string][]int) error {
	dir := filepath.Join(src, p.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range p.Files {
		name := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		data := f.Source
		if f.IsGo() {
			data, written[name] = lineDirectives(p, f)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// lineDirectives returns f's source with a //line directive before each
// line that does not follow the one before it in the book, and the line of
// f.Source each line of the result holds (0 for a directive).
func lineDirectives(p *model.Program, f *model.File) ([]byte, []int) {
	var out []byte
	var lines []int
	prev := model.Pos{}
	for i, line := range strings.SplitAfter(string(f.Source), "\n") {
		if line == "" {
			continue
		}
		if i < len(f.Lines) {
			at := p.ChapterLine(f, i+1)
			if at.File != prev.File || at.Line != prev.Line+1 {
				out = fmt.Appendf(out, "//line %s:%d\n", at.File, at.Line)
				lines = append(lines, 0)
			}
			prev = at
		}
		out = append(out, line...)
		lines = append(lines, i+1)
	}
	return out, lines
}

// linkPackages makes the packages of the book's module that p imports,
// directly or not, importable in the generated module, which has the book's
// module path: a link in src to the top directory of each. A directory
// named like a program of the book cannot be linked; importing from one
// is an error at p's import.
func (m *bookMod) linkPackages(src string, p *model.Program, programs []*model.Program) model.ErrorList {
	if m.path == programsModule {
		return nil
	}
	isProgram := func(name string) bool {
		return slices.ContainsFunc(programs, func(q *model.Program) bool { return q.Name == name })
	}
	var errs model.ErrorList
	bad := map[string]bool{} // program-named directories already reported
	link := func(top string) error {
		l := filepath.Join(src, top)
		if _, err := os.Lstat(l); err == nil {
			return nil
		}
		return os.Symlink(filepath.Join(m.dir, top), l)
	}
	for _, f := range p.Files {
		if !f.IsGo() {
			continue
		}
		for _, imp := range importsOf(f) {
			rest, ok := strings.CutPrefix(imp.path, m.path+"/")
			if !ok {
				continue
			}
			top, _, _ := strings.Cut(rest, "/")
			if isProgram(top) {
				msg := fmt.Sprintf("program %s imports %s, of the book's module, whose directory %s has the name of a program: rename one", p.Name, imp.path, top)
				if rest == top {
					msg = fmt.Sprintf("program %s imports program %s, a command: share code through a package of the book's module instead", p.Name, top)
				}
				errs = append(errs, &model.Error{Pos: p.ChapterLine(f, imp.line), Msg: msg})
				bad[top] = true
				continue
			}
			if err := link(top); err != nil {
				errs = append(errs, &model.Error{Pos: p.ChapterLine(f, imp.line), Msg: err.Error()})
			}
		}
	}
	// The packages those import in turn.
	for _, imp := range p.BookPackages {
		rest, ok := strings.CutPrefix(imp, m.path+"/")
		if !ok {
			continue
		}
		top, _, _ := strings.Cut(rest, "/")
		if isProgram(top) {
			if !bad[top] {
				bad[top] = true
				errs = append(errs, &model.Error{Pos: p.Pos, Msg: fmt.Sprintf("program %s needs %s, of the book's module, whose directory %s has the name of a program: rename one", p.Name, imp, top)})
			}
			continue
		}
		if err := link(top); err != nil {
			errs = append(errs, &model.Error{Pos: p.Pos, Msg: err.Error()})
		}
	}
	return errs
}

type importSpec struct {
	path string
	line int
}

// importsOf returns the imports of a Go file that parses.
func importsOf(f *model.File) []importSpec {
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, f.Name, f.Source, parser.ImportsOnly)
	if err != nil {
		return nil
	}
	var out []importSpec
	for _, is := range af.Imports {
		if p, err := strconv.Unquote(is.Path.Value); err == nil {
			out = append(out, importSpec{p, fset.Position(is.Pos()).Line})
		}
	}
	return out
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
