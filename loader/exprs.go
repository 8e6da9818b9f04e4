package loader

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/values"
	"github.com/yuin/goldmark/ast"
)

// KindValueSpan and KindChartBlock are the kinds of the nodes that replace
// the code spans written as `=expression`.
var (
	KindValueSpan  = ast.NewNodeKind("LitbookValueSpan")
	KindChartBlock = ast.NewNodeKind("LitbookChartBlock")
)

// Expr is a value, claim or chart written in a chapter's prose as an inline
// code span that starts with "=": `=seek.lost`, `=append.lost == 0`,
// `=chart(seek.lost, append.lost)`.
type Expr struct {
	Chapter *model.Chapter
	Pos     model.Pos // of the expression's first character
	Expr    *values.Expr
	// spans maps offsets of Expr.Src to source offsets: the code span's
	// text may be spread over several lines.
	spans []span
	lines lineIndex
}

type span struct{ off, src int }

// PosAt returns the chapter position of offset off in the expression.
func (x *Expr) PosAt(off int) model.Pos {
	src := x.spans[0].src
	for _, s := range x.spans {
		if off >= s.off {
			src = s.src + off - s.off
		}
	}
	return model.Pos{File: x.Chapter.Path, Line: x.lines.line(src), Col: x.lines.col(src)}
}

// ValueSpan is a value or claim in a paragraph; the site draws its value.
type ValueSpan struct {
	ast.BaseInline
	Expr *Expr
}

// Kind implements ast.Node.
func (n *ValueSpan) Kind() ast.NodeKind { return KindValueSpan }

// Dump implements ast.Node.
func (n *ValueSpan) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Expr": n.Expr.Expr.Src}, nil)
}

// ChartBlock is a paragraph that holds only a chart(...); the site draws the
// chart as a figure in its place.
type ChartBlock struct {
	ast.BaseBlock
	Expr *Expr
}

// Kind implements ast.Node.
func (n *ChartBlock) Kind() ast.NodeKind { return KindChartBlock }

// Dump implements ast.Node.
func (n *ChartBlock) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Expr": n.Expr.Expr.Src}, nil)
}

// isExprSpan reports whether the text of a code span is an expression: "="
// followed by something that can start one. `=`, `==` and `=>` stay code.
func isExprSpan(text string) bool {
	rest, ok := strings.CutPrefix(text, "=")
	if !ok {
		return false
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return false
	}
	c := rest[0]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '(' || c == '"' || c == '-' || c == '_'
}

// exprs replaces the expression code spans of doc with ValueSpan and
// ChartBlock nodes and returns them in source order; syntax errors go to
// st.errs. Run names are checked later, once every run has its name.
func (st *chapterState) exprs(doc ast.Node, src []byte) []*Expr {
	var spans []*ast.CodeSpan
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if cs, ok := n.(*ast.CodeSpan); ok && entering {
			spans = append(spans, cs)
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	var found []*Expr
	for _, cs := range spans {
		var text strings.Builder
		var parts []span
		for c := cs.FirstChild(); c != nil; c = c.NextSibling() {
			t, ok := c.(*ast.Text)
			if !ok {
				continue
			}
			if text.Len() > 0 && len(parts) > 0 {
				text.WriteByte(' ') // a line break inside a code span is a space
			}
			parts = append(parts, span{off: text.Len(), src: t.Segment.Start})
			text.Write(bytes.TrimRight(t.Segment.Value(src), "\r\n"))
		}
		s := text.String()
		if len(parts) == 0 || !isExprSpan(s) {
			continue
		}
		// The expression starts after "=" and any spaces: shift every
		// part by that much.
		skip := len(s) - len(strings.TrimLeft(s[1:], " "))
		s = s[skip:]
		parts[0].src += skip
		for i := 1; i < len(parts); i++ {
			parts[i].off -= skip
		}
		x := &Expr{Chapter: st.ch, spans: parts, lines: st.lines}
		x.Pos = x.PosAt(0)
		e, err := values.Parse(s)
		if err != nil {
			var se *values.SyntaxError
			if errors.As(err, &se) {
				st.errs.Add(x.PosAt(se.Off), "%s", se.Msg)
			} else {
				st.errs.Add(x.Pos, "%v", err)
			}
			continue
		}
		x.Expr = e
		if e.IsChart() {
			para, ok := cs.Parent().(*ast.Paragraph)
			if !ok || para.ChildCount() != 1 {
				fn, _, _ := strings.Cut(e.Src, "(")
				fn = strings.TrimSpace(fn)
				if ok && captionAfter(para, src) {
					st.errs.Add(x.Pos, "a %s is a figure: leave a blank line between `=%s(...)` and its Figure: caption", fn, fn)
					continue
				}
				st.errs.Add(x.Pos, "a %s is a figure: write `=%s(...)` as a paragraph of its own", fn, fn)
				continue
			}
			node := &ChartBlock{Expr: x}
			node.SetLines(para.Lines())
			para.Parent().ReplaceChild(para.Parent(), para, node)
		} else {
			cs.Parent().ReplaceChild(cs.Parent(), cs, &ValueSpan{Expr: x})
		}
		found = append(found, x)
	}
	return found
}

// checkRefs reports references to runs the chapter does not have, and
// returns found without the expressions that use a run block already
// reported as broken: one typo in a run block is one error, not one more
// for each value that reads the run.
func (st *chapterState) checkRefs(found []*Expr) []*Expr {
	names := map[string]bool{}
	var list []string
	for _, r := range st.ch.Runs {
		if !names[r.Base] {
			// A block with fs= is also named as a whole: race is every
			// filesystem's race[FS].
			names[r.Base] = true
			list = append(list, r.Base)
		}
		if !names[r.Name] {
			names[r.Name] = true
			list = append(list, r.Name)
		}
	}
	sort.Strings(list)
	kept := found[:0]
	for _, x := range found {
		usesBroken := false
		for _, ref := range x.Expr.Refs() {
			block, _, _ := strings.Cut(ref.Run, "[") // race for race[xfs]
			if st.broken[block] && !names[ref.Run] {
				usesBroken = true
			}
		}
		if usesBroken {
			continue
		}
		kept = append(kept, x)
		for _, ref := range x.Expr.Refs() {
			if names[ref.Run] {
				continue
			}
			msg := fmt.Sprintf("no run named %q in this chapter", ref.Run)
			for _, name := range list {
				if closeEnough(ref.Run, name) {
					msg += fmt.Sprintf("; did you mean %s?", name)
					break
				}
			}
			if len(list) > 0 {
				msg += " (its runs: " + strings.Join(list, ", ") + ")"
			} else {
				msg += " (it has no runs)"
			}
			st.errs.Add(x.PosAt(ref.Off), "%s", msg)
		}
	}
	return kept
}

// RunsNamed returns the indices in b.Runs of the runs that name refers to
// in chapter ch: the run of that name, or every run of a block with fs=
// named as a whole.
func (b *Parsed) RunsNamed(ch *model.Chapter, name string) []int {
	var out []int
	for i, r := range b.Runs {
		switch {
		case r.Chapter != ch:
		case r.Name == name:
			return []int{i}
		case r.Base == name:
			out = append(out, i)
		}
	}
	return out
}
