package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/pipeline"
	"github.com/litbook/litbook/store"
)

var cmdPrune = &command{
	Name:      "prune",
	UsageLine: "prune [-n] [-stale] [book]",
	Short:     "remove stored results the book no longer needs",
	Long: `
Prune removes from results/, on every machine, what the book no longer
needs: records of runs it does not have any more, copies that litbook kept
of corrupt records, and temporary files of interrupted builds. With -stale
it also removes records measured from earlier sources than their run's
(an edited run block or program), which neither build -frozen nor diff
can use. It lists every file with the reason, and with -n removes
nothing. Records of a newer litbook are never removed.

A build prunes this machine's records of runs the book no longer has by
itself; prune is for the other machines' and for a tidy results/ before a
commit.`,
	Flags: func(fs *flag.FlagSet) *options {
		o := &options{jobs: 1}
		fs.BoolVar(&o.dryRun, "n", false, "list what would be removed, and remove nothing")
		fs.BoolVar(&o.stale, "stale", false, "also remove records measured from earlier sources")
		return o
	},
	Run: func(ctx context.Context, e *env, o *options, bookDir string) error {
		b, err := loader.LoadContext(ctx, bookDir)
		if err != nil {
			// A book that does not load would make every record look
			// unused.
			return err
		}
		unlock, err := pipeline.Lock(ctx, b.Root, "litbook prune", e.stderr)
		if err != nil {
			return err
		}
		defer unlock()
		ix, err := store.Load(b.Root)
		if err != nil {
			return err
		}
		list, err := store.Unused(b.Root, ix, b.Book, o.stale)
		if err != nil {
			return err
		}
		verb := "removed"
		if o.dryRun {
			verb = "would remove"
		}
		for _, r := range list {
			fmt.Fprintf(e.stdout, "%s %s: %s\n", verb, r.Path, r.Why)
		}
		fmt.Fprintf(e.stderr, "%s %d file%s\n", verb, len(list), plural(len(list)))
		if o.dryRun {
			return nil
		}
		return store.Remove(b.Root, list)
	},
}
