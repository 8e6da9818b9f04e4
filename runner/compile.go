package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner/supervise"
)

// compilation compiles the programs of one Build. The go command stops
// before compiling anything when a package fails to load (a missing import
// or module, files of different packages), so a compilation first builds
// every program at once (the common case: one go build); if some program
// then has neither a binary nor a compile error, go list finds those that
// fail to load, and the rest are built again.
type compilation struct {
	r      *Runner
	book   *model.Book
	mod    *bookMod
	src    string // the generated module
	bin    string
	failed map[*model.Program]model.ErrorList
	// written maps each Go file written to the line of its source that
	// each of its lines holds (see writeProgram).
	written map[string][]int
	// reported holds the packages of the book's module whose compile
	// errors are recorded, with one program that imports them.
	reported map[string]bool
}

// buildEvent is a line of go build -json (go help buildjson).
type buildEvent struct {
	ImportPath string
	Action     string // "build-output" or "build-fail"
	Output     string
}

// listPackage is what litbook reads of go list -e -json.
type listPackage struct {
	ImportPath     string
	Name           string
	GoFiles        []string
	InvalidGoFiles []string
	Error          *listError
	DepsErrors     []*listError
}

type listError struct {
	ImportStack []string
	Pos         string
	Err         string
}

// run compiles programs, recording in failed why each one that did not
// compile failed. Its error is for what stops every program.
func (c *compilation) run(ctx context.Context, programs []*model.Program) error {
	left, err := c.build(ctx, programs, false)
	if err != nil || len(left) == 0 {
		return err
	}
	pkgs, err := c.list(ctx, left)
	if err != nil {
		return err
	}
	var again []*model.Program
	for _, p := range left {
		lp := pkgs[p.Name]
		if lp == nil {
			c.fail(p, &model.Error{Pos: p.Pos, Msg: fmt.Sprintf("program %s: go list did not report it", p.Name)})
			continue
		}
		if !c.loadErrors(p, lp) {
			again = append(again, p)
		}
	}
	if len(again) == 0 {
		return nil
	}
	// Held back by another program's load error, or failed for a reason
	// that go build printed without a position (a link error): build them
	// again, alone.
	left, err = c.build(ctx, again, true)
	for _, p := range left {
		c.fail(p, &model.Error{Pos: p.Pos, Msg: fmt.Sprintf("program %s: go build wrote no binary and reported no error", p.Name)})
	}
	return err
}

func (c *compilation) fail(p *model.Program, e *model.Error) {
	c.failed[p] = append(c.failed[p], e)
}

// goCommand returns the go command with args in the generated module.
// Its work directory goes in gotmp, which the caller removes however go
// ends: killed when the build is cancelled, go leaves its own.
func (c *compilation) goCommand(ctx context.Context, gotmp string, args ...string) *exec.Cmd {
	// Cancelling kills go and the compilers it started. A litbook killed
	// with SIGKILL cancels nothing: the kernel kills go then (Pdeathsig),
	// or it would go on writing binaries into bin while the next build
	// builds there. Its compilers end with the package they compile, as go
	// build starts no more.
	cmd := c.r.command(ctx, c.r.goCmd(), args...)
	cmd.Dir = c.src
	// The book's programs are built as their own module, whatever
	// workspace surrounds the book.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOTMPDIR="+gotmp)
	return cmd
}

// goRun runs go with args, in a work directory named as run directories
// are, so that it is removed after a kill -9 of litbook too, and returns
// its standard output and error.
func (c *compilation) goRun(ctx context.Context, args ...string) (stdout, stderr []byte, err error) {
	gotmp, err := os.MkdirTemp(c.r.tempDir(), supervise.Prefix(os.Getpid())+"go-")
	if err != nil {
		return nil, nil, err
	}
	defer supervise.RemoveAll(gotmp)
	cmd := c.goCommand(ctx, gotmp, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = c.r.runCmd(cmd)
	return out.Bytes(), errOut.Bytes(), err
}

// build builds programs with one go build -json, records the compile
// errors of each, and returns those left with neither a binary nor an
// error of their own: held back by another's load error, failing to load
// themselves, or not commands. Unless final, a program whose output places
// no error at a line of its own is left too, for go list to explain.
func (c *compilation) build(ctx context.Context, programs []*model.Program, final bool) (left []*model.Program, err error) {
	// -trimpath: a binary names no directory of the machine that built
	// it; the //line directives make its files the book's.
	args := []string{"build", "-json", "-trimpath", "-o", c.bin + string(filepath.Separator)}
	for _, name := range sortedNames(programs) {
		args = append(args, "./"+name)
	}
	stdout, stderr, runErr := c.goRun(ctx, args...)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var execErr *exec.Error
	if errors.As(runErr, &execErr) {
		return nil, fmt.Errorf("the Go toolchain is needed to build the book's programs: %w", runErr)
	}
	output := map[string]*strings.Builder{} // import path → its output
	failed := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(stdout))
	for {
		var ev buildEvent
		if err := dec.Decode(&ev); err != nil {
			break
		}
		switch ev.Action {
		case "build-output":
			if output[ev.ImportPath] == nil {
				output[ev.ImportPath] = &strings.Builder{}
			}
			output[ev.ImportPath].WriteString(ev.Output)
		case "build-fail":
			failed[ev.ImportPath] = true
		}
	}
	for _, p := range programs {
		if out := output[c.mod.path+"/"+p.Name]; failed[c.mod.path+"/"+p.Name] && out != nil {
			if final || c.placesAny(p, out.String()) {
				c.compileErrors(p, out.String())
			} else {
				left = append(left, p)
			}
			continue
		}
		if _, err := os.Stat(filepath.Join(c.bin, p.Name)); err != nil {
			if !c.bookPackageErrors(p, output, failed) {
				left = append(left, p)
			}
		}
	}
	if runErr != nil && len(left) == len(programs) && len(failed) == 0 {
		// go stopped before any package: the module itself is broken.
		return nil, c.goError(runErr, stderr)
	}
	return left, nil
}

// bookPackageErrors records, for a program that has no binary, the
// compile errors of the packages of the book's module it imports that
// failed, at their lines in the book: with the first program that imports
// a package, and as a line naming the package with the others. It reports
// whether it recorded any.
func (c *compilation) bookPackageErrors(p *model.Program, output map[string]*strings.Builder, failed map[string]bool) bool {
	found := false
	for _, pkg := range p.BookPackages {
		out := output[pkg]
		rest, ok := strings.CutPrefix(pkg, c.mod.path+"/")
		if !failed[pkg] || out == nil || !ok {
			continue
		}
		if fi, err := os.Stat(filepath.Join(c.src, filepath.FromSlash(rest))); err != nil || !fi.IsDir() {
			continue // not there: go list explains
		}
		found = true
		if c.reported[pkg] {
			c.fail(p, &model.Error{Pos: p.Pos, Msg: fmt.Sprintf("program %s imports %s, which does not compile", p.Name, pkg)})
			continue
		}
		if c.reported == nil {
			c.reported = map[string]bool{}
		}
		c.reported[pkg] = true
		c.recordErrors(p, out.String(), func(line string) *model.Error {
			if loc, msg, ok := strings.Cut(line, ": "); ok {
				if pos, ok := c.bookPos(loc); ok {
					return &model.Error{Pos: pos, Msg: msg}
				}
			}
			return &model.Error{Pos: p.Pos, Msg: fmt.Sprintf("program %s: %s: %s", p.Name, pkg, c.clean(line))}
		})
	}
	return found
}

// recordErrors records the errors in build output out for p: each line
// but blank ones and "# package" headers is the error errorAt makes of
// it, and indented lines after one are its detail.
func (c *compilation) recordErrors(p *model.Program, out string, errorAt func(line string) *model.Error) {
	var last *model.Error
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "# "):
			continue
		case strings.HasPrefix(line, "\t") && last != nil:
			last.Detail += strings.TrimPrefix(line, "\t") + "\n"
			continue
		}
		last = errorAt(line)
		c.fail(p, last)
	}
}

// bookPos maps "path/file.go:LINE[:COL]", relative to the generated
// module, in a directory of the book's module linked there, to the file's
// position in the book.
func (c *compilation) bookPos(loc string) (model.Pos, bool) {
	parts := strings.Split(loc, ":")
	if len(parts) < 2 || len(parts) > 3 || filepath.IsAbs(parts[0]) {
		return model.Pos{}, false
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return model.Pos{}, false
	}
	rel, err := filepath.Rel(c.book.Root, filepath.Join(c.mod.dir, filepath.Clean(parts[0])))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return model.Pos{}, false
	}
	pos := model.Pos{File: filepath.ToSlash(rel), Line: n}
	if len(parts) == 3 {
		pos.Col, _ = strconv.Atoi(parts[2])
	}
	return pos, true
}

// list runs go list -e -json on programs and returns the packages by
// program name.
func (c *compilation) list(ctx context.Context, programs []*model.Program) (map[string]*listPackage, error) {
	args := []string{"list", "-e", "-json=ImportPath,Name,GoFiles,InvalidGoFiles,Error,DepsErrors"}
	for _, name := range sortedNames(programs) {
		args = append(args, "./"+name)
	}
	stdout, stderr, err := c.goRun(ctx, args...)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, c.goError(err, stderr)
	}
	pkgs := map[string]*listPackage{}
	dec := json.NewDecoder(bytes.NewReader(stdout))
	for {
		var lp listPackage
		if err := dec.Decode(&lp); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %v", err)
		}
		if name, ok := strings.CutPrefix(lp.ImportPath, c.mod.path+"/"); ok {
			pkgs[name] = &lp
		}
	}
	return pkgs, nil
}

// goError is the error of a go command that failed for every program:
// what it printed, with mentions of the generated module's go.mod placed
// at the book's.
func (c *compilation) goError(err error, stderr []byte) error {
	text := strings.TrimSpace(strings.ReplaceAll(string(stderr), c.src+string(filepath.Separator), ""))
	text = strings.TrimPrefix(text, "go: ")
	if text == "" {
		text = err.Error()
	}
	e := &model.Error{Msg: "go build failed: " + text, Err: err}
	if strings.Contains(text, "go.mod") && c.mod.rel != "" {
		e.Pos = model.Pos{File: c.mod.rel}
	}
	return e
}

// compileErrors records the errors in a package's build output: lines
// "file.go:LINE:COL: message" at chapter lines, indented lines after one
// as its detail, and any other line at the program's own line.
func (c *compilation) compileErrors(p *model.Program, out string) {
	c.recordErrors(p, out, func(line string) *model.Error {
		if pos, msg, ok := c.place(p, line); ok {
			return &model.Error{Pos: pos, Msg: msg}
		}
		return &model.Error{Pos: p.Pos, Msg: fmt.Sprintf("program %s: %s", p.Name, c.clean(line))}
	})
	if len(c.failed[p]) == 0 {
		c.fail(p, &model.Error{Pos: p.Pos, Msg: fmt.Sprintf("program %s did not compile", p.Name)})
	}
}

// placesAny reports whether a line of out is an error at a line of p.
func (c *compilation) placesAny(p *model.Program, out string) bool {
	for _, line := range strings.Split(out, "\n") {
		if _, _, ok := c.place(p, line); ok {
			return true
		}
	}
	return false
}

// place reads "path/file.go:LINE[:COL]: message", with path relative to
// the generated module or absolute, and returns the chapter line of a
// file of p and the message.
func (c *compilation) place(p *model.Program, line string) (model.Pos, string, bool) {
	loc, msg, ok := strings.Cut(line, ": ")
	if !ok {
		return model.Pos{}, "", false
	}
	pos, ok := c.placeLoc(p, loc)
	return pos, msg, ok
}

// placeLoc maps "path/file.go:LINE[:COL]" to a chapter line of p.
func (c *compilation) placeLoc(p *model.Program, loc string) (model.Pos, bool) {
	parts := strings.Split(loc, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return model.Pos{}, false
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return model.Pos{}, false
	}
	// A position the //line directives made: a line of a file of the book
	// that p's code comes from (go list joins it to the package's
	// directory).
	name := filepath.ToSlash(parts[0])
	if rel, err := filepath.Rel(c.src, parts[0]); err == nil && filepath.IsAbs(parts[0]) {
		name = filepath.ToSlash(rel)
	}
	for _, cand := range []string{name, strings.TrimPrefix(name, p.Name+"/")} {
		if c.origin(p, cand) {
			return model.Pos{File: cand, Line: n}, true
		}
	}
	file := filepath.Clean(parts[0])
	if !filepath.IsAbs(file) {
		file = filepath.Join(c.src, file)
	}
	if filepath.Dir(file) != filepath.Join(c.src, p.Name) {
		return model.Pos{}, false
	}
	for _, f := range p.Files {
		if f.Name == filepath.Base(file) {
			if w := c.written[file]; n >= 1 && n <= len(w) {
				n = w[n-1]
			}
			return p.ChapterLine(f, n), true
		}
	}
	return model.Pos{}, false
}

// origin reports whether file is a file of the book that a Go file of p
// has lines of: its chapter, or a file it includes.
func (c *compilation) origin(p *model.Program, file string) bool {
	for _, f := range p.Files {
		if !f.IsGo() {
			continue
		}
		if file == p.Chapter.Path && len(f.From) < len(f.Lines) || slices.Contains(f.From, file) {
			return true
		}
		if file == p.Chapter.Path && slices.Contains(f.From, "") {
			return true
		}
	}
	return false
}

// clean removes the generated module's directory, and the generated
// module's package paths ("(imported by litbook.local/programs/NAME)"),
// from a message: the error is at the program's line already.
func (c *compilation) clean(msg string) string {
	msg = strings.ReplaceAll(msg, c.src+string(filepath.Separator), "")
	for {
		i := strings.Index(msg, " (imported by "+c.mod.path+"/")
		if i < 0 {
			return msg
		}
		j := strings.IndexByte(msg[i:], ')')
		if j < 0 {
			return msg
		}
		msg = msg[:i] + msg[i+j+1:]
	}
}

// loadErrors records why the package lp of program p failed to load, or
// is not a command, and reports whether it did.
func (c *compilation) loadErrors(p *model.Program, lp *listPackage) bool {
	before := len(c.failed[p])
	switch {
	case len(lp.InvalidGoFiles) > 0 || lp.Name != "main":
		c.packageClauses(p, lp)
	case lp.Error != nil:
		c.loadError(p, lp.Error)
	}
	for _, e := range lp.DepsErrors {
		c.loadError(p, e)
	}
	if lp.Error != nil && len(c.failed[p]) == before {
		c.loadError(p, lp.Error)
	}
	return len(c.failed[p]) > before
}

// loadError records a load error of p (or of a package it imports).
func (c *compilation) loadError(p *model.Program, e *listError) {
	msg := c.clean(e.Err)
	// go's advice to run go get in the generated module does not apply:
	// the book's go.mod must require the module, and its go.sum hold the
	// module's checksums.
	if m, _, ok := strings.Cut(msg, "; to add"); ok {
		if pkg, own := strings.CutPrefix(m, "no required module provides package "+c.mod.path+"/"); own && c.mod.path != programsModule {
			// A package of the book's own module that is not there.
			msg = fmt.Sprintf("package %s/%s is not in the book's module: there is no directory %s beside %s", c.mod.path, pkg, pkg, c.mod.rel)
		} else if strings.HasPrefix(m, "missing go.sum entry") {
			msg = m + ": " + c.sumAdvice()
		} else {
			msg = m + ": " + c.requireAdvice()
		}
	}
	pos, ok := c.placeLoc(p, e.Pos)
	if !ok {
		pos = p.Pos
		msg = fmt.Sprintf("program %s: %s", p.Name, msg)
	}
	c.fail(p, &model.Error{Pos: pos, Msg: msg})
}

// sumAdvice says how a book provides the checksums of a module it requires.
func (c *compilation) sumAdvice() string {
	return fmt.Sprintf("add the module's checksums to the go.sum beside %s", c.mod.rel)
}

// requireAdvice says how a book makes a module available to its programs.
func (c *compilation) requireAdvice() string {
	if c.mod.rel == "" {
		return "the book has no go.mod; add one that requires the module (with its go.sum), beside book.toml or named by go-mod in book.toml's [build]"
	}
	return fmt.Sprintf("add a require line for its module to %s (and its sums to go.sum beside it)", c.mod.rel)
}

// packageClauses reports each file of p whose package clause does not say
// package main, at that clause's line.
func (c *compilation) packageClauses(p *model.Program, lp *listPackage) {
	fset := token.NewFileSet()
	for _, f := range p.Files {
		af, err := parser.ParseFile(fset, f.Name, f.Source, parser.PackageClauseOnly)
		var list scanner.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			c.fail(p, &model.Error{Pos: p.ChapterLine(f, list[0].Pos.Line), Msg: list[0].Msg})
			continue
		} else if err != nil {
			c.fail(p, &model.Error{Pos: p.Pos, Msg: fmt.Sprintf("program %s: %s: %v", p.Name, f.Name, err)})
			continue
		}
		if af.Name.Name == "main" {
			continue
		}
		pos := p.ChapterLine(f, fset.Position(af.Package).Line)
		if len(p.Files) == 1 {
			c.fail(p, &model.Error{Pos: pos, Msg: fmt.Sprintf("program %s is not a command: its files must say package main, not package %s", p.Name, af.Name.Name)})
		} else {
			c.fail(p, &model.Error{Pos: pos, Msg: fmt.Sprintf("program %s: %s says package %s: every file of a program must say package main", p.Name, f.Name, af.Name.Name)})
		}
	}
}
