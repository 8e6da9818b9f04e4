package pipeline_test

import (
	"context"
	"fmt"
	"os"

	"github.com/litbook/litbook/pipeline"
)

// A build of the book in the current directory that reports every error of
// the book at once, prints the summary on standard error and leaves
// publishing to the caller.
func ExampleBuilder_Build() {
	bd := &pipeline.Builder{KeepGoing: true, Holder: "my tool", Log: os.Stderr}
	bd.Publish = func(r *pipeline.Result) error {
		fmt.Printf("%d runs, %d ran now, %d compiled\n", len(r.Records), r.Ran, r.Compiled)
		return nil
	}
	if _, err := bd.Build(context.Background(), "."); err != nil {
		fmt.Fprintln(os.Stderr, err) // every error, each at chapters/x.md:LINE
	}
}
