package site

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"net/url"

	"github.com/litbook/litbook/links"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/naming"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// newMarkdown returns the goldmark renderer of chapters: litbook's
// extensions and nodeRenderer on top of goldmark's HTML renderer. Raw HTML
// in chapters is left out (goldmark's safe default), so that a chapter
// cannot break the page around it. Footnote ids take the prefix of the
// chapter that nr is rendering, so that the print page can hold every
// chapter's footnotes.
func newMarkdown(nr *nodeRenderer) goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(loader.Extensions()...),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(nr, 100)),
			extension.WithFootnoteIDPrefixFunction(func(ast.Node) []byte { return []byte(nr.idPrefix()) }),
		),
	)
}

// nodeRenderer draws what litbook adds to goldmark's HTML: program and run
// blocks, code highlighted with chroma, headings with anchor links, and
// links that lead to the pages and files of the site. It implements
// renderer.NodeRenderer. One nodeRenderer renders one chapter at a time:
// chapter and print say which, and how.
type nodeRenderer struct {
	hl      *highlighter
	results map[*model.Run]*model.Result
	tmpl    *template.Template // defines "run" and "program"
	exprs   *exprs
	links   *links.Links

	chapter  int  // index of the chapter being rendered
	callouts int  // callouts drawn on the current page, for unique ids
	print    bool // rendering for the print page: ids carry the chapter's prefix
	// memo keeps the chapter's highlighted blocks for its second
	// rendering, for the print page; nil when there is none to come.
	memo map[highlightKey]string

	// tracing has the renderer note in trace every question it asks the
	// book's links, with the answer: a page whose questions get the same
	// answers from the next build's links need not be drawn again.
	tracing bool
	trace   []linkQuery
}

// linkQuery is a question a renderer asked the book's links about a
// link of its chapter, and the answer.
type linkQuery struct {
	xref   bool // XrefText rather than Href
	print  bool
	dest   string
	answer string
	// chapter is the chapter the link leads to (links.Links.Chapter), or
	// -1.
	chapter int
}

// href is r.links.Href, noted in the trace.
func (r *nodeRenderer) href(dest string) string {
	href, _ := r.links.Href(r.chapter, dest, r.print)
	if r.tracing {
		r.trace = append(r.trace, linkQuery{print: r.print, dest: dest, answer: href, chapter: r.links.Chapter(r.chapter, dest)})
	}
	return href
}

// xrefText is r.links.XrefText, noted in the trace.
func (r *nodeRenderer) xrefText(dest string) string {
	text := r.links.XrefText(r.chapter, dest)
	if r.tracing {
		r.trace = append(r.trace, linkQuery{xref: true, print: r.print, dest: dest, answer: text, chapter: r.links.Chapter(r.chapter, dest)})
	}
	return text
}

// highlight returns code highlighted as lang.
func (r *nodeRenderer) highlight(lang string, code []byte) string {
	key := blockKey(lang, code)
	if s, ok := r.memo[key]; ok {
		return s
	}
	s := r.hl.highlight(key, lang, code)
	if r.memo != nil {
		r.memo[key] = s
	}
	return s
}

// idPrefix is what ids start with in the chapter being rendered.
func (r *nodeRenderer) idPrefix() string {
	if !r.print {
		return ""
	}
	return naming.PrintID(r.links.Book().Chapters[r.chapter], "") + ":"
}

// id returns the id that an element with id has on the page being
// rendered.
func (r *nodeRenderer) id(id string) string {
	if !r.print {
		return id
	}
	return naming.PrintID(r.links.Book().Chapters[r.chapter], id)
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *nodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, r.heading)
	reg.Register(ast.KindLink, r.link)
	reg.Register(ast.KindImage, r.image)
	reg.Register(ast.KindFencedCodeBlock, r.fencedCodeBlock)
	reg.Register(ast.KindCodeBlock, r.codeBlock)
	reg.Register(loader.KindProgramBlock, r.programBlock)
	reg.Register(loader.KindRunBlock, r.runBlock)
	reg.Register(loader.KindValueSpan, r.exprs.valueSpan)
	reg.Register(loader.KindChartBlock, r.exprs.chartBlock)
	reg.Register(loader.KindCallout, r.callout)
	reg.Register(loader.KindFigure, r.figure)
	reg.Register(loader.KindCaption, r.caption)
}

// heading draws a heading with its id and, from level 2 on, a link to
// itself that readers can copy, drawn as a link icon by the stylesheet.
func (r *nodeRenderer) heading(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Heading)
	id := naming.HeadingID(n)
	if entering {
		fmt.Fprintf(w, "<h%d", n.Level)
		if id != "" {
			fmt.Fprintf(w, ` id="%s"`, html.EscapeString(r.id(id)))
		}
		_ = w.WriteByte('>')
		return ast.WalkContinue, nil
	}
	if id != "" && n.Level > 1 {
		fmt.Fprintf(w, `<a class="anchor" href="#%s" aria-label="Link to this section"></a>`, html.EscapeString(url.PathEscape(r.id(id))))
	}
	fmt.Fprintf(w, "</h%d>\n", n.Level)
	return ast.WalkContinue, nil
}

// dest returns the URL of a link written as dest in the chapter being
// rendered: chapter files become pages, book files their copies in the
// site. Links that lead nowhere were reported by links.Check; here they
// are left as written.
func (r *nodeRenderer) dest(dest []byte) []byte {
	return []byte(r.href(string(dest)))
}

// link draws a link as goldmark does, to the page or file it leads to.
func (r *nodeRenderer) link(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<a href="`)
	r.writeDest(w, n.Destination)
	_ = w.WriteByte('"')
	writeTitle(w, n.Title)
	if n.Attributes() != nil {
		gmhtml.RenderAttributes(w, n, gmhtml.LinkAttributeFilter)
	}
	if n.ChildCount() == 0 {
		// A cross-reference: [](#fig-race) reads "Figure 2.1".
		_, _ = w.WriteString(` class="xref">`)
		_, _ = w.WriteString(html.EscapeString(r.xrefText(string(n.Destination))))
		return ast.WalkContinue, nil
	}
	_ = w.WriteByte('>')
	return ast.WalkContinue, nil
}

// image draws an image as goldmark does, from its copy in the site.
func (r *nodeRenderer) image(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	_, _ = w.WriteString(`<img src="`)
	r.writeDest(w, n.Destination)
	_, _ = w.WriteString(`" alt="`)
	_, _ = w.WriteString(html.EscapeString(loader.PlainText(n, src)))
	_ = w.WriteByte('"')
	writeTitle(w, n.Title)
	if n.Attributes() != nil {
		gmhtml.RenderAttributes(w, n, gmhtml.ImageAttributeFilter)
	}
	_ = w.WriteByte('>')
	return ast.WalkSkipChildren, nil
}

// writeDest writes the URL of a link's destination, escaped as goldmark
// does, and nothing for a dangerous one (javascript: and the like).
func (r *nodeRenderer) writeDest(w util.BufWriter, dest []byte) {
	u := util.URLEscape(r.dest(dest), true)
	if !gmhtml.IsDangerousURL(u) {
		_, _ = w.Write(util.EscapeHTML(u))
	}
}

// writeTitle writes the title attribute of a link or image, if it has one.
func writeTitle(w util.BufWriter, title []byte) {
	if title != nil {
		_, _ = w.WriteString(` title="`)
		gmhtml.DefaultWriter.Write(w, title)
		_ = w.WriteByte('"')
	}
}

func (r *nodeRenderer) fencedCodeBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var lang string
	if n.Info != nil {
		lang = string(n.Language(src))
	}
	_, _ = w.WriteString(r.highlight(lang, blockText(n, src)))
	_ = w.WriteByte('\n')
	return ast.WalkSkipChildren, nil
}

func (r *nodeRenderer) codeBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	_, _ = w.WriteString(r.highlight("", blockText(node, src)))
	_ = w.WriteByte('\n')
	return ast.WalkSkipChildren, nil
}

// blockText returns the content of a code block as written, with the
// indentation that goldmark keeps as padding.
func blockText(n ast.Node, src []byte) []byte {
	var b []byte
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		for range seg.Padding {
			b = append(b, ' ')
		}
		b = append(b, seg.Value(src)...)
	}
	return b
}

// programView is what the "program" template draws.
type programView struct {
	Program, File string
	Code          template.HTML // highlighted by chroma, which escapes
	Hidden        bool          // folded away: scaffolding, compiled but not read
	Lines         int
}

func (r *nodeRenderer) programBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*loader.ProgramBlock)
	lang := n.Lang
	if lang == "" {
		lang = "go"
	}
	v := programView{Code: template.HTML(r.highlight(lang, n.Code)), Hidden: n.Hidden, Lines: bytes.Count(n.Code, []byte("\n"))}
	if n.Program != nil {
		v.Program = n.Program.Name
	}
	if n.File != nil {
		v.File = n.File.Name
	}
	return ast.WalkSkipChildren, r.tmpl.ExecuteTemplate(w, "program", v)
}

func (r *nodeRenderer) runBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*loader.RunBlock)
	v := newRunView(n.Run, r.results[n.Run])
	v.ID = r.id(v.ID)
	return ast.WalkSkipChildren, r.tmpl.ExecuteTemplate(w, "run", v)
}
