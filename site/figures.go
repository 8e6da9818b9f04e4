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
