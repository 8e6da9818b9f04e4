package site

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/litbook/litbook/claims"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/naming"
	"github.com/litbook/litbook/store"
	"github.com/litbook/litbook/values"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"
)

// exprs evaluates what the prose of the book says it measured. A value
// that cannot be evaluated (its run has no result yet) is drawn as its
// expression, marked as not measured; the build reports such errors before
// it writes a site.
type exprs struct {
	book    *loader.Parsed
	records []*model.Record
	tmpl    *template.Template // defines "value" and "chart"
	charts  int                // charts drawn on the current page, for unique ids
	values  int                // values drawn on the current page, for unique ids
	// id returns the id on the page being drawn of the element whose id
	// is given: prefixed with the chapter on the print page.
	id func(string) string
	// store and machine are every machine's results and the machine
	// that builds the site, for machines(...).
	store   *store.Index
	machine model.Machine
}

// valueView is what the "value" template draws.
type valueView struct {
	Text       string       // as the prose shows it: "1,168,000"
	ID         string       // of the note that holds the details
	Href       template.URL // the run it came from: "#run-x", "#01-a:run-x"
	Title      string       // tooltip: what it is and its spread
	Summary    string       // the expression and its spread: "=r.x: median of 5 trials, 3–7"
	Provenance string       // where it was measured
	Claim      bool
	Checked    string // what the claim's mark says
	Unknown    bool   // not measured: Text is the expression
	Expr       string
	Measured   string
}

func (x *exprs) outcome(e *loader.Expr) (*values.Outcome, *model.Error) {
	if x.records == nil {
		return nil, &model.Error{Pos: e.Pos, Msg: "not measured"}
	}
	return claims.Evaluate(x.book, e, x.records)
}

// runHref links to the transcript of run name in the chapter of e. It is
// a template.URL: html/template would read the "#01-a" of a print id
// "#01-a:run-x" as a URL scheme and replace the link with #ZgotmplZ.
func (x *exprs) runHref(e *loader.Expr, name string) template.URL {
	return template.URL(naming.Fragment(x.id(naming.RunIDOf(name))))
}

func (x *exprs) valueSpan(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	e := node.(*loader.ValueSpan).Expr
	v := valueView{Expr: e.Expr.Src}
	out, err := x.outcome(e)
	if err != nil {
		v.Unknown, v.Text = true, e.Expr.Src
		v.Title = "not measured: " + err.Msg
		return ast.WalkSkipChildren, x.tmpl.ExecuteTemplate(w, "value", v)
	}
	// A value may be text a program printed: shown like its transcript.
	v.Text = cleanText([]byte(out.Value.String()))
	if insideLink(node) {
		// No button inside a link: the value reads as text, its details
		// in its tooltip.
		v.Title = e.Expr.Src + ": " + cleanText([]byte(out.Value.Summary()))
		return ast.WalkSkipChildren, x.tmpl.ExecuteTemplate(w, "value", v)
	}
	x.values++
	v.ID = x.id(fmt.Sprintf("value-%d", x.values))
	v.Summary = e.Expr.Src + ": " + cleanText([]byte(out.Value.Summary()))
	v.Title = v.Summary
	if len(out.Runs) > 0 {
		v.Href = x.runHref(e, out.Runs[0])
		v.Provenance = x.provenance(e, out.Runs)
		v.Title += " — " + v.Provenance
	}
	if out.Claim {
		v.Claim = true
		v.Checked = "Checked by the build: " + e.Expr.Src + " — " + cleanText([]byte(out.Detail))
	}
	return ast.WalkSkipChildren, x.tmpl.ExecuteTemplate(w, "value", v)
}

// provenance says where the runs of a value were measured: "measured on
// Linux 6.18.44 (amd64), 2 CPUs, 2026-11-23, 20 trials"; when its runs
// come from different machines (build -frozen), each run's machine.
func (x *exprs) provenance(e *loader.Expr, runs []string) string {
	var parts []string
	seen := map[string]bool{}
	for _, name := range runs {
		for _, i := range x.book.RunsNamed(e.Chapter, name) {
			if x.records[i] == nil {
				continue
			}
			rec := x.records[i]
			p := "measured on " + strings.Join(measuredParts(rec.Machine, rec.FS), ", ")
			if len(rec.Trials) > 0 {
				p += ", " + rec.Trials[0].Start.UTC().Format("2006-01-02")
			}
			if n := len(rec.Trials); n > 1 {
				p += fmt.Sprintf(", %d trials", n)
			}
			if !seen[p] {
				seen[p] = true
				parts = append(parts, p)
			}
		}
	}
	if len(parts) > 1 {
		// Name the runs only when they differ.
		parts = parts[:0]
		for _, name := range runs {
			for _, i := range x.book.RunsNamed(e.Chapter, name) {
				if r := x.book.Runs[i]; x.records[i] != nil {
					// "run NAME": a caption capitalises what it starts with.
					parts = append(parts, "run "+r.Name+" "+x.provenance(e, []string{r.Name}))
				}
			}
		}
		return strings.Join(parts, "; ")
	}
	return strings.Join(parts, "")
}

// chartView is what the "chart" template draws.
type chartView struct {
	SVG     template.HTML
	Unknown bool
	Expr    string
	Reason  string
}

// insideLink reports whether n is part of a link's text.
func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == ast.KindLink {
			return true
		}
	}
	return false
}

// text returns what the value e shows on its page, or "" if it has not
// been measured: the search index holds it as the page does.
func (x *exprs) text(e *loader.Expr) string {
	out, err := x.outcome(e)
	if err != nil {
		return ""
	}
	return cleanText([]byte(out.Value.String()))
}

func (x *exprs) chartBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	e := node.(*loader.ChartBlock).Expr
	out, err := x.outcome(e)
	if err == nil && out.Items != nil {
		table, err := x.across(e)
		if err != nil || table != "" {
			if err == nil {
				_, err = w.WriteString(string(table))
			}
			return ast.WalkSkipChildren, err
		}
	}
	if err != nil || out.Chart == nil && out.Timeline == nil {
		v := chartView{Unknown: true, Expr: e.Expr.Src, Reason: "not measured"}
		if err != nil {
			v.Reason = err.Msg
		}
		return ast.WalkSkipChildren, x.tmpl.ExecuteTemplate(w, "chart", v)
	}
	x.charts++
	id := x.id(fmt.Sprintf("chart-%d", x.charts))
	caption := ""
	switch {
	case out.Timeline != nil:
		caption = timelineCaption(out.Timeline)
	case out.Chart.Sweep:
		caption = sweepCaption(out.Chart)
	default:
		caption = chartCaption(out.Chart)
	}
	if p := x.provenance(e, out.Runs); p != "" {
		caption += " " + strings.ToUpper(p[:1]) + p[1:] + "."
	}
	var svg template.HTML
	switch {
	case out.Timeline != nil:
		svg = timelineSVG(out.Timeline, id, caption)
	case out.Chart.Sweep:
		svg = sweepSVG(out.Chart, id, out.Chart.Title, caption)
	default:
		svg = chartSVG(out.Chart, id, caption)
	}
	return ast.WalkSkipChildren, x.tmpl.ExecuteTemplate(w, "chart", chartView{SVG: svg, Expr: e.Expr.Src})
}

// timelineCaption describes a timeline in words, naming the trial it
// draws when the run has several.
func timelineCaption(tl *values.Timeline) string {
	if tl.Trials > 1 {
		return fmt.Sprintf("The events that the commands of run %s printed in trial 1 of %d, the transcript shown, in time from the first; the table lists them in order.", tl.Run, tl.Trials)
	}
	return fmt.Sprintf("The events that the commands of run %s printed, in time from the first; the table lists them in order.", tl.Run)
}

// chartCaption describes a chart in words: "Each dot is one trial; the
// bar marks the median."
func chartCaption(c *values.Chart) string {
	n := 0
	for _, s := range c.Series {
		n = max(n, len(s.Values))
	}
	return fmt.Sprintf("Each dot is one of %d trials; the bar marks the median.", n)
}
