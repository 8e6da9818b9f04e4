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
	"github.com/litbook/litbook/runner/supervise"
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

// GoVersion returns the version of the Go toolchain that Build uses for
// b, such as go1.26.8. It reads the VERSION file beside the go command
// when that is certainly the toolchain go build will use, so that a build
// with nothing to compile starts no process at all; otherwise (GOTOOLCHAIN
// set anywhere go reads it, or a go.mod asking for a newer Go) it asks go
// env in the book's module, as go build will run.
func (r *Runner) GoVersion(ctx context.Context, b *model.Book) (string, error) {
	modDir := b.Root
	if b.Config.GoMod != "" {
		modDir = filepath.Dir(filepath.Join(b.Root, filepath.FromSlash(b.Config.GoMod)))
	}
	if v := goRootVersion(r.goCmd()); v != "" && !wantsNewerGo(filepath.Join(modDir, "go.mod"), v) {
		return v, nil
	}
	cmd := exec.CommandContext(ctx, r.goCmd(), "env", "GOVERSION")
	if _, err := os.Stat(filepath.Join(modDir, "go.mod")); err == nil {
		cmd.Dir = modDir
	}
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := r.runCmd(cmd); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return "", fmt.Errorf("the Go toolchain is needed to build the book's programs: %w", err)
		}
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// goRootVersion reads GOROOT/VERSION for the go command goCmd, found on
// PATH: its first line is the version. It returns "" unless that is the
// toolchain go runs: GOROOT and GOTOOLCHAIN are not set in the
// environment, the go env file or GOROOT/go.env (beyond "auto", "local"
// or "path", the defaults, which select this toolchain unless a go.mod asks
// for a newer one).
func goRootVersion(goCmd string) string {
	if os.Getenv("GOROOT") != "" || !localToolchain(os.Getenv("GOTOOLCHAIN")) {
		return ""
	}
	path, err := exec.LookPath(goCmd)
	if err != nil {
		return ""
	}
	if path, err = filepath.EvalSymlinks(path); err != nil {
		return ""
	}
	root := filepath.Dir(filepath.Dir(path))
	data, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		return ""
	}
	v, _, _ := strings.Cut(string(data), "\n")
	if !strings.HasPrefix(v, "go1") {
		return ""
	}
	for _, envFile := range []string{goEnvFile(), filepath.Join(root, "go.env")} {
		if envFile == "" {
			continue
		}
		data, err := os.ReadFile(envFile)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			k, val, ok := strings.Cut(strings.TrimSpace(line), "=")
			if ok && (k == "GOROOT" || k == "GOTOOLCHAIN" && !localToolchain(val)) {
				return ""
			}
		}
	}
	return strings.TrimSpace(v)
}

// localToolchain reports whether a GOTOOLCHAIN setting runs the local
// toolchain unless a go.mod asks for a newer one.
func localToolchain(s string) bool {
	switch strings.TrimSpace(s) {
	case "", "local", "auto", "path", "local+auto", "local+path":
		return true
	}
	return false
}

// goEnvFile is the file go env -w writes, as go finds it.
func goEnvFile() string {
	if f, ok := os.LookupEnv("GOENV"); ok {
		if f == "off" {
			return ""
		}
		return f
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "go", "env")
}

// wantsNewerGo reports whether the go.mod at path asks, with its go or
// toolchain line, for a newer Go than version (such as go1.26.8), which go
// build would then download and switch to.
func wantsNewerGo(path, version string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "go":
			if goVersionLess(version, "go"+f[1]) {
				return true
			}
		case "toolchain":
			if f[1] != "default" && goVersionLess(version, f[1]) {
				return true
			}
		}
	}
	return false
}

// goVersionLess compares Go versions such as go1.26, go1.26.8 and
// go1.27rc1, numerically; a release candidate sorts before its release.
func goVersionLess(a, b string) bool {
	pa, pb := goVersionParts(a), goVersionParts(b)
	for i := range 4 {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

// goVersionParts splits go1.26.8 into [1 26 8 1000] and go1.27rc1 into
// [1 27 0 1]: the last part orders prereleases before the release.
func goVersionParts(v string) [4]int {
	v = strings.TrimPrefix(v, "go")
	var p [4]int
	p[3] = 1000
	for _, pre := range []string{"rc", "beta"} {
		if i := strings.Index(v, pre); i >= 0 {
			n, _ := strconv.Atoi(v[i+len(pre):])
			p[3] = n
			if pre == "beta" {
				p[3] -= 100
			}
			v = v[:i]
		}
	}
	for i, s := range strings.SplitN(v, ".", 3) {
		p[i], _ = strconv.Atoi(s)
	}
	return p
}

// Build writes programs, which belong to b, into a generated module under
// WorkDir and compiles them all with one go build. Only these programs are
// on PATH in the runs that follow: a program not rebuilt is never run
// stale. Compile errors come back as a model.ErrorList positioned at
// chapter lines.
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
	// go build's work directory goes in one litbook removes, however go
	// ends: killed when the build is cancelled, go leaves its own. Named
	// as run directories are, it is removed after a kill -9 of litbook too.
	gotmp, err := os.MkdirTemp(r.tempDir(), supervise.Prefix(os.Getpid())+"go-")
	if err != nil {
		return nil, err
	}
	defer supervise.RemoveAll(gotmp)
	cmd := exec.CommandContext(ctx, r.goCmd(), args...)
	cmd.Dir = src
	// The book's programs are built as their own module, whatever
	// workspace surrounds the book.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOTMPDIR="+gotmp)
	// Cancelling kills go build and the compilers it started. A litbook
	// killed with SIGKILL cancels nothing: the kernel kills go build then
	// (Pdeathsig), or it would go on writing binaries into bin while the
	// next build builds there. Its compilers end with the package they
	// compile, as go build starts no more. (Pdeathsig follows the thread
	// that started go build, and litbook locks no goroutine to a thread,
	// so no thread of litbook's exits before litbook does.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGKILL) }
	cmd.WaitDelay = time.Second
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err = r.runCmd(cmd)
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
