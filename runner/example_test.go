package runner_test

import (
	"context"
	"fmt"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner"
	"github.com/litbook/litbook/runner/supervise"
)

// Compile every program of a book and run, four at a time, every run whose
// programs compiled, supervised as the litbook command supervises them.
func ExampleRunner_Run() {
	var book *model.Book // from loader.Load
	if book == nil {
		return
	}
	ctx := context.Background()
	rn := &runner.Runner{Jobs: 4, Supervisor: supervise.New()}
	progs, err := rn.Build(ctx, book, book.Programs)
	if err != nil {
		fmt.Println(err) // cancelled, no Go toolchain, or the book's go.mod is broken
		return
	}
	fmt.Println(progs.Err()) // compile errors at chapters/x.md:LINE, if any
	var runs []*model.Run
	for _, run := range book.Runs {
		ok := true
		for _, p := range run.Programs {
			if progs.Failed[p.Name] != nil {
				ok = false
			}
		}
		if ok {
			runs = append(runs, run)
		}
	}
	records, err := rn.Run(ctx, book, runs, progs)
	if err != nil {
		fmt.Println(err) // interrupted
		return
	}
	for _, rec := range records {
		fmt.Println(rec.Run.ID, rec.Err())
	}
}
