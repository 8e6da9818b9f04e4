package links

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
)

func TestResolveLinks(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml": "[book]\ntitle = \"T\"\nchapters = [\"chapters/01-intro.md\", \"chapters/02-append.md\", \"extra/x y.md\"]\n",
		"chapters/01-intro.md": fence(`# Intro

## Self

'''console run=r
$ true
'''

Note.[^1]

[^1]: A note.
`),
		"chapters/02-append.md": "# Append\n\n## Seeking first\n",
		"extra/x y.md":          "# X\n\n## Top\n",
		"chapters/img/a b.png":  "png",
		"notes.txt":             "notes",
	})
	ix := newLinkIndex(b, filepath.Join(b.Root, "book"))
	for _, tc := range []struct {
		dest, page, print, problem string
	}{
		{"02-append.md", "02-append.html", "#02-append", ""},
		{"02-append.md#seeking-first", "02-append.html#seeking-first", "#02-append:seeking-first", ""},
		{"./02-append.md", "02-append.html", "#02-append", ""},
		{"../chapters/02-append.md", "02-append.html", "#02-append", ""},
		{"../extra/x%20y.md#top", "x%20y.html#top", "#x y:top", ""},
		{"02-append.html#seeking-first", "02-append.html#seeking-first", "#02-append:seeking-first", ""},
		{"01-intro.md#self", "01-intro.html#self", "#01-intro:self", ""},
		{"#self", "#self", "#01-intro:self", ""},
		{"#run-r", "#run-r", "#01-intro:run-r", ""},
		{"#fn:1", "#fn:1", "#01-intro:fn:1", ""},
		{"index.html#contents", "index.html#contents", "index.html#contents", ""},
		{"print.html", "print.html", "print.html", ""},
		{"machines.html#runs", "machines.html#runs", "machines.html#runs", ""},
		{"img/a%20b.png", "files/chapters/img/a%20b.png", "files/chapters/img/a%20b.png", ""},
		{"../notes.txt", "files/notes.txt", "files/notes.txt", ""},
		{"https://example.com/02-append.md", "https://example.com/02-append.md", "https://example.com/02-append.md", ""},
		{"mailto:a@example.com", "mailto:a@example.com", "mailto:a@example.com", ""},
		{"#nope", "", "", "link to #nope: no such anchor in chapters/01-intro.md"},
		{"02-append.md#seeking", "", "", `link "02-append.md#seeking": no anchor #seeking in chapters/02-append.md (did you mean #seeking-first?)`},
		{"03-missing.md", "", "", `link "03-missing.md": chapters/03-missing.md is not a chapter of the book`},
		{"append", "", "", `link "append": chapters/append does not exist (did you mean 02-append.md?)`},
		{"02-apend.md", "", "", `link "02-apend.md": chapters/02-apend.md is not a chapter of the book (did you mean 02-append.md?)`},
		{"x-y.md", "", "", `link "x-y.md": chapters/x-y.md is not a chapter of the book (did you mean ../extra/x y.md?)`},
		{"/chapters/02-append.md", "", "", `link "/chapters/02-append.md" is absolute: write it relative to chapters/01-intro.md, so that the site works from any directory`},
		{"img", "", "", `link "img": chapters/img is a directory; link to a file`},
		{"../../x", "", "", `link "../../x" leads outside the book directory`},
		{"../book/x.html", "", "", `link "../book/x.html": book/x.html does not exist`},
		{"index.html#nope", "", "", `link "index.html#nope": the page index.html has no anchor #nope`},
		{"file:///etc/passwd", "", "", `link "file:///etc/passwd": file: links lead to a file of the reader's own computer, not of the book; link to a file of the book by its path relative to the chapter, and the site will hold a copy`},
		{"javascript:alert(1)", "", "", `link "javascript:alert(1)": javascript: links run code, and pages leave them out; link to a page or a file instead`},
		{"data:text/html,x", "", "", `link "data:text/html,x": data: links are left out of pages, as they could run code; link to a page or a file instead`},
	} {
		tg, problem := ix.resolve(0, tc.dest)
		if problem != tc.problem {
			t.Errorf("resolve(%q): problem %q, want %q", tc.dest, problem, tc.problem)
			continue
		}
		if problem != "" {
			continue
		}
		if got := ix.href(tg, tc.dest, false); got != tc.page {
			t.Errorf("href(%q) = %q, want %q", tc.dest, got, tc.page)
		}
		if got := ix.href(tg, tc.dest, true); got != tc.print {
			t.Errorf("href(%q) on the print page = %q, want %q", tc.dest, got, tc.print)
		}
	}
	if got := fmt.Sprint(Dependencies(b)); got != "[]" {
		t.Errorf("Dependencies of a book without file links = %s", got)
	}
}

func TestCheckLinksPositions(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml": "[book]\ntitle = \"T\"\n",
		"chapters/a.md": `# A

Fine: [b](b.md).

A paragraph over
two lines with [a broken
link](b.md#nope) in it.

![](missing.png)

* a list with [x](#x)
`,
		"chapters/b.md": "# B\n",
	})
	_, err := Resolve(b, "")
	var list model.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("CheckLinks = %v, want an ErrorList", err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Pos.String())
	}
	want := "chapters/a.md:6 chapters/a.md:9 chapters/a.md:11"
	if strings.Join(got, " ") != want {
		t.Errorf("positions %v, want %s\n%v", got, want, err)
	}
}

func TestExternalLinks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
		case "/get-only":
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	b := writeBook(t, map[string]string{
		"book.toml": "[book]\ntitle = \"T\"\n",
		"chapters/a.md": fmt.Sprintf(`# A

[ok](%[1]s/ok#frag) and [head refused](%[1]s/get-only).

[gone](%[1]s/gone)

Plain autolink: <%[1]s/also-gone>, and [local](#a).
`, srv.URL),
	})
	err := External(context.Background(), b)
	want := fmt.Sprintf("chapters/a.md:5: external link %[1]s/gone: 404 Not Found\nchapters/a.md:7: external link %[1]s/also-gone: 404 Not Found", srv.URL)
	if err == nil || err.Error() != want {
		t.Errorf("Check = %v, want\n%s", err, want)
	}
}

func writeBook(t *testing.T, files map[string]string) *loader.Parsed {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := loader.Load(dir)
	if err != nil {
		t.Fatalf("loading the test book: %v", err)
	}
	return b
}

// fence turns ”' into ``` so that the chapters below can be raw strings.
func fence(s string) string { return strings.ReplaceAll(s, "'''", "```") }
