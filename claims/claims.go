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
		for i, r := range b.Runs {
			if r.Chapter == x.Chapter && r.Name == name {
				return records[i]
			}
		}
		return nil
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
