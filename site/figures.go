package site

import (
	"fmt"
	"html"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"
)

// callout draws a GitHub-style alert as an aside with the role of a note
// and a visible label ("Note", "Warning") that also names it for screen
// readers.
func (r *nodeRenderer) callout(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*loader.Callout)
	if !entering {
		_, _ = w.WriteString("</aside>\n")
		return ast.WalkContinue, nil
	}
	r.callouts++
	id := html.EscapeString(r.id(fmt.Sprintf("callout-%d", r.callouts)))
	fmt.Fprintf(w, `<aside class="callout callout-%s" role="note" aria-labelledby="%s">`+"\n", html.EscapeString(n.Variant), id)
	fmt.Fprintf(w, `<p class="callout-title" id="%s">%s</p>`+"\n", id, html.EscapeString(n.Title()))
	return ast.WalkContinue, nil
}

// figure draws a numbered figure or table: its element and its caption,
// in a figure whose id is the label, so that references lead to it.
func (r *nodeRenderer) figure(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*loader.Figure)
	if !entering {
		_, _ = w.WriteString("</figure>\n")
		return ast.WalkContinue, nil
	}
	class := "figure"
	if n.Label.Kind == model.Table {
		class = "figure table-figure"
	}
	fmt.Fprintf(w, `<figure class="%s"`, class)
	if n.Label.ID != "" {
		fmt.Fprintf(w, ` id="%s"`, html.EscapeString(r.id(n.Label.ID)))
	}
	_, _ = w.WriteString(">\n")
	return ast.WalkContinue, nil
}

// caption draws a figure's caption, starting with its number.
func (r *nodeRenderer) caption(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*loader.Caption)
	if !entering {
		_, _ = w.WriteString("</figcaption>\n")
		return ast.WalkContinue, nil
	}
	fmt.Fprintf(w, `<figcaption><span class="figure-number">%s.</span> `, html.EscapeString(n.Label.Name()))
	return ast.WalkContinue, nil
}

// xrefText is what an empty link ([](#fig-race)) shows: the name of
// what it leads to ("Figure 2.1", "Table 1.1", "Chapter 3", "Appendix A",
// "run race") or the text of the heading; "" for anything else.
func (ix *linkIndex) xrefText(t target) string {
	if t.kind != linkSelf && t.kind != linkChapter {
		return ""
	}
	ch := ix.b.Chapters[t.chapter]
	if t.frag == "" {
		if t.kind == linkSelf {
			return ""
		}
		return ch.Name()
	}
	if l := ch.Label(t.frag); l != nil {
		return l.Name()
	}
	for _, run := range ch.Runs {
		if runID(run) == t.frag {
			return "run " + run.Name
		}
	}
	if t.chapter < len(ix.b.Docs) {
		title := ""
		_ = ast.Walk(ix.b.Docs[t.chapter], func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if h, ok := n.(*ast.Heading); ok && entering {
				if headingID(h) == t.frag {
					title = loader.PlainText(h, ch.Source)
					return ast.WalkStop, nil
				}
				return ast.WalkSkipChildren, nil
			}
			return ast.WalkContinue, nil
		})
		return title
	}
	return ""
}

// checkXref returns the problem with link l of chapter i, resolved to t,
// if it is a cross-reference (a link without text, which shows the name of
// what it leads to) that leads to nothing with a name: a cross-reference
// must lead to a figure, a table, a run, a heading or a chapter.
func (ix *linkIndex) checkXref(l link, t target) string {
	n, ok := l.node.(*ast.Link)
	if !ok || n.ChildCount() > 0 {
		return ""
	}
	if ix.xrefText(t) != "" {
		return ""
	}
	return fmt.Sprintf("link [](%s) has no text, so it shows the name of what it leads to, and %s has none: refer to a figure (#fig-...), a table (#tbl-...), a run (#run-...), a heading or a chapter, or write the link's text", l.dest, l.dest)
}
