package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/links"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/pipeline"
	"github.com/litbook/litbook/store"
)

// TestEveryErrorInOneBuild builds a book of 30 programs of which five are
// broken in five ways: a syntax error, a type error, a missing import, a
// missing module and a broken link. One build must report all five, each
// at its chapter line, and store the runs of every program that compiled.
func TestEveryErrorInOneBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 30 programs")
	}
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := fsx.WriteAtomic(filepath.Join(dir, filepath.FromSlash(name)), false, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	write("book.toml", "[book]\ntitle = \"Thirty\"\n")
	write("go.mod", "module example.com/thirty\n\ngo 1.26\n")
	broken := map[int]struct{ body, link, want string }{
		5:  {body: "func main() {\n\tfmt.Println(\"x\"\n}\n", want: "chapters/05.md:10: syntax error"},
		10: {body: "func main() {\n\tvar n int = \"ten\"\n\tfmt.Println(n)\n}\n", want: "chapters/10.md:10: cannot use"},
		15: {body: "func main() {\n\tfmt.Println(strings.ToUpper(\"x\"))\n}\n", want: "chapters/15.md:10: undefined: strings"},
		20: {body: "func main() {\n\tfmt.Println(module.X)\n}\n", want: "chapters/20.md:10: no required module provides package github.com/no/such/module"},
		25: {body: "func main() {\n\tfmt.Println(\"twenty-five\")\n}\n", link: "See [the missing chapter](99-missing.md).\n", want: "chapters/25.md:3"},
	}
	for i := 1; i <= 30; i++ {
		body, link := fmt.Sprintf("func main() {\n\tfmt.Println(\"program %d\")\n}\n", i), ""
		imports := "import \"fmt\"\n"
		if b, ok := broken[i]; ok {
			body, link = b.body, b.link
			if i == 20 {
				imports = "import (\n\t\"fmt\"\n\n\t\"github.com/no/such/module\"\n)\n"
			}
		}
		write(fmt.Sprintf("chapters/%02d.md", i), fmt.Sprintf("# Chapter %d\n\n%s\n```go program=p%d\npackage main\n\n%s\n%s```\n\n```console run=r\n$ p%d\n```\n", i, link, i, imports, body, i))
	}
	bd := &pipeline.Builder{Jobs: 2, KeepGoing: true}
	bd.Publish = func(*pipeline.Result) error {
		t.Error("a failing build published")
		return nil
	}
	bd.Prepare = func(b *loader.Parsed) error {
		return links.Check(b)
	}
	res, err := bd.Build(context.Background(), dir)
	if err == nil {
		t.Fatal("the build succeeded")
	}
	var list model.ErrorList
	list.Append(err)
	for i, b := range broken {
		found := false
		for _, e := range list {
			found = found || strings.HasPrefix(e.Error(), b.want)
		}
		if !found {
			t.Errorf("no error at %s for program %d in:\n%v", b.want, i, err)
		}
	}
	for _, e := range list {
		if !e.Pos.IsValid() {
			t.Errorf("error without a position: %v", e)
		}
	}
	if res == nil {
		t.Fatal("no result")
	}
	ix, lerr := store.Load(dir)
	if lerr != nil {
		t.Fatal(lerr)
	}
	stored := map[string]bool{}
	for _, e := range ix.Entries {
		stored[e.RunID] = true
	}
	for i := 1; i <= 30; i++ {
		id := fmt.Sprintf("%02d/r", i)
		_, bad := broken[i]
		if want := !bad || i == 25; stored[id] != want {
			t.Errorf("run %s stored: %v, want %v", id, stored[id], want)
		}
	}
}
