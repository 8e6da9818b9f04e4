package loader

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// Kinds of the nodes that callouts and captions become.
var (
	KindCallout = ast.NewNodeKind("LitbookCallout")
	KindFigure  = ast.NewNodeKind("LitbookFigure")
	KindCaption = ast.NewNodeKind("LitbookCaption")
)

// CalloutKinds are the callouts a chapter may write, as GitHub's alerts:
// a block quote whose first line is [!NOTE], [!TIP], [!IMPORTANT],
// [!WARNING] or [!CAUTION] (in any case).
var CalloutKinds = []string{"note", "tip", "important", "warning", "caution"}

// Callout is a block quote written as a GitHub alert: "> [!NOTE]" on its
// first line. Its children are the quote's blocks, without the marker.
type Callout struct {
	ast.BaseBlock
	Variant string // one of CalloutKinds
}

// Kind implements ast.Node.
func (n *Callout) Kind() ast.NodeKind { return KindCallout }

// Title returns the callout's visible label: "Note", "Warning".
func (n *Callout) Title() string { return strings.ToUpper(n.Variant[:1]) + n.Variant[1:] }

// Dump implements ast.Node.
func (n *Callout) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Variant": n.Variant}, nil)
}

// Figure is a numbered figure or table: an image, a chart, a timeline or a
// table followed in the chapter by its caption paragraph. Its children are
// the element and its Caption, in the order the page shows them (a
// table's caption first, a figure's last).
type Figure struct {
	ast.BaseBlock
	Label *model.Label
}

// Kind implements ast.Node.
func (n *Figure) Kind() ast.NodeKind { return KindFigure }

// Dump implements ast.Node.
func (n *Figure) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Label": n.Label.ID, "Number": n.Label.Name()}, nil)
}

// Caption is the text of a figure's caption, without its "Figure:" and
// {#label}; its children are inline nodes.
type Caption struct {
	ast.BaseBlock
	Label *model.Label
}

// Kind implements ast.Node.
func (n *Caption) Kind() ast.NodeKind { return KindCaption }

// Dump implements ast.Node.
func (n *Caption) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }

var (
	calloutRE      = regexp.MustCompile(`^\s*\[!([A-Za-z]+)\]\s*(.*)$`)
	captionRE      = regexp.MustCompile(`^\s*(Figure|Table):\s*`)
	captionLabelRE = regexp.MustCompile(`\{#([^}\s]*)\}\s*$`)
	labelIDRE      = regexp.MustCompile(`^[a-z]+-[A-Za-z0-9_-]+$`)
)

// callouts replaces the block quotes of doc that start with a [!KIND]
// marker by Callout nodes, and reports unknown kinds at their line.
func (st *chapterState) callouts(doc ast.Node, src []byte) {
	var quotes []*ast.Blockquote
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if q, ok := n.(*ast.Blockquote); ok && entering {
			quotes = append(quotes, q)
		}
		return ast.WalkContinue, nil
	})
	for _, q := range quotes {
		para, ok := q.FirstChild().(*ast.Paragraph)
		if !ok || para.Lines().Len() == 0 {
			continue
		}
		first := para.Lines().At(0)
		m := calloutRE.FindSubmatch(bytes.TrimRight(first.Value(src), "\r\n"))
		if m == nil {
			continue
		}
		at := model.Pos{File: st.ch.Path, Line: st.lines.line(first.Start)}
		kind := strings.ToLower(string(m[1]))
		known := false
		for _, k := range CalloutKinds {
			known = known || k == kind
		}
		if !known {
			hint := ""
			for _, k := range CalloutKinds {
				if closeEnough(kind, k) {
					hint = fmt.Sprintf("; did you mean [!%s]?", strings.ToUpper(k))
				}
			}
			st.errs.Add(at, "unknown callout [!%s] (known: NOTE, TIP, IMPORTANT, WARNING, CAUTION)%s", m[1], hint)
			continue
		}
		if len(m[2]) > 0 {
			st.errs.Add(at, "a callout's [!%s] stands alone on its line: start its text on the next line, after \"> \"", m[1])
			continue
		}
		cutInline(para, src, first.Start, first.Stop)
		para.SetLines(segments(para.Lines().Sliced(1, para.Lines().Len())))
		if para.ChildCount() == 0 {
			q.RemoveChild(q, para)
		}
		c := &Callout{Variant: kind}
		c.SetLines(q.Lines())
		for n := q.FirstChild(); n != nil; {
			next := n.NextSibling()
			c.AppendChild(c, n)
			n = next
		}
		q.Parent().ReplaceChild(q.Parent(), q, c)
	}
}

// captions turns each caption paragraph ("Figure: ... {#fig-x}" after an
// image, a chart or a timeline, "Table: ... {#tbl-x}" after a table) and
// the element before it into a Figure, numbered in the chapter, and
// records its label in the chapter. It runs after exprs, so that charts
// are ChartBlocks.
func (st *chapterState) captions(doc ast.Node, src []byte) {
	var paras []*ast.Paragraph
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := n.(*east.Table); ok && entering {
			st.captionRow(t, src)
			return ast.WalkSkipChildren, nil
		}
		if p, ok := n.(*ast.Paragraph); ok && entering {
			if p.Lines().Len() > 0 {
				if first := p.Lines().At(0); captionRE.Match(first.Value(src)) {
					paras = append(paras, p)
				} else if _, img := p.FirstChild().(*ast.Image); img && captionAfter(p, src) {
					st.errs.Add(model.Pos{File: st.ch.Path, Line: st.lines.line(first.Start)},
						"leave a blank line between an image and its Figure: caption: without one, Markdown reads them as one paragraph")
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	counts := map[model.LabelKind]int{}
	seen := map[string]model.Pos{}
	for _, para := range paras {
		lines := para.Lines()
		first, last := lines.At(0), lines.At(lines.Len()-1)
		at := model.Pos{File: st.ch.Path, Line: st.lines.line(first.Start)}
		m := captionRE.FindSubmatchIndex(first.Value(src))
		word := string(first.Value(src)[m[2]:m[3]])
		kind := model.Figure
		if word == "Table" {
			kind = model.Table
		}
		l := &model.Label{Kind: kind, Chapter: st.ch, Pos: at}
		// The label, if any, ends the last line.
		lastText := bytes.TrimRight(last.Value(src), "\r\n")
		if lm := captionLabelRE.FindSubmatchIndex(lastText); lm != nil {
			id := string(lastText[lm[2]:lm[3]])
			prefix := map[model.LabelKind]string{model.Figure: "fig-", model.Table: "tbl-"}[kind]
			lat := model.Pos{File: st.ch.Path, Line: st.lines.line(last.Start), Col: st.lines.col(last.Start + lm[0])}
			switch {
			case !labelIDRE.MatchString(id) || !strings.HasPrefix(id, prefix):
				st.errs.Add(lat, "label {#%s} of a %s: write {#%sNAME}, NAME of letters, digits, '-' and '_'", id, strings.ToLower(word), prefix)
				continue
			case seen[id].Line > 0:
				st.errs.Add(lat, "label {#%s} is already used at line %d", id, seen[id].Line)
				continue
			}
			seen[id] = lat
			l.ID = id
			cutInline(para, src, last.Start+lm[0], last.Stop)
		}
		cutInline(para, src, first.Start, first.Start+m[1])
		prev := para.PreviousSibling()
		// elem is the block the figure replaces; content what it holds:
		// the image itself, rather than a paragraph around it.
		var elem, content ast.Node
		switch kind {
		case model.Figure:
			switch p := prev.(type) {
			case *ChartBlock:
				elem, content = p, p
			case *ast.Paragraph:
				if img := onlyImage(p, src); img != nil {
					elem, content = p, img
				}
			}
			if elem == nil {
				st.errs.Add(at, "a Figure: caption follows the image, chart or timeline it captions, after a blank line%s", follows(prev))
				continue
			}
		case model.Table:
			if t, ok := prev.(*east.Table); ok {
				elem, content = t, t
			} else {
				st.errs.Add(at, "a Table: caption follows the table it captions, after a blank line%s", follows(prev))
				continue
			}
		}
		counts[kind]++
		l.Index = counts[kind]
		capt := &Caption{Label: l}
		for n := para.FirstChild(); n != nil; {
			next := n.NextSibling()
			capt.AppendChild(capt, n)
			n = next
		}
		l.Caption = PlainText(capt, src)
		fig := &Figure{Label: l}
		fig.SetLines(para.Lines())
		parent := para.Parent()
		parent.ReplaceChild(parent, elem, fig)
		parent.RemoveChild(parent, para)
		if content != elem {
			content.Parent().RemoveChild(content.Parent(), content)
		}
		if kind == model.Table {
			fig.AppendChild(fig, capt)
			fig.AppendChild(fig, content)
		} else {
			fig.AppendChild(fig, content)
			fig.AppendChild(fig, capt)
		}
		st.ch.Labels = append(st.ch.Labels, l)
	}
}

// follows says what a misplaced caption follows.
func follows(prev ast.Node) string {
	switch prev.(type) {
	case nil:
		return " (it follows nothing)"
	case *ast.Paragraph:
		return " (it follows a paragraph)"
	case *east.Table:
		return " (it follows a table: write Table:)"
	case *ChartBlock:
		return " (it follows a chart: write Figure:)"
	}
	return ""
}

// onlyImage returns the image that is the only content of paragraph p, or
// nil.
func onlyImage(p *ast.Paragraph, src []byte) *ast.Image {
	var img *ast.Image
	for c := p.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Image:
			if img != nil {
				return nil
			}
			img = c
		case *ast.Text:
			if len(bytes.TrimSpace(c.Segment.Value(src))) > 0 {
				return nil
			}
		default:
			return nil
		}
	}
	return img
}

// cutInline removes the text between source offsets lo and hi from the
// inline children of n: Text nodes inside are removed, those across an
// end are trimmed.
func cutInline(n ast.Node, src []byte, lo, hi int) {
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		if t, ok := c.(*ast.Text); ok {
			s := t.Segment
			switch {
			case s.Start >= lo && s.Stop <= hi:
				n.RemoveChild(n, c)
			case s.Start < lo && s.Stop > lo:
				t.Segment = s.WithStop(lo)
				t.SetSoftLineBreak(false)
			case s.Start < hi && s.Stop > hi:
				t.Segment = s.WithStart(hi)
			}
		}
		c = next
	}
	// The space before a cut label.
	if t, ok := n.LastChild().(*ast.Text); ok && t.Segment.Stop == lo {
		t.Segment = t.Segment.TrimRightSpace(src)
	}
}

// segments returns segs as a text.Segments.
func segments(segs []text.Segment) *text.Segments {
	s := text.NewSegments()
	s.AppendAll(segs)
	return s
}

// captionAfter reports whether a line of paragraph p after its first
// starts a caption: a chart followed by its caption without a blank line
// between them, which Markdown reads as one paragraph.
func captionAfter(p *ast.Paragraph, src []byte) bool {
	lines := p.Lines()
	for i := 1; i < lines.Len(); i++ {
		if seg := lines.At(i); captionRE.Match(seg.Value(src)) {
			return true
		}
	}
	return false
}

// captionRow reports a caption written right under a table, without the
// blank line between them: Markdown reads it as the table's last row.
func (st *chapterState) captionRow(t *east.Table, src []byte) {
	row := t.LastChild()
	if row == nil || row == t.FirstChild() { // the header only
		return
	}
	cell := row.FirstChild()
	if cell == nil {
		return
	}
	first, ok := cell.FirstChild().(*ast.Text)
	if !ok {
		return
	}
	// The row's line, from the start of its first text.
	start := first.Segment.Start
	for start > 0 && src[start-1] != '\n' {
		start--
	}
	end := bytes.IndexByte(src[start:], '\n')
	if end < 0 {
		end = len(src) - start
	}
	if captionRE.Match(src[start : start+end]) {
		st.errs.Add(model.Pos{File: st.ch.Path, Line: st.lines.line(first.Segment.Start)},
			"leave a blank line between a table and its Table: caption: without one, Markdown reads the caption as a row of the table")
	}
}
