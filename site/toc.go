package site

import (
	"bytes"
	_ "embed"
	"encoding/json"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/naming"
	"github.com/yuin/goldmark/ast"
)

// TOCScript draws the sidebar: every chapter, and the sections of the
// current one. It is one file that every page loads rather than a copy
// of the contents in every page, so that the site grows in proportion to
// the book (a copy per page would make a 1,000-chapter book hold a million
// sidebar entries). Without scripts, the sidebar links to the contents of
// the title page.
const TOCScript = "toc.js"

//go:embed assets/toc.js
var tocCode string

// tocEntry is a chapter in toc.js: [title, href, [[section, id], ...]],
// with a fourth element, 1 for an appendix (else 0), and a fifth, the
// title of the part that the chapter starts.
type tocEntry []any

// sections returns the level-2 headings of doc with their ids.
func sections(doc ast.Node, src []byte) [][2]string {
	var out [][2]string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			if id := naming.HeadingID(h); h.Level == 2 && id != "" {
				out = append(out, [2]string{loader.PlainText(h, src), id})
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return out
}

// tocJS returns toc.js for b: the code that draws the sidebar, called
// with the chapters.
func tocJS(b *loader.Parsed, secs [][][2]string) ([]byte, error) {
	entries := make([]tocEntry, len(b.Chapters))
	for i, ch := range b.Chapters {
		s := secs[i]
		if s == nil {
			s = [][2]string{}
		}
		entries[i] = tocEntry{ch.Title, naming.PageURL(ch.Slug), s}
		if ch.Appendix {
			entries[i] = append(entries[i], 1)
		}
		if ch.Part != nil && ch.Part.Chapters[0] == ch {
			if !ch.Appendix {
				entries[i] = append(entries[i], 0)
			}
			entries[i] = append(entries[i], ch.Part.Title)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(tocCode)
	buf.WriteString("(")
	// json escapes <, > and &, so a title cannot end the script.
	if err := json.NewEncoder(&buf).Encode(entries); err != nil {
		return nil, err
	}
	buf.Truncate(buf.Len() - 1)
	buf.WriteString(");\n")
	return buf.Bytes(), nil
}
