package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/litbook/litbook/internal/inert"
	"github.com/litbook/litbook/links"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/pipeline"
	"github.com/litbook/litbook/site"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the book failed to build, compile or run
	exitUsage = 2
)

// command is one litbook subcommand, in the manner of cmd/go's base.Command.
type command struct {
	Name      string
	UsageLine string // "build [-d dir] [-j n] [book]"
	Short     string
	Long      string
	// Flags declares the command's flags on fs and returns what Run reads.
	Flags func(fs *flag.FlagSet) *options
	Run   func(ctx context.Context, env *env, opts *options, bookDir string) error
	// MaxArgs, if set, means the command's arguments are its own (at most
	// MaxArgs of them, in opts.args) and the book is named with -C.
	MaxArgs int
	// BookFirst, with MaxArgs, means the book may also be named as it is
	// for every other command: first, when the first argument is a book's
	// directory (it holds book.toml). It then counts among MaxArgs.
	BookFirst bool
}

// options are the flags commands share; each command declares those it has.
type options struct {
	args     []string // for commands with MaxArgs
	book     string   // -C, for commands with MaxArgs
	buildDir string
	jobs     int
	rerun    bool // run everything, ignoring the results store
	// stamp lets a build with nothing changed since the last one end at
	// once (pipeline.Builder.Stamp): build sets it, serve does not.
	stamp         bool
	frozen        bool // run nothing: render from stored results
	externalLinks bool
	addr          string // serve
	dryRun        bool   // prune -n
	stale         bool   // prune -stale
	shard         pipeline.Shard
	// identity, if set, changes this machine's identity: tests simulate
	// other machines with it.
	identity func(*model.Machine)
	// site, loadCache and linkCache, set by serve, keep what a build made for the
	// next: the chapters it parsed and the pages it drew, so that an
	// edit draws again only what it changes.
	site      *site.Incremental
	loadCache *loader.Cache
	linkCache *links.Cache
}

// env is what a command talks to.
type env struct {
	stdout, stderr io.Writer
	// bookArg is the book directory as the user named it; report prefixes
	// it to book-relative positions so that editors can jump to them from
	// the current directory.
	bookArg string
}

var commands = []*command{cmdInit, cmdBuild, cmdServe, cmdTest, cmdDiff, cmdMerge, cmdPrune, cmdClean}

func jobsFlag(fs *flag.FlagSet, o *options) {
	fs.IntVar(&o.jobs, "j", runtime.NumCPU(), "run at most `n` runs at once")
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// errFailed means the errors were already printed.
var errFailed = errors.New("failed")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		mainUsage(stderr)
		return exitUsage
	}
	name, args := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) == 0 {
			mainUsage(stdout)
			return exitOK
		}
		if c := lookup(args[0]); c != nil {
			commandUsage(stdout, c, nil)
			return exitOK
		}
		fmt.Fprintf(stderr, "litbook help: unknown command %q\n", args[0])
		return exitUsage
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "litbook: unknown command %q\nRun 'litbook help' for usage.\n", name)
		return exitUsage
	}
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opts := c.Flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(stdout, c, fs)
			return exitOK
		}
		fmt.Fprintf(stderr, "litbook %s: %v\n", c.Name, err)
		commandUsage(stderr, c, fs)
		return exitUsage
	}
	bookDir := "."
	switch {
	case c.MaxArgs > 0 && fs.NArg() > c.MaxArgs:
		fmt.Fprintf(stderr, "litbook %s: too many arguments: %s\n", c.Name, strings.Join(fs.Args(), " "))
		commandUsage(stderr, c, fs)
		return exitUsage
	case c.MaxArgs > 0:
		opts.args = fs.Args()
		// The book comes first, as for every other command, when the
		// first argument is a book's directory (it holds book.toml);
		// -C is the older way to name it.
		if c.BookFirst && len(opts.args) > 0 && isBookDir(opts.args[0]) {
			if opts.book != "" {
				fmt.Fprintf(stderr, "litbook %s: the book is named twice: -C %s and %s\n", c.Name, opts.book, opts.args[0])
				return exitUsage
			}
			bookDir, opts.args = opts.args[0], opts.args[1:]
		} else if opts.book != "" {
			bookDir = opts.book
		}
		if c.BookFirst && len(opts.args) > c.MaxArgs-1 {
			fmt.Fprintf(stderr, "litbook %s: too many arguments: %s\n", c.Name, strings.Join(fs.Args(), " "))
			commandUsage(stderr, c, fs)
			return exitUsage
		}
	case fs.NArg() > 1:
		fmt.Fprintf(stderr, "litbook %s: too many arguments: %s\n", c.Name, strings.Join(fs.Args(), " "))
		commandUsage(stderr, c, fs)
		return exitUsage
	case fs.NArg() == 1:
		bookDir = fs.Arg(0)
	}
	if opts.shard.N > 1 && opts.frozen {
		fmt.Fprintf(stderr, "litbook %s: -shard runs part of the book and -frozen runs nothing: choose one\n", c.Name)
		return exitUsage
	}
	if opts.rerun && opts.frozen {
		fmt.Fprintf(stderr, "litbook %s: -rerun and -frozen contradict each other: choose one\n", c.Name)
		return exitUsage
	}
	if opts.jobs < 1 {
		fmt.Fprintf(stderr, "litbook %s: -j must be at least 1\n", c.Name)
		return exitUsage
	}
	e := &env{stdout: stdout, stderr: stderr, bookArg: bookDir}
	err := c.Run(ctx, e, opts, bookDir)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "litbook %s: %s\n", c.Name, ue.msg)
		return exitUsage
	case errors.Is(err, errFailed):
		return exitFail
	}
	e.report(err)
	return exitFail
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// report prints err: every error of a list on its own line, positions made
// relative to the current directory, and made inert (see inert.Text).
func (e *env) report(err error) {
	var list model.ErrorList
	if !errors.As(err, &list) {
		var one *model.Error
		if errors.As(err, &one) {
			list = model.ErrorList{one}
		} else {
			fmt.Fprintf(e.stderr, "litbook: %s\n", inert.String(err.Error()))
			return
		}
	}
	for _, x := range list {
		x := *x
		if x.Pos.File != "" && e.bookArg != "." {
			x.Pos.File = filepath.ToSlash(filepath.Join(e.bookArg, x.Pos.File))
		}
		// Details carry what programs wrote: terminal escapes in them
		// must not act on the user's terminal.
		fmt.Fprintln(e.stderr, inert.String(x.Error()))
	}
	if len(list) > 1 {
		fmt.Fprintf(e.stderr, "%d errors\n", len(list))
	}
}

func mainUsage(w io.Writer) {
	fmt.Fprintf(w, "litbook builds books whose code really runs.\n\nUsage:\n\n")
	// The usage lines are long and of any length: each description goes
	// under its line rather than in a column that one long line breaks.
	for _, c := range commands {
		fmt.Fprintf(w, "\tlitbook %s\n\t    %s\n\n", c.UsageLine, c.Short)
	}
	fmt.Fprintf(w, "The book is the directory holding book.toml (default: the current directory).\nRun 'litbook help <command>' or 'litbook <command> -h' for details.\n")
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: litbook %s\n\n%s\n", c.UsageLine, strings.TrimSpace(c.Long))
	if fs == nil {
		fs = flag.NewFlagSet(c.Name, flag.ContinueOnError)
		c.Flags(fs)
	}
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintf(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// isBookDir reports whether dir is a directory that holds a book.toml.
func isBookDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "book.toml"))
	return err == nil && !fi.IsDir()
}
