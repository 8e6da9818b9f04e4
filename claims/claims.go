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
	"github.com/litbook/litbook/values"
)

// Evaluate evaluates x against records, which are parallel to b.Runs. An
// error is positioned at the part of the expression at fault.
func Evaluate(b *loader.Book, x *loader.Expr, records []*model.Record) (*values.Outcome, *model.Error) {
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
func Check(b *loader.Book, records []*model.Record) error {
	var errs model.ErrorList
	for _, x := range b.Exprs {
		out, err := Evaluate(b, x, records)
		switch {
		case err != nil:
			errs = append(errs, err)
		case out.Claim && !out.Holds:
			errs = append(errs, &model.Error{Pos: x.Pos, Msg: fmt.Sprintf("claim does not hold: %s: %s", x.Expr.Src, out.Detail)})
		}
	}
	return errs.Err()
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
