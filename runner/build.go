package runner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/litbook/litbook/model"
	"golang.org/x/sys/unix"
)

// programsModule is the module path of the generated module that holds the
// book's programs.
const programsModule = "litbook.local/programs"

// Programs is the outcome of a successful Build.
type Programs struct {
	BinDir    string // absolute; holds one executable per program
	GoVersion string // e.g. go1.26.8
	// PathDirs maps a chapter's path to a directory of links to its own
	// programs: the first element of PATH in that chapter's runs.
	PathDirs map[string]string
}

// GoVersion returns the version of the Go toolchain that Build uses, such
// as go1.26.8. It reads the VERSION file beside the go command when it can,
// so that a build with nothing to compile starts no process at all, and
// asks go env otherwise (or when GOTOOLCHAIN may select another toolchain).
func (r *Runner) GoVersion(ctx context.Context) (string, error) {
	if v := goRootVersion(r.goCmd()); v != "" {
		return v, nil
	}
	cmd := exec.CommandContext(ctx, r.goCmd(), "env", "GOVERSION")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := runTracked(cmd); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return "", fmt.Errorf("the Go toolchain is needed to build the book's programs: %w", err)
		}
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// goRootVersion reads GOROOT/VERSION for the go command goCmd, found on
// PATH: the first line is the version. It returns "" when that is not
// certain to be the toolchain go would use.
func goRootVersion(goCmd string) string {
	switch os.Getenv("GOTOOLCHAIN") {
	case "", "local", "auto", "path":
	default:
		return ""
	}
	if os.Getenv("GOROOT") != "" {
		return ""
	}
	path, err := exec.LookPath(goCmd)
	if err != nil {
		return ""
	}
	if path, err = filepath.EvalSymlinks(path); err != nil {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(path)), "VERSION"))
	if err != nil {
		return ""
	}
	v, _, _ := strings.Cut(string(data), "\n")
	if !strings.HasPrefix(v, "go1") {
		return ""
	}
	return strings.TrimSpace(v)
}

// Build writes programs, which belong to b, into a generated module under
// WorkDir and compiles them all with one go build. Only these programs are
// on PATH in the runs that follow: a program not rebuilt is never run
// stale. Compile errors come back as a model.ErrorList positioned at
// chapter lines.
func (r *Runner) Build(ctx context.Context, b *model.Book, programs []*model.Program) (*Programs, error) {
	gover, err := r.GoVersion(ctx)
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
	if err := writeModule(b, src, gover); err != nil {
		return nil, err
	}
	progs := &Programs{BinDir: bin, GoVersion: gover, PathDirs: map[string]string{}}
	if len(programs) == 0 {
		return progs, nil
	}
	r.progress(Event{Kind: Compiling, Total: len(programs)})
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	for _, p := range programs {
		if err := writeProgram(src, p); err != nil {
			return nil, err
		}
		args = append(args, "./"+p.Name)
	}
	cmd := exec.CommandContext(ctx, r.goCmd(), args...)
	cmd.Dir = src
	// The book's programs are built as their own module, whatever
	// workspace surrounds the book.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	// Cancelling kills go build and the compilers it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGKILL) }
	cmd.WaitDelay = time.Second
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err = runTracked(cmd)
	r.progress(Event{Kind: Compiled, Total: len(programs)})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, compileErrors(b, output.Bytes(), err)
	}
	// go build -o DIR writes nothing for a package that is not main.
	var errs model.ErrorList
	for _, p := range programs {
		if _, err := os.Stat(filepath.Join(bin, p.Name)); err != nil {
			errs.Add(p.Pos, "program %s is not a command: its files must say package main", p.Name)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	for _, p := range programs {
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

// writeModule writes go.mod and go.sum for the programs: a copy of the
// book's go.mod (so programs can import what it requires, such as
// golang.org/x/sys) with the module line replaced, or a minimal one.
func writeModule(b *model.Book, src, gover string) error {
	gomod := b.Config.GoMod
	if gomod == "" {
		gomod = "go.mod"
	}
	modPath := filepath.Join(b.Root, filepath.FromSlash(gomod))
	data, err := os.ReadFile(modPath)
	switch {
	case errors.Is(err, os.ErrNotExist) && b.Config.GoMod == "":
		v := strings.TrimPrefix(gover, "go")
		if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 {
			v = parts[0] + "." + parts[1]
		}
		data = []byte("go " + v + "\n")
	case err != nil:
		return &model.Error{Pos: model.Pos{File: "book.toml"}, Msg: fmt.Sprintf("go-mod: %v", err), Err: err}
	default:
		if sum, err := os.ReadFile(filepath.Join(filepath.Dir(modPath), "go.sum")); err == nil {
			if err := os.WriteFile(filepath.Join(src, "go.sum"), sum, 0o644); err != nil {
				return err
			}
		}
	}
	var mod bytes.Buffer
	fmt.Fprintf(&mod, "module %s\n", programsModule)
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "module" {
			continue
		}
		mod.WriteString(absReplace(line, filepath.Dir(modPath)))
	}
	return os.WriteFile(filepath.Join(src, "go.mod"), mod.Bytes(), 0o644)
}

// absReplace rewrites a replace directive's relative target (=> ../x) to
// an absolute path, since the copy of go.mod lives elsewhere.
func absReplace(line, dir string) string {
	left, right, ok := strings.Cut(line, "=>")
	if !ok {
		return line
	}
	target := strings.TrimSpace(right)
	if !strings.HasPrefix(target, "./") && !strings.HasPrefix(target, "../") {
		return line
	}
	end := ""
	if strings.HasSuffix(line, "\n") {
		end = "\n"
	}
	return left + "=> " + filepath.Join(dir, strings.Fields(target)[0]) + end
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

// compilerLineRE matches "prog/file.go:12:5: message" as printed by go build
// run in the module directory.
var compilerLineRE = regexp.MustCompile(`^(?:\./)?([^/\s]+)/([^/\s:]+\.go):(\d+)(?::\d+)?: (.*)$`)

// compileErrors maps go build's output to chapter positions. Lines that
// name no program file are attached to the program whose "# pkg" header
// precedes them, or reported without a position.
func compileErrors(b *model.Book, out []byte, runErr error) error {
	byName := map[string]*model.Program{}
	for _, p := range b.Programs {
		byName[p.Name] = p
	}
	var errs model.ErrorList
	var current *model.Program
	var unplaced []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "# "+programsModule+"/"); ok {
			current = byName[name]
			continue
		}
		if m := compilerLineRE.FindStringSubmatch(line); m != nil {
			if p := byName[m[1]]; p != nil {
				n, _ := strconv.Atoi(m[3])
				pos := p.Pos
				for _, f := range p.Files {
					if f.Name == m[2] {
						pos = p.ChapterLine(f, n)
					}
				}
				errs = append(errs, &model.Error{Pos: pos, Msg: m[4]})
				continue
			}
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if current != nil {
			errs = append(errs, &model.Error{Pos: current.Pos, Msg: fmt.Sprintf("program %s: %s", current.Name, strings.TrimSpace(line))})
			continue
		}
		unplaced = append(unplaced, line)
	}
	if len(unplaced) > 0 || len(errs) == 0 {
		errs = append(errs, &model.Error{Msg: "go build failed: " + runErr.Error(), Detail: strings.Join(unplaced, "\n")})
	}
	return errs
}
