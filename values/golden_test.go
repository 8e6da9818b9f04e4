package values

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the .want sections of testdata/*.txtar")

// caret shows an error under its expression: a caret at the offset, then
// the message.
func caret(s string, off int, msg string) string {
	if off < 0 || off > len(s) {
		return fmt.Sprintf("%s\n\toffset %d out of range: %s\n", s, off, msg)
	}
	return fmt.Sprintf("%s\n%s^ %s\n", s, strings.Repeat(" ", utf8.RuneCountInString(s[:off])), msg)
}

// TestErrors checks every error message of testdata/errors.txtar.
func TestErrors(t *testing.T) {
	const file = "testdata/errors.txtar"
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]*txtar.File{}
	for i := range ar.Files {
		sections[ar.Files[i].Name] = &ar.Files[i]
	}
	for _, name := range []string{"parse", "eval"} {
		in := sections[name]
		if in == nil {
			t.Fatalf("%s: no %s section", file, name)
		}
		var got strings.Builder
		for _, line := range strings.Split(strings.TrimSuffix(string(in.Data), "\n"), "\n") {
			e, err := Parse(line)
			if name == "eval" && err == nil {
				_, err = Evaluate(e, lookup())
			}
			var se *SyntaxError
			var ee *EvalError
			switch {
			case err == nil:
				t.Errorf("%s: %s: no error", name, line)
				got.WriteString(line + "\n\tno error\n")
			case name == "parse" && errors.As(err, &se):
				got.WriteString(caret(line, se.Off, se.Msg))
			case name == "eval" && errors.As(err, &ee):
				got.WriteString(caret(line, ee.Off, ee.Msg))
			default:
				t.Errorf("%s: %s: error of type %T: %v", name, line, err, err)
			}
		}
		want := sections[name+".want"]
		if *update {
			if want == nil {
				ar.Files = append(ar.Files, txtar.File{Name: name + ".want"})
				want = &ar.Files[len(ar.Files)-1]
				for i := range ar.Files { // the append may have moved them
					sections[ar.Files[i].Name] = &ar.Files[i]
				}
			}
			want.Data = []byte(got.String())
			continue
		}
		if want == nil {
			t.Fatalf("%s: no %s.want section; run go test -update", file, name)
		}
		if got.String() != string(want.Data) {
			t.Errorf("%s: %s errors differ (go test -update to accept):\n%s", file, name, diff(string(want.Data), got.String()))
		}
	}
	if *update {
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// diff shows the blocks (an expression and its error) that differ.
func diff(want, got string) string {
	blocks := func(s string) []string {
		var out []string
		lines := strings.Split(s, "\n")
		for i := 0; i+1 < len(lines); i += 2 {
			out = append(out, lines[i]+"\n"+lines[i+1])
		}
		return out
	}
	w, g := blocks(want), blocks(got)
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var x, y string
		if i < len(w) {
			x = w[i]
		}
		if i < len(g) {
			y = g[i]
		}
		if x != y {
			fmt.Fprintf(&b, "want:\n%s\ngot:\n%s\n\n", x, y)
		}
	}
	return b.String()
}
