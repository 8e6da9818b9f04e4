package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/pipeline"
	"github.com/litbook/litbook/store"
)

var cmdMerge = &command{
	Name:      "merge",
	UsageLine: "merge [-C book] dir...",
	Short:     "merge results measured elsewhere into the book's results/",
	Long: `
Merge copies the records found under each dir into the book's results/:
the results/ directory of another checkout, one machine's directory, or
the unpacked artifacts of a CI matrix. Each record goes where its own
content says (its machine's directory, its run), so that shards of one
machine (build -shard i/n) merge into one directory. A record already there
stays unless the merged one is newer; files that are not valid records are
reported and skipped. Then build -frozen renders the book from every
machine's results.`,
	Flags: func(fs *flag.FlagSet) *options {
		o := &options{jobs: 1}
		fs.StringVar(&o.book, "C", "", "the book's `dir`ectory (default: the current directory)")
		return o
	},
	MaxArgs: 1 << 10,
	Run: func(ctx context.Context, e *env, o *options, bookDir string) error {
		if len(o.args) == 0 {
			return &usageError{"name the directories to merge"}
		}
		b, err := loader.LoadConfig(bookDir)
		if err != nil {
			return err
		}
		unlock, err := pipeline.Lock(ctx, b.Root, "litbook merge", e.stderr)
		if err != nil {
			return err
		}
		defer unlock()
		var errs model.ErrorList
		for _, dir := range o.args {
			m, err := store.Merge(b.Root, dir)
			if err != nil {
				errs.Append(fmt.Errorf("merging %s: %w", dir, err))
				continue
			}
			for _, p := range m.Problems {
				fmt.Fprintf(e.stderr, "litbook: skipped %s\n", p)
			}
			fmt.Fprintf(e.stderr, "%s: %s\n", dir, m)
		}
		return errs.Err()
	},
}
