package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/version"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/model"
	"golang.org/x/mod/modfile"
)

// GoVersion returns the version of the Go toolchain that Build uses for
// b, such as go1.26.8. It reads the VERSION file beside the go command
// when that is certainly the toolchain go build will use, so that a build
// with nothing to compile starts no process at all; otherwise (GOTOOLCHAIN
// set anywhere go reads it, or a go.mod asking for a newer Go) it asks go
// env in the book's module, as go build will run.
func (r *Runner) GoVersion(ctx context.Context, b *model.Book) (string, error) {
	modDir := moduleDir(b)
	if v := goRootVersion(r.goCmd()); v != "" && !wantsNewerGo(filepath.Join(modDir, "go.mod"), v) {
		return v, nil
	}
	// GOROOT too, for the runs' PATH (see GoRoot): one process for both.
	out, stderr, err := r.goEnv(ctx, modDir, "GOVERSION", "GOROOT")
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return "", fmt.Errorf("the Go toolchain is needed to build the book's programs: %w", err)
		}
		// Most likely the toolchain that the book's go.mod asks for
		// could not be had: say so at its line.
		e := &model.Error{Msg: "go env GOVERSION: " + err.Error(), Detail: stderr, Err: err}
		if rel, line := newerGoLine(b, modDir); line > 0 {
			e.Pos = model.Pos{File: rel, Line: line}
			e.Msg = "the book's go.mod asks for a newer Go, which the go command could not find: " + e.Msg
		}
		return "", e
	}
	version, root, _ := strings.Cut(out, "\n")
	if root = strings.TrimSpace(root); root != "" {
		r.goRootMu.Lock()
		r.goRoot = root
		r.goRootMu.Unlock()
	}
	return strings.TrimSpace(version), nil
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
	data, err := fsx.ReadRegular(path)
	if err != nil {
		return false
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return false
	}
	_, newer := newerGo(f, version)
	return newer
}

// newerGoLine returns the book's go.mod, relative to the book, and the line
// of its directive that selects a toolchain: toolchain if it has one, else
// go.
func newerGoLine(b *model.Book, modDir string) (string, int) {
	path := filepath.Join(modDir, "go.mod")
	data, err := fsx.ReadRegular(path)
	if err != nil {
		return "", 0
	}
	rel, err := filepath.Rel(b.Root, path)
	if err != nil {
		return "", 0
	}
	f, err := modfile.Parse(rel, data, nil)
	if err != nil {
		return "", 0
	}
	switch {
	case f.Toolchain != nil:
		return filepath.ToSlash(rel), f.Toolchain.Syntax.Start.Line
	case f.Go != nil:
		return filepath.ToSlash(rel), f.Go.Syntax.Start.Line
	}
	return "", 0
}

// newerGo returns the go or toolchain line of f that asks for a newer Go
// than version, if any.
func newerGo(f *modfile.File, v string) (line int, newer bool) {
	if f.Go != nil && version.Compare(v, "go"+f.Go.Version) < 0 {
		return f.Go.Syntax.Start.Line, true
	}
	if t := f.Toolchain; t != nil && t.Name != "default" && version.Compare(v, t.Name) < 0 {
		return t.Syntax.Start.Line, true
	}
	return 0, false
}

// GoRoot returns the GOROOT of the Go toolchain that Build uses for b:
// its bin directory comes first on the PATH of every run, so that
// "$ go version" in a transcript names the Go that built its programs.
// Like GoVersion, it starts no process when the go command on PATH is
// certainly that toolchain; otherwise it asks go env in the book's
// module. The answer is kept for the life of the Runner.
func (r *Runner) GoRoot(ctx context.Context, b *model.Book) (string, error) {
	r.goRootMu.Lock()
	defer r.goRootMu.Unlock()
	if r.goRoot != "" {
		return r.goRoot, nil
	}
	if r.goRoot = r.localGoRoot(b); r.goRoot != "" {
		return r.goRoot, nil
	}
	modDir := moduleDir(b)
	out, stderr, err := r.goEnv(ctx, modDir, "GOROOT")
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %v: %s", err, stderr)
	}
	r.goRoot = out
	return r.goRoot, nil
}

// moduleDir is the directory of the go.mod that b's programs are built
// with (or would be): the book's root unless go-mod names another.
func moduleDir(b *model.Book) string {
	if b.Config.GoMod != "" {
		return filepath.Dir(filepath.Join(b.Root, filepath.FromSlash(b.Config.GoMod)))
	}
	return b.Root
}

// goEnv asks the go command for the variables names as it sees them in
// modDir's module, as go build will run there, and returns its trimmed
// output, one value a line, and its trimmed standard error.
func (r *Runner) goEnv(ctx context.Context, modDir string, names ...string) (out, stderr string, err error) {
	cmd := r.command(ctx, r.goCmd(), append([]string{"env"}, names...)...)
	if _, err := os.Stat(filepath.Join(modDir, "go.mod")); err == nil {
		cmd.Dir = modDir
	}
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = r.runCmd(cmd)
	return strings.TrimSpace(o.String()), strings.TrimSpace(e.String()), err
}

// localGoRoot returns GOROOT, without starting a process, when GoRoot
// has found it already or the go command on PATH is certainly the
// toolchain that builds b; otherwise "".
func (r *Runner) localGoRoot(b *model.Book) string {
	if r.goRoot != "" {
		return r.goRoot
	}
	modDir := moduleDir(b)
	v := goRootVersion(r.goCmd())
	if v == "" || wantsNewerGo(filepath.Join(modDir, "go.mod"), v) {
		return ""
	}
	path, err := exec.LookPath(r.goCmd())
	if err != nil {
		return ""
	}
	if path, err = filepath.EvalSymlinks(path); err != nil {
		return ""
	}
	return filepath.Dir(filepath.Dir(path))
}
