package claims_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/litbook/litbook/claims"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
)

// After the runs, every claim of the prose is checked against the records;
// a claim that does not hold is an error at its position, with what was
// measured. Here the record is made by hand; a build gets it from the
// runner or the results store.
func ExampleCheck() {
	dir, _ := os.MkdirTemp("", "book")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\ntitle = \"Example\"\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "chapters"), 0o755)
	os.WriteFile(filepath.Join(dir, "chapters", "01-race.md"), []byte("# Race\n\n"+
		"```console run=race\n$ echo lost=42\n```\n\n"+
		"It lost `=race.lost` bytes, and `=race.lost == 0`.\n"), 0o644)
	b, err := loader.Load(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	run := b.Runs[0]
	rec := &model.Record{Run: run, Trials: []*model.Result{{Run: run, Trial: 1, Commands: []model.CommandResult{
		{Ran: true, Done: true, Stdout: model.Output{Data: []byte("lost=42\n"), Total: 8}},
	}}}}
	fmt.Println(claims.Check(b, []*model.Record{rec}))
	// Output: chapters/01-race.md:7:35: claim does not hold: race.lost == 0: race.lost was 42; claimed == 0
}
