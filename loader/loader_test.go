package loader

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/yuin/goldmark/ast"
)

var update = flag.Bool("update", false, "rewrite the want section of testdata/*.txtar")

// TestGolden loads each testdata/*.txtar as a book (every file but "want")
// and compares a dump of the loaded model, or the errors, with "want".
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			wantIdx := -1
			for i, f := range ar.Files {
				if f.Name == "want" {
					wantIdx = i
					continue
				}
				p := filepath.Join(dir, f.Name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got := dump(Load(dir))
			if *update {
				if wantIdx < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "want"})
					wantIdx = len(ar.Files) - 1
				}
				ar.Files[wantIdx].Data = []byte(got)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantIdx < 0 {
				t.Fatal("no want section; run go test -update")
			}
			if want := string(ar.Files[wantIdx].Data); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func dump(b *Parsed, err error) string {
	var s strings.Builder
	if err != nil {
		fmt.Fprintf(&s, "error:\n%s\n", err)
		return s.String()
	}
	c := b.Config
	fmt.Fprintf(&s, "book %q authors=%q lang=%s build-dir=%s timeout=%s output-limit=%d\n", c.Title, c.Authors, c.Language, c.BuildDir, c.Timeout, c.OutputLimit)
	for _, ch := range b.Chapters {
		appendix := ""
		if ch.Appendix {
			appendix = " appendix"
		}
		fmt.Fprintf(&s, "chapter %s slug=%s title=%q%s\n", ch.Path, ch.Slug, ch.Title, appendix)
		if ch.Part != nil {
			fmt.Fprintf(&s, "  in part %q, %s\n", ch.Part.Title, ch.Name())
		}
		for _, l := range ch.Labels {
			fmt.Fprintf(&s, "  label %q %s at %s caption=%q\n", l.ID, l.Name(), l.Pos, l.Caption)
		}
		for i, d := range b.Docs {
			if b.Chapters[i] != ch {
				continue
			}
			_ = ast.Walk(d, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
				if !entering {
					return ast.WalkContinue, nil
				}
				switch n := n.(type) {
				case *Callout:
					fmt.Fprintf(&s, "  callout %s %q with %d blocks: %q\n", n.Variant, n.Title(), n.ChildCount(), PlainText(n, ch.Source))
				case *Figure:
					var kinds []string
					for c := n.FirstChild(); c != nil; c = c.NextSibling() {
						kinds = append(kinds, c.Kind().String())
					}
					fmt.Fprintf(&s, "  figure %s holds %v\n", n.Label.Name(), kinds)
				}
				return ast.WalkContinue, nil
			})
		}
		for _, p := range ch.Programs {
			fmt.Fprintf(&s, "  program %s at %s\n", p.Name, p.Pos)
			for _, f := range p.Files {
				fmt.Fprintf(&s, "    file %s lines=%v\n", f.Name, f.Lines)
				for _, l := range strings.SplitAfter(string(f.Source), "\n") {
					if l != "" {
						fmt.Fprintf(&s, "      | %s", l)
					}
				}
			}
		}
		for _, r := range ch.Runs {
			var progs []string
			for _, p := range r.Programs {
				progs = append(progs, p.Name)
			}
			fmt.Fprintf(&s, "  run %s at %s timeout=%s exit=%d exclusive=%v programs=%v\n", r.ID, r.Pos, r.Timeout, r.Exit, r.Exclusive, progs)
			if r.Stdin != nil {
				fmt.Fprintf(&s, "    stdin %s digest=%.12s\n", r.Stdin.Path, r.Stdin.Digest)
			}
			for _, f := range r.Files {
				fmt.Fprintf(&s, "    file %s as %s dir=%v digest=%.12s\n", f.Path, f.Name, f.Dir, f.Digest)
			}
			for _, e := range r.Env {
				fmt.Fprintf(&s, "    env %q\n", e)
			}
			if r.Network {
				fmt.Fprintf(&s, "    network\n")
			}
			for _, cmd := range r.Commands {
				bg := ""
				if cmd.Background {
					bg = " &"
				}
				if cmd.Exit != 0 {
					bg += fmt.Sprintf(" exit %d", cmd.Exit)
				}
				if cmd.HereDocAt != 0 {
					bg += fmt.Sprintf(" here-document after %q", cmd.Text[:cmd.HereDocAt])
				}
				fmt.Fprintf(&s, "    $ %q%s at %s\n", cmd.Text, bg, cmd.Pos)
			}
			for _, call := range r.Calls {
				fmt.Fprintf(&s, "    calls %s at %s\n", call.Name, call.Pos)
			}
		}
		for _, x := range b.Exprs {
			if x.Chapter != ch {
				continue
			}
			kind := "value"
			switch {
			case x.Expr.IsChart():
				kind = "chart"
			case x.Expr.IsClaim():
				kind = "claim"
			}
			fmt.Fprintf(&s, "  %s %q at %s\n", kind, x.Expr.Src, x.Pos)
		}
	}
	return s.String()
}

func TestParseInfo(t *testing.T) {
	in, err := parseInfo(`console run=race timeout=2m title="two words" exclusive`, 4)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%s %+v", in.Lang, in.Attrs)
	want := `console [{Key:run Value:race HasValue:true Col:12} {Key:timeout Value:2m HasValue:true Col:21} {Key:title Value:two words HasValue:true Col:32} {Key:exclusive Value: HasValue:false Col:50}]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := parseInfo(`go program="x`, 4); err == nil || err.(*infoError).Col != 15 {
		t.Errorf("unterminated quote: got %v", err)
	}
}

func TestHeadingIDsAvoidRunIDs(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "chapters"), 0o755)
	os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "chapters", "a.md"), []byte("# A\n\n## Run seek\n\n## Chart 1\n\n## Run seek\n\n## Section run\n"), 0o644)
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	_ = ast.Walk(b.Docs[0], func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			id, _ := h.AttributeString("id")
			ids = append(ids, string(id.([]byte)))
		}
		return ast.WalkContinue, nil
	})
	want := "[a section-run-seek section-chart-1 section-run-seek-1 section-run]"
	if got := fmt.Sprint(ids); got != want {
		t.Errorf("heading ids %s, want %s", got, want)
	}
}

func TestResolveModules(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"book.toml": "[book]\ntitle = \"M\"\n",
		"go.mod":    "module example.com/m\n\ngo 1.26\n\nrequire (\n\tgolang.org/x/sys v0.49.0\n\tgolang.org/x/term v0.47.0 // indirect\n\texample.com/lib v1.2.3\n)\n\nreplace example.com/lib => ./lib\n",
		"chapters/a.md": "# A\n\n```go program=sys\npackage main\n\nimport (\n\t\"fmt\"\n\t\"golang.org/x/sys/unix\"\n\t\"example.com/lib/sub\"\n)\n\nfunc main() { fmt.Println(unix.Getpid(), sub.X) }\n```\n\n" +
			"```go program=plain\npackage main\n\nfunc main() {}\n```\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range b.Programs {
		got[p.Name] = strings.Join(p.Modules, "; ")
	}
	if want := "example.com/lib v1.2.3 => ./lib; golang.org/x/sys v0.49.0"; got["sys"] != want {
		t.Errorf("sys: %q, want %q", got["sys"], want)
	}
	if got["plain"] != "" {
		t.Errorf("plain: %q, want none", got["plain"])
	}
}

// TestHeadingIDsLinear checks that repeated headings get their ids in
// linear work (F7): each repeat tries one candidate, or one more per id
// that something else already holds.
func TestHeadingIDsLinear(t *testing.T) {
	const n = 20000
	ids := newIDs()
	ids.Put([]byte("example-3")) // an explicit id in the way
	var last []byte
	for range n {
		last = ids.Generate([]byte("Example"), ast.KindHeading)
	}
	if want := fmt.Sprintf("example-%d", n); string(last) != want {
		t.Errorf("the last id is %s, want %s", last, want)
	}
	if ids.probes > n {
		t.Errorf("%d equal headings tried %d candidate ids, want at most %d", n, ids.probes, n)
	}
	// Through the whole loader too, which used to take two minutes.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "chapters"), 0o755)
	os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "chapters", "a.md"), []byte("# A\n\n"+strings.Repeat("## Example\n\n", n)), 0o644)
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := b.Docs[0].LastChild().(*ast.Heading)
	if id, _ := h.AttributeString("id"); string(id.([]byte)) != fmt.Sprintf("example-%d", n-1) {
		t.Errorf("the last heading's id is %s", id)
	}
}

// TestInputDigest checks that the digests of stdin= and files= follow the
// content of the files they name, down into directories, and their
// executable bits: the run's key is made from them.
func TestInputDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("book.toml", "[book]\n", 0o644)
	write("chapters/a.md", "# A\n\n```console run=r stdin=in.txt files=tree\n$ cat\n```\n", 0o644)
	write("chapters/in.txt", "one\n", 0o644)
	write("chapters/tree/sub/f", "x\n", 0o644)
	digests := func() string {
		b, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		r := b.Runs[0]
		return r.Stdin.Digest + " " + r.Files[0].Digest
	}
	seen := map[string]string{}
	for _, step := range []struct {
		what string
		do   func()
	}{
		{"first", func() {}},
		{"stdin edited", func() { write("chapters/in.txt", "two\n", 0o644) }},
		{"file in a directory edited", func() { write("chapters/tree/sub/f", "y\n", 0o644) }},
		{"file made executable", func() { write("chapters/tree/sub/f", "y\n", 0o755) }},
		{"file added", func() { write("chapters/tree/g", "", 0o644) }},
	} {
		step.do()
		d := digests()
		if prev, dup := seen[d]; dup {
			t.Errorf("%s: digests %s are those of %s", step.what, d, prev)
		}
		seen[d] = step.what
	}
}

// TestInputSymlinkAndNames refuses a symbolic link named by files= or
// stdin= at the block, and accepts inputs named like pages (index).
func TestInputSymlinkAndNames(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"book.toml":            "[book]\ntitle = \"I\"\n",
		"chapters/real.txt":    "x\n",
		"chapters/index/a.txt": "a\n",
		"chapters/a.md":        "# A\n\n```console run=r files=link.txt\n$ cat link.txt\n```\n\n```console run=s files=index\n$ ls index\n```\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("real.txt", filepath.Join(dir, "chapters", "link.txt")); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "chapters/a.md:3:18: files=: link.txt: chapters/link.txt is a symbolic link") {
		t.Errorf("got %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "index") {
		t.Errorf("an input named index is refused: %v", err)
	}
}

// TestChapterDirOutside: a chapter in a directory that is a symbolic link
// to outside the book escapes it as a symbolic link to a chapter does,
// although its directory is resolved once for all its chapters.
func TestChapterDirOutside(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "a.md"), []byte("# A\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeBook(t, map[string]string{
		"book.toml":      "[book]\ntitle = \"T\"\nchapters = [\"chapters/in.md\", \"elsewhere/a.md\"]\n",
		"chapters/in.md": "# In\n",
	})
	if err := os.Symlink(outside, filepath.Join(dir, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), `chapter path "elsewhere/a.md" escapes the book directory`) {
		t.Fatalf("err = %v, want elsewhere/a.md to escape the book directory", err)
	}
}
