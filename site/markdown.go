package site

import (
	"fmt"
	"html"
	"html/template"
	"net/url"
	"path"
	"strings"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// newMarkdown returns the goldmark renderer of chapters: litbook's
// extensions and nodeRenderer on top of goldmark's HTML renderer. Raw HTML
// in chapters is left out (goldmark's safe default), so that a chapter
// cannot break the page around it.
func newMarkdown(nr *nodeRenderer) goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(loader.Extensions()...),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(nr, 100))),
	)
}

// nodeRenderer draws what litbook adds to goldmark's HTML: program and run
// blocks, code highlighted with chroma, and headings with anchor links.
// It implements renderer.NodeRenderer.
type nodeRenderer struct {
	hl      *highlighter
	results map[*model.Run]*model.Result
	tmpl    *template.Template // defines "run" and "program"
	exprs   *exprs
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *nodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, r.heading)
	reg.Register(ast.KindFencedCodeBlock, r.fencedCodeBlock)
	reg.Register(ast.KindCodeBlock, r.codeBlock)
	reg.Register(loader.KindProgramBlock, r.programBlock)
	reg.Register(loader.KindRunBlock, r.runBlock)
	reg.Register(loader.KindValueSpan, r.exprs.valueSpan)
	reg.Register(loader.KindChartBlock, r.exprs.chartBlock)
}

// heading draws a heading with its id and, from level 2 on, a "#" link to
// itself that readers can copy.
func (r *nodeRenderer) heading(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Heading)
	if entering {
		fmt.Fprintf(w, "<h%d", n.Level)
		if n.Attributes() != nil {
			gmhtml.RenderAttributes(w, n, gmhtml.HeadingAttributeFilter)
		}
		_ = w.WriteByte('>')
		return ast.WalkContinue, nil
	}
	if id, ok := n.AttributeString("id"); ok && n.Level > 1 {
		if id, ok := id.([]byte); ok && len(id) > 0 {
			fmt.Fprintf(w, ` <a class="anchor" href="#%s" aria-label="Link to this section">#</a>`, html.EscapeString(string(id)))
		}
	}
	fmt.Fprintf(w, "</h%d>\n", n.Level)
	return ast.WalkContinue, nil
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
	_, _ = w.WriteString(r.hl.highlight(lang, blockText(n, src)))
	_ = w.WriteByte('\n')
	return ast.WalkSkipChildren, nil
}

func (r *nodeRenderer) codeBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	_, _ = w.WriteString(r.hl.highlight("", blockText(node, src)))
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
}

func (r *nodeRenderer) programBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*loader.ProgramBlock)
	v := programView{Code: template.HTML(r.hl.highlight("go", n.Code))}
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
	return ast.WalkSkipChildren, r.tmpl.ExecuteTemplate(w, "run", newRunView(n.Run, r.results[n.Run]))
}

// rewriteChapterLinks points links to the Markdown files of chapters, such
// as [see](02-append.md#section) written in chapters/01-intro.md, at their
// pages (02-append.html#section). Paths are relative to the directory of
// from, as on a forge; other links are left alone. It changes doc in place
// and returns a function that restores the original destinations, so that
// the loaded book stays as it was.
func rewriteChapterLinks(doc ast.Node, from *model.Chapter, pages map[string]string) (restore func()) {
	type change struct {
		link *ast.Link
		dest []byte
	}
	var changes []change
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		link, ok := n.(*ast.Link)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		if dest, ok := chapterLink(string(link.Destination), from, pages); ok {
			changes = append(changes, change{link, link.Destination})
			link.Destination = []byte(dest)
		}
		return ast.WalkContinue, nil
	})
	return func() {
		for _, c := range changes {
			c.link.Destination = c.dest
		}
	}
}

// chapterLink returns the page URL for a link destination that names a
// chapter's Markdown file, relative to the chapter from.
func chapterLink(dest string, from *model.Chapter, pages map[string]string) (string, bool) {
	p, frag, _ := strings.Cut(dest, "#")
	p, _, _ = strings.Cut(p, "?")
	if p == "" || strings.HasPrefix(p, "/") || path.Ext(p) != ".md" {
		return "", false
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" {
		return "", false
	}
	p, err := url.PathUnescape(p)
	if err != nil {
		return "", false
	}
	page, ok := pages[path.Join(path.Dir(from.Path), p)]
	if !ok {
		return "", false
	}
	if frag != "" {
		page += "#" + frag
	}
	return page, true
}
