// Command readme regenerates the figure blocks of README.md from the
// latest files in bench/results, from the repository's root:
//
//	go run ./internal/benchfig/cmd/readme
//
// Each benchmark does it when it saves its figures; this is for a README
// edited around the blocks, or a results file merged from elsewhere.
package main

import (
	"fmt"
	"os"

	"github.com/litbook/litbook/internal/benchfig"
)

func main() {
	if err := benchfig.UpdateREADME("."); err != nil {
		fmt.Fprintln(os.Stderr, "readme:", err)
		os.Exit(1)
	}
}
