package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/litbook/litbook/model"
)

// goEnv is what a run with in= needs to call the go command that built the
// book's programs (which every run has on PATH) as that build did: its
// caches, so that go test in a run compiles only what the run's copy
// changed and never downloads a module.
type goEnv struct {
	cache, modCache string
	vars            []string
}

// lookGoEnv asks the go command for its caches.
func (r *Runner) lookGoEnv(ctx context.Context) (*goEnv, error) {
	out, err := r.output(r.command(ctx, r.goCmd(), "env", "GOCACHE", "GOMODCACHE"), false)
	if err != nil {
		return nil, fmt.Errorf("go env: %v", err)
	}
	v := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(v) != 2 {
		return nil, fmt.Errorf("go env printed %q", out)
	}
	return &goEnv{
		cache:    v[0],
		modCache: v[1],
		vars: []string{
			"GOCACHE=" + v[0],
			"GOMODCACHE=" + v[1],
			"GOTOOLCHAIN=local",
			"GOPROXY=off",
			"GOWORK=off",
			"GOENV=off",
			// A test's result comes from running it, never from the
			// cache: a transcript shows what happened in this run.
			"GOFLAGS=-count=1",
		},
	}, nil
}

// runPath is PATH inside run: the chapter's programs, then each program of
// another chapter that its block's uses= names, then the Go toolchain and
// the system's directories.
func (env *execEnv) runPath(run *model.Run) string {
	var dirs []string
	if d := env.pathDirs[run.Chapter.Path]; d != "" {
		dirs = append(dirs, d)
	}
	for _, p := range run.Uses {
		if d := env.programDirs[p.Name]; d != "" {
			dirs = append(dirs, d)
		}
	}
	return sandboxPath(strings.Join(dirs, ":"), env.goBin)
}

// keepDirs are the directories beyond the chapter's programs that run
// needs to see when it has a /tmp of its own: the programs that uses=
// names, and for in= the go command's caches.
func (env *execEnv) keepDirs(run *model.Run) []string {
	var dirs []string
	for _, p := range run.Uses {
		if d := env.programDirs[p.Name]; d != "" {
			dirs = append(dirs, d)
		}
	}
	if run.Dir != "" && env.goEnv != nil {
		dirs = append(dirs, env.goEnv.cache, env.goEnv.modCache)
	}
	return dirs
}

// goRunEnv is what a run with in= adds to the environment: the go
// command's caches and settings, and a configuration directory in the
// run's temporary one (tmp), where go keeps its telemetry counters rather
// than in the run directory.
func (env *execEnv) goRunEnv(run *model.Run, tmp string) []string {
	if run.Dir == "" || env.goEnv == nil {
		return nil
	}
	return append(env.goEnv.vars[:len(env.goEnv.vars):len(env.goEnv.vars)], "XDG_CONFIG_HOME="+filepath.Join(tmp, ".config"))
}

// prepareDir fills the run directory work of a run with in=NAME: a copy of
// the generated module (go.mod, go.sum, program NAME's files and the top
// directories of the book's packages it imports), and returns the
// directory the run starts in, work/NAME. A run without in= starts in
// work, empty.
func (env *execEnv) prepareDir(run *model.Run, work string) (string, error) {
	if run.Dir == "" {
		return work, nil
	}
	if env.src == "" {
		return "", fmt.Errorf("in=%s: the program was not built", run.Dir)
	}
	names := []string{"go.mod", "go.sum", run.Dir}
	for _, p := range run.Programs {
		if p.Name != run.Dir {
			continue
		}
		for _, pkg := range p.BookPackages {
			// Build linked the package's top directory into src.
			rest, ok := strings.CutPrefix(pkg, env.module+"/")
			top, _, _ := strings.Cut(rest, "/")
			if ok && !slices.Contains(names, top) {
				names = append(names, top)
			}
		}
	}
	for _, name := range names {
		src := filepath.Join(env.src, name)
		if _, err := os.Lstat(src); errors.Is(err, os.ErrNotExist) && name == "go.sum" {
			continue
		}
		if err := copyTree(src, filepath.Join(work, name)); err != nil {
			return "", fmt.Errorf("in=%s: %v", run.Dir, err)
		}
	}
	return filepath.Join(work, run.Dir), nil
}

// copyTree copies the file or directory src (following a symbolic link at
// src itself, not below it) to dst.
func copyTree(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return copyFile(src, dst, fi.Mode().Perm())
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type()&os.ModeSymlink != 0 || !(e.IsDir() || e.Type().IsRegular()) {
			continue
		}
		if err := copyTree(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
