package loader_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/litbook/litbook/loader"
)

func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "book")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\ntitle = \"Example\"\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "chapters"), 0o755)
	os.WriteFile(filepath.Join(dir, "chapters", "01-hello.md"), []byte("# Hello\n\n"+
		"```go program=hello\npackage main\n\nfunc main() { println(\"hello\") }\n```\n\n"+
		"```console run=greet\n$ hello\n```\n\n"+
		"It printed `=greet.stderr`.\n"), 0o644)

	b, err := loader.Load(dir)
	if err != nil {
		fmt.Println(err) // every problem, each at book.toml:LINE:COL or chapters/x.md:LINE
		return
	}
	for _, run := range b.Runs {
		fmt.Printf("%s at %s calls %d program, %q\n", run.ID, run.Pos, len(run.Programs), run.Commands[0].Text)
	}
	fmt.Printf("%d value in the prose: %s\n", len(b.Exprs), b.Exprs[0].Expr.Src)
	// Output:
	// 01-hello/greet at chapters/01-hello.md:9 calls 1 program, "hello"
	// 1 value in the prose: greet.stderr
}
