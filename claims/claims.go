// Package claims evaluates what a book's prose says about its runs: the
// values, claims and charts written as `=expression` code spans, against
// the records of the runs. The loader finds and parses the expressions;
// this package is the step after the runs, which checks that every claim
// holds, and which the site calls to show a value.
package claims

import (
	"errors"
	"fmt"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
	"github.com/litbook/litbook/values"
)

// Evaluate evaluates x against records, which are parallel to b.Runs. An
// error is positioned at the part of the expression at fault.
func Evaluate(b *loader.Parsed, x *loader.Expr, records []*model.Record) (*values.Outcome, *model.Error) {
	lookup := func(name string) *model.Record {
		var family []*model.Record
		for _, i := range b.RunsNamed(x.Chapter, name) {
			if records[i] == nil {
				return nil
			}
			family = append(family, records[i])
		}
		return pooled(family)
	}
	out, err := values.Evaluate(x.Expr, lookup)
	if err != nil {
		var ee *values.EvalError
		if errors.As(err, &ee) {
			return nil, &model.Error{Pos: x.PosAt(ee.Off), Msg: ee.Msg}
		}
		return nil, &model.Error{Pos: x.Pos, Msg: err.Error()}
	}
	return out, nil
}

// Check evaluates every expression of b against records (parallel
// to b.Runs) and returns an error for each that cannot be evaluated and
// each claim that does not hold, with what was measured.
func Check(b *loader.Parsed, records []*model.Record) error {
	var errs model.ErrorList
	for _, x := range b.Exprs {
		out, err := Evaluate(b, x, records)
		switch {
		case err != nil:
			errs = append(errs, err)
		case out.Claim && !out.Holds:
			errs = append(errs, &model.Error{Pos: x.Pos, Msg: fmt.Sprintf("claim does not hold: %s: %s", x.Expr.Src, out.Detail)})
		}
		// The values and claims of machines(...) must hold on the machine
		// that builds the book, like any other; other machines' are shown,
		// not checked.
		for _, it := range itemsOf(out) {
			switch {
			case it.Err != nil:
				errs = append(errs, &model.Error{Pos: x.PosAt(it.Err.Off), Msg: it.Err.Msg})
			case it.Claim && !it.Holds:
				errs = append(errs, &model.Error{Pos: x.PosAt(it.Off), Msg: fmt.Sprintf("claim does not hold: %s: %s", it.Src, it.Detail)})
			}
		}
	}
	return errs.Err()
}

func itemsOf(out *values.Outcome) []values.Item {
	if out == nil {
		return nil
	}
	return out.Items
}

// MachineRecords returns the records that machine m stored for b's runs,
// parallel to b.Runs (nil where it has none), and for each whether it was
// measured from earlier sources than the run's current ones. A record
// that no longer fits its run (other commands) counts as none.
func MachineRecords(b *loader.Parsed, ix *store.Index, m store.MachineInfo) (records []*model.Record, stale []bool) {
	records, stale = make([]*model.Record, len(b.Runs)), make([]bool, len(b.Runs))
	byRun := map[string][]*store.Entry{}
	for _, e := range ix.Entries {
		if store.EntryDir(e) == m.Dir {
			byRun[e.RunID] = append(byRun[e.RunID], e)
		}
	}
	for i, run := range b.Runs {
		_, sources := store.Key(run, b.Config, "", m.Machine)
		for _, e := range byRun[run.ID] {
			if records[i] != nil && e.Sources != sources {
				continue
			}
			if rec, err := e.Record(run); err == nil {
				records[i], stale[i] = rec, e.Sources != sources
			}
		}
	}
	return records, stale
}

// Across is one machine's view of an expression of machines(...).
type Across struct {
	Machine store.MachineInfo
	// Items are the expression's values and claims evaluated against the
	// machine's records of the runs' current sources; an item whose runs
	// the machine did not measure from them has its Err set.
	Items []values.Item
	// Stale counts the runs the machine measured only from earlier
	// sources, which are not used.
	Stale int
}

// AcrossMachines evaluates x, an expression of machines(...), against the
// records of every machine in ix that measured any run it names from the
// run's current sources, this one first.
func AcrossMachines(b *loader.Parsed, x *loader.Expr, ix *store.Index, here model.Machine) []Across {
	var out []Across
	for _, mi := range ix.Machines() {
		records, stale := MachineRecords(b, ix, mi)
		for i := range records {
			if stale[i] {
				records[i] = nil
			}
		}
		res, err := Evaluate(b, x, records)
		if err != nil || res == nil {
			continue
		}
		a := Across{Machine: mi, Items: res.Items}
		measured := false
		for _, it := range a.Items {
			measured = measured || it.Err == nil
		}
		if !measured {
			continue
		}
		if store.SameMachine(mi.Machine, here) {
			out = append([]Across{a}, out...)
		} else {
			out = append(out, a)
		}
	}
	return out
}

// pooled returns the record that a block with fs= is as a whole, named by
// the block's name: the trials of each of its filesystems, one after the
// other, in the order fs= lists them. A value of it is a distribution over
// every trial on every filesystem; a chart draws a row per filesystem.
// A single record is returned as it is.
func pooled(family []*model.Record) *model.Record {
	switch len(family) {
	case 0:
		return nil
	case 1:
		return family[0]
	}
	first := family[0]
	rec := &model.Record{Run: first.Run, Sources: first.Sources, GoVersion: first.GoVersion, Machine: first.Machine, Fresh: first.Fresh}
	for _, f := range family {
		rec.Trials = append(rec.Trials, f.Trials...)
	}
	return rec
}
