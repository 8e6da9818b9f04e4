package site

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/naming"
	"github.com/yuin/goldmark/ast"
)

// Files of the search.
const (
	// SearchIndex holds the text of every section of the book, as a
	// script that sets window.litbookSearchDocs: a script, not JSON, so
	// that pages read it from file:// too, where fetch is refused.
	SearchIndex = "search-index.js"
	// MiniSearch is the search library, vendored from npm with its
	// licence (see assets/vendor/README).
	MiniSearch        = "minisearch.js"
	MiniSearchLicence = "minisearch.LICENSE.txt"
)

// searchOutputMax caps how much of one captured stream goes into the
// index: enough for every word a reader would look for in a transcript.
const searchOutputMax = 32 << 10

// searchDoc is one entry of the search index: a section of a chapter,
// from one heading to the next, with its prose, its code and the outputs
// of its runs. The JSON names are short because the index holds one per
// section of the book.
type searchDoc struct {
	ID      int    `json:"id"`
	Title   string `json:"t"` // the section's heading
	Chapter string `json:"c"` // the chapter's title
	URL     string `json:"u"` // page#anchor
	Text    string `json:"x"`
}

// searchDocs returns the sections of chapter i of b for the search index,
// in order, with the measured values of its prose as value draws them.
// IDs are left zero.
func searchDocs(b *loader.Parsed, i int, results map[*model.Run]*model.Result, value func(*loader.Expr) string) []searchDoc {
	ch, doc := b.Chapters[i], b.Docs[i]
	src := ch.Source
	page := naming.PageURL(ch.Slug)
	var docs []searchDoc
	cur := searchDoc{Title: ch.Title, Chapter: ch.Title, URL: page}
	var text strings.Builder
	flush := func() {
		cur.Text = strings.Join(strings.Fields(text.String()), " ")
		if cur.Text != "" || len(docs) > 0 || cur.URL != page {
			docs = append(docs, cur)
		}
		text.Reset()
	}
	add := func(b []byte) {
		text.Write(b)
		text.WriteByte(' ')
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			title := loader.PlainText(n, src)
			if n.Level == 1 && len(docs) == 0 && text.Len() == 0 {
				// The chapter's title: its section is the top of the page.
				cur.Title = title
				return ast.WalkSkipChildren, nil
			}
			flush()
			cur = searchDoc{Title: title, Chapter: ch.Title, URL: page}
			if id := naming.HeadingID(n); id != "" {
				cur.URL = page + "#" + id
			}
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			add(n.Segment.Value(src))
		case *ast.String:
			add(n.Value)
		case *ast.AutoLink:
			add(n.Label(src))
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			add(blockText(n, src))
			return ast.WalkSkipChildren, nil
		case *loader.ProgramBlock:
			if n.Hidden {
				return ast.WalkSkipChildren, nil
			}
			if n.Program != nil {
				add([]byte(n.Program.Name))
			}
			add(n.Code)
			return ast.WalkSkipChildren, nil
		case *loader.RunBlock:
			runText(&text, n.Run, results[n.Run])
			return ast.WalkSkipChildren, nil
		case *loader.ValueSpan:
			add([]byte(value(n.Expr)))
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	flush()
	return docs
}

// runText writes the commands of run and what they printed.
func runText(b *strings.Builder, run *model.Run, res *model.Result) {
	out := func(o model.Output) {
		data := o.Data
		if len(data) > searchOutputMax {
			data = data[:searchOutputMax]
		}
		b.WriteString(cleanText(data))
		b.WriteByte(' ')
	}
	for i, c := range run.Commands {
		b.WriteString(c.Text)
		b.WriteByte(' ')
		if res != nil && i < len(res.Commands) {
			out(res.Commands[i].Stdout)
			out(res.Commands[i].Stderr)
		}
	}
	if res != nil {
		out(res.Shell)
		for _, f := range res.Files {
			b.WriteString(cleanText([]byte(f.Name)))
			b.WriteByte(' ')
		}
	}
}

// searchIndexJS returns the script that defines the search index.
func searchIndexJS(docs []searchDoc) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("window.litbookSearchDocs = ")
	enc := json.NewEncoder(&buf)
	// json escapes <, > and & in strings, so no "</script>" can appear.
	if err := enc.Encode(docs); err != nil {
		return nil, err
	}
	buf.Truncate(buf.Len() - 1) // the newline Encode adds
	buf.WriteString(";\n")
	return buf.Bytes(), nil
}

// description returns the first paragraph of doc as plain text, cut to
// about 160 characters at a word boundary: the page's description for
// search engines and link previews.
func description(doc ast.Node, src []byte) string {
	var text string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if p, ok := n.(*ast.Paragraph); ok && entering {
			text = strings.Join(strings.Fields(loader.PlainText(p, src)), " ")
			if text != "" {
				return ast.WalkStop, nil
			}
		}
		return ast.WalkContinue, nil
	})
	const max = 160
	if len(text) <= max {
		return text
	}
	cut := strings.LastIndexByte(text[:max], ' ')
	if cut < max/2 {
		cut = max
		for cut > 0 && !isRuneStart(text[cut]) {
			cut--
		}
	}
	return strings.TrimRight(text[:cut], " ,;:") + "…"
}

func isRuneStart(c byte) bool { return c&0xC0 != 0x80 }
