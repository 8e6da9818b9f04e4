package links

import (
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
)

// TestXrefErrors reports, at their lines, references to labels that do not
// exist and empty links to what has no name.
func TestXrefErrors(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":      "[book]\n",
		"chapters/a.md":  "# A\n\n![x](d.svg)\n\nFigure: X. {#fig-x}\n\nSee [](#fig-y).\n\nAnd [](d.svg) and [](https://example.com).\n\nFine: [](#fig-x).\n",
		"chapters/b.md":  "# B\n\n[](a.md#fig-z)\n",
		"chapters/d.svg": "<svg/>",
	})
	_, err := Resolve(b, "")
	var errs model.ErrorList
	if err != nil {
		errs = err.(model.ErrorList)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"chapters/a.md:7: link to #fig-y: no such anchor in chapters/a.md (did you mean #fig-x?)",
		"chapters/a.md:9: link [](d.svg) has no text, so it shows the name of what it leads to, and d.svg has none: refer to a figure (#fig-...), a table (#tbl-...), a run (#run-...), a heading or a chapter, or write the link's text",
		"chapters/a.md:9: link [](https://example.com) has no text, so it shows the name of what it leads to, and https://example.com has none: refer to a figure (#fig-...), a table (#tbl-...), a run (#run-...), a heading or a chapter, or write the link's text",
		`chapters/b.md:3: link "a.md#fig-z": no anchor #fig-z in chapters/a.md (did you mean #fig-x?)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
