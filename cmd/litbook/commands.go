package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner"
	"github.com/litbook/litbook/site"
)

var cmdBuild = &command{
	Name:      "build",
	UsageLine: "build [-d dir] [-j n] [book]",
	Short:     "build the programs, run every transcript, write the site",
	Long: `
Build compiles every program of the book with one go build, runs every run
block in a fresh directory (at most n at once; exclusive runs alone), and
renders the site from the real outputs. The new site replaces the old one
only when it is complete; if anything fails to compile or run, the old site
stays and every failure is reported with its chapter line.

It prints the path of the site's index page.`,
	Flags: func(fs *flag.FlagSet) *options {
		o := &options{}
		fs.StringVar(&o.buildDir, "d", "", "write the site to `dir` (relative to the book; default: build-dir of book.toml, or book)")
		jobsFlag(fs, o)
		return o
	},
	Run: func(ctx context.Context, e *env, o *options, bookDir string) error {
		var out string
		b, results, err := buildAndRun(ctx, e, o, bookDir, func(b *loader.Book) error {
			out = o.buildDir
			if out == "" {
				out = b.Config.BuildDir
			}
			out = resolve(b, out)
			// Find out now, not after every run, if the site cannot go there.
			return site.Check(b, out)
		})
		if err != nil {
			return err
		}
		if err := site.Write(b, results, out); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, displayPath(filepath.Join(out, "index.html")))
		return nil
	},
}

var cmdTest = &command{
	Name:      "test",
	UsageLine: "test [-j n] [book]",
	Short:     "build and run everything, render nothing",
	Long: `
Test compiles every program and runs every run block, as build does, but
writes no site. It fails if a program does not compile, a run exits with a
status it did not declare, or a run times out, and reports each failure at
its chapter line with the tail of its stderr.`,
	Flags: func(fs *flag.FlagSet) *options {
		o := &options{}
		jobsFlag(fs, o)
		return o
	},
	Run: func(ctx context.Context, e *env, o *options, bookDir string) error {
		_, _, err := buildAndRun(ctx, e, o, bookDir, nil)
		return err
	},
}

var cmdClean = &command{
	Name:      "clean",
	UsageLine: "clean [book]",
	Short:     "remove the built site and litbook's work directory",
	Long: `
Clean removes the site directory (build-dir of book.toml) if litbook made it,
and the book's .litbook work directory (generated sources and binaries).`,
	Flags: func(fs *flag.FlagSet) *options { return &options{jobs: 1} },
	Run: func(ctx context.Context, e *env, o *options, bookDir string) error {
		// Only book.toml: clean must work when chapters are broken.
		b, err := loader.LoadConfig(bookDir)
		if err != nil {
			return err
		}
		if err := site.Clean(b, resolve(b, b.Config.BuildDir)); err != nil {
			return err
		}
		return os.RemoveAll(filepath.Join(b.Root, ".litbook"))
	},
}

// resolve returns path relative to the book's root, or path if absolute.
func resolve(b *loader.Book, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(b.Root, path)
}

// buildAndRun loads the book, calls check (if any) on it, compiles its
// programs and runs every run block. The error lists every failure.
func buildAndRun(ctx context.Context, e *env, o *options, bookDir string, check func(*loader.Book) error) (*loader.Book, []*model.Result, error) {
	b, err := loader.Load(bookDir)
	if err != nil {
		return nil, nil, err
	}
	if check != nil {
		if err := check(b); err != nil {
			return nil, nil, err
		}
	}
	p := newProgress(e.stderr)
	defer p.stop()
	rn := &runner.Runner{Jobs: o.jobs, Progress: p.event}
	if err := rn.Check(b.Book); err != nil {
		return nil, nil, err
	}
	progs, err := rn.Build(ctx, b.Book)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, errors.New("interrupted: nothing was changed")
		}
		return nil, nil, err
	}
	start := time.Now()
	results, err := rn.Run(ctx, b.Book, progs)
	p.stop()
	if err != nil {
		return nil, nil, errors.New("interrupted: runs were stopped, nothing was changed")
	}
	var errs model.ErrorList
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	fmt.Fprintf(e.stderr, "%s in %s\n", summary(len(results), len(errs)), time.Since(start).Round(10*time.Millisecond))
	return b, results, errs.Err()
}

func summary(runs, failed int) string {
	s := fmt.Sprintf("%d run%s", runs, plural(runs))
	if failed > 0 {
		return fmt.Sprintf("%s, %d failed", s, failed)
	}
	return s + " ok"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// displayPath returns path relative to the current directory when that is
// shorter and does not climb out of it.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
		return path
	}
	return rel
}
