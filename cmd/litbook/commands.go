package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/litbook/litbook/links"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/pipeline"
	"github.com/litbook/litbook/runner"
	"github.com/litbook/litbook/runner/supervise"
	"github.com/litbook/litbook/site"
)

var cmdBuild = &command{
	Name:      "build",
	UsageLine: "build [-d dir] [-j n] [-rerun | -frozen] [-external-links] [book]",
	Short:     "run what changed, check the claims and links, write the site",
	Long: `
Build gives every run block of the book a result, checks every claim in the
prose against them, and renders the site.

A run's result comes from the results store (results/ in the book, one
directory per machine) when nothing it depends on changed: its run block,
the programs it calls, the Go version and this machine. Otherwise build
compiles the programs those runs call with one go build, runs them (at most
n at once; exclusive runs alone; trials= times each, each time in a fresh
directory) and stores each result as soon as it is complete. A rebuild with
nothing changed starts no process at all.

The new site replaces the old one only when it is complete; if anything
fails to compile or run, or a claim does not hold, the old site stays and
every failure is reported with its chapter line. Two builds of one book
never overlap: the second waits for the first.

Every link between chapters and to the book's files, with its #anchor, is
checked before anything runs; a broken one is an error at its line. With
-external-links, http and https links are requested too.

It prints the path of the site's index page.`,
	Flags: func(fs *flag.FlagSet) *options {
		o := &options{}
		fs.StringVar(&o.buildDir, "d", "", "write the site to `dir` (relative to the book; default: build-dir of book.toml, or book)")
		jobsFlag(fs, o)
		storeFlags(fs, o)
		externalFlag(fs, o)
		return o
	},
	Run: func(ctx context.Context, e *env, o *options, bookDir string) error {
		o.stamp = true
		built, err := buildSite(ctx, e, o, bookDir)
		if err != nil || o.shard.N > 1 {
			return err // a shard renders nothing
		}
		fmt.Fprintln(e.stdout, displayPath(filepath.Join(built.dir, site.IndexPage)))
		return nil
	},
}

func externalFlag(fs *flag.FlagSet, o *options) {
	fs.BoolVar(&o.externalLinks, "external-links", false, "also check http and https links, by requesting each (needs the network)")
}

// builtSite is a site that buildSite wrote.
type builtSite struct {
	book   *loader.Parsed
	dir    string // absolute
	result *pipeline.Result
	// linked are the files chapters link to (links.Dependencies), or nil
	// when the build did not resolve the links.
	linked []string
}

// builder returns the pipeline set up as the command line asks, reporting
// on e.
func builder(e *env, o *options, holder string) (*pipeline.Builder, *progress) {
	p := newProgress(e.stderr)
	return &pipeline.Builder{
		Jobs:      o.jobs,
		Rerun:     o.rerun,
		Frozen:    o.frozen,
		KeepGoing: true,
		Shard:     o.shard,
		Holder:    holder,
		Log:       e.stderr,
		Progress:  p,
		Identity:  o.identity,
		Runner:    func(rn *runner.Runner) { rn.Supervisor = supervisor() },
	}, p
}

// supervisor is litbook's process supervisor (see package supervise),
// made by the first build: it makes litbook a child subreaper.
var supervisor = sync.OnceValue(supervise.New)

// buildSite does what build does: it measures the book in bookDir, checks
// its links and writes its site. Errors are a model.ErrorList positioned at
// the lines of the book where they can be; serve shows them.
func buildSite(ctx context.Context, e *env, o *options, bookDir string) (*builtSite, error) {
	var out string
	var lk *links.Links
	bd, p := builder(e, o, "litbook build")
	defer p.Stop()
	bd.LoadCache = o.loadCache
	bd.Prepare = func(b *loader.Parsed) error {
		warnUnlisted(e, b)
		out = o.buildDir
		if out == "" {
			out = b.Config.BuildDir
		}
		out = resolve(b, out)
		// Find out now, not after every run, if the site cannot go there
		// or its links lead nowhere.
		if err := site.Check(b, out); err != nil {
			return err
		}
		site.RemoveLeftovers(b.Root, out)
		var err error
		lk, err = checkLinks(ctx, b, o, out)
		return err
	}
	bd.Publish = func(r *pipeline.Result) error {
		in := site.Input{Book: r.Book, Records: r.Records, Store: r.Index, Machine: r.Machine, Links: lk}
		var err error
		if o.site != nil {
			err = o.site.Write(in, out)
		} else {
			err = site.Write(in, out)
		}
		var list model.ErrorList
		var one *model.Error
		if err != nil && !errors.As(err, &list) && !errors.As(err, &one) {
			// A file system's error names a file of the temporary site.
			err = fmt.Errorf("writing the site %s: %w", out, err)
		}
		return err
	}
	if o.stamp && !o.externalLinks {
		// External links can break while nothing here changes: a build
		// that checks them never ends early.
		bd.Stamp = "build -d=" + o.buildDir
		bd.StampFiles = func() (inputs, outputs []string) {
			if lk != nil { // nil when the site cannot go to out: no stamp then
				inputs = lk.Files()
			}
			return inputs, []string{filepath.Join(out, site.MarkerFile)}
		}
	}
	r, err := bd.Build(ctx, bookDir)
	if err != nil {
		return nil, err
	}
	if r.UpToDate {
		out = o.buildDir
		if out == "" {
			out = r.Book.Config.BuildDir
		}
		out = resolve(r.Book, out)
	}
	built := &builtSite{book: r.Book, dir: out, result: r}
	if lk != nil && lk.Book() == r.Book {
		built.linked = append([]string{}, lk.Files()...) // not nil: resolved
	}
	return built, nil
}

// warnUnlisted says which chapter files book.toml's chapters list leaves
// out: otherwise a new chapter that the author forgot to list is silently
// not in the book.
func warnUnlisted(e *env, b *loader.Parsed) {
	for _, p := range b.Unlisted {
		fmt.Fprintf(e.stderr, "litbook: %s is not in book.toml's chapters (or appendices), so the book leaves it out\n", p)
	}
}

// checkLinks checks the links of b, and its external links if asked.
func checkLinks(ctx context.Context, b *loader.Parsed, o *options, buildDir string) (*links.Links, error) {
	var errs model.ErrorList
	lk, err := links.ResolveCached(b, buildDir, o.linkCache)
	errs.Append(err)
	if o.externalLinks {
		errs.Append(links.External(ctx, b))
		errs.Sort()
	}
	return lk, errs.Err()
}

var cmdTest = &command{
	Name:      "test",
	UsageLine: "test [-j n] [-rerun | -frozen] [book]",
	Short:     "run what changed and check the claims; render nothing",
	Long: `
Test does what build does, writing no site: it gives every run block a
result (from the results store, or by running it, and stores what it ran),
and fails if a program does not compile, a run exits with a status it did
not declare or times out, a claim in the prose does not hold, or a link
between chapters leads nowhere. Each failure is reported at its chapter
line. With -rerun, everything runs again.`,
	Flags: func(fs *flag.FlagSet) *options {
		o := &options{}
		jobsFlag(fs, o)
		storeFlags(fs, o)
		return o
	},
	Run: func(ctx context.Context, e *env, o *options, bookDir string) error {
		bd, p := builder(e, o, "litbook test")
		defer p.Stop()
		bd.Prepare = func(b *loader.Parsed) error {
			warnUnlisted(e, b)
			_, err := checkLinks(ctx, b, o, "")
			return err
		}
		_, err := bd.Build(ctx, bookDir)
		return err
	},
}

func storeFlags(fs *flag.FlagSet, o *options) {
	fs.BoolVar(&o.rerun, "rerun", false, "run everything again, ignoring stored results")
	fs.BoolVar(&o.frozen, "frozen", false, "never run: use stored results of any machine, and fail naming each run that has none")
	fs.Var(shardFlag{&o.shard}, "shard", "run only part `i/n` of the runs (every n-th, from the i-th), store their results and render nothing: n machines together run each run once")
}

// shardFlag parses -shard i/n.
type shardFlag struct{ s *pipeline.Shard }

func (f shardFlag) String() string {
	if f.s == nil || f.s.N == 0 {
		return ""
	}
	return f.s.String()
}

func (f shardFlag) Set(v string) error {
	i, n, ok := strings.Cut(v, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 1 || a > b {
		return fmt.Errorf("want i/n with 1 <= i <= n, such as 2/3")
	}
	*f.s = pipeline.Shard{I: a, N: b}
	return nil
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
		unlock, err := pipeline.Lock(ctx, b.Root, "litbook clean", e.stderr)
		if err != nil {
			return err
		}
		defer unlock()
		if err := site.Clean(b, resolve(b, b.Config.BuildDir)); err != nil {
			return err
		}
		return os.RemoveAll(filepath.Join(b.Root, ".litbook"))
	},
}

// resolve returns path relative to the book's root, or path if absolute.
func resolve(b *loader.Parsed, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(b.Root, path)
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
