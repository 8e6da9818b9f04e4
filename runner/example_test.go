package runner_test

import (
	"context"
	"fmt"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner"
)

// Compile every program of a book and run every run, four at a time.
func ExampleRunner_Run() {
	var book *model.Book // from loader.Load
	if book == nil {
		return
	}
	ctx := context.Background()
	rn := &runner.Runner{Jobs: 4}
	progs, err := rn.Build(ctx, book, book.Programs)
	if err != nil {
		fmt.Println(err) // compile errors at chapters/x.md:LINE
		return
	}
	records, err := rn.Run(ctx, book, book.Runs, progs)
	if err != nil {
		fmt.Println(err) // interrupted
		return
	}
	for _, rec := range records {
		fmt.Println(rec.Run.ID, rec.Err())
	}
}
