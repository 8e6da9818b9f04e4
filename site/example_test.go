package site_test

import (
	"fmt"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/site"
)

// Render a measured book into the directory book: the old site is replaced
// only when the new one is complete.
func ExampleWrite() {
	var b *loader.Parsed        // from loader.Load
	var records []*model.Record // parallel to b.Runs, from the pipeline
	var here model.Machine
	if b == nil {
		return
	}
	if err := site.Write(site.Input{Book: b, Records: records, Machine: here}, "book"); err != nil {
		fmt.Println(err)
	}
}
