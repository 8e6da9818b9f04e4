package site

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"github.com/litbook/litbook/values"
)

// axisUnit returns the unit that the ticks of a value axis of kind,
// reaching hi, are written in: what to divide a value by, and the unit's
// name for the axis title ("" for plain numbers). Durations are in
// seconds, as in a values.Chart.
func axisUnit(kind values.ValueKind, hi float64) (div float64, unit string) {
	hi = math.Abs(hi)
	switch kind {
	case values.Duration:
		switch {
		case hi < 1e-6:
			return 1e-9, "ns"
		case hi < 1e-3:
			return 1e-6, "µs"
		case hi < 1:
			return 1e-3, "ms"
		case hi < 120:
			return 1, "s"
		case hi < 7200:
			return 60, "min"
		}
		return 3600, "h"
	case values.Bytes:
		switch {
		case hi < 1<<10:
			return 1, "bytes"
		case hi < 1<<20:
			return 1 << 10, "KiB"
		case hi < 1<<30:
			return 1 << 20, "MiB"
		}
		return 1 << 30, "GiB"
	case values.Percent:
		return 1, "%"
	}
	return 1, ""
}

// axisTitle is the title of a value axis: what it measures and, if the
// values have one, the unit its ticks are in: "time (ms)", "size (KiB)",
// "lost".
func axisTitle(name, unit string) string {
	if unit == "" {
		return name
	}
	return name + " (" + unit + ")"
}

// tickText writes a tick's value v in the axis unit div.
func tickText(v, div float64) string {
	return values.Format(values.Number, v/div)
}

// The geometry of a sweep, in viewBox units: narrower than a strip chart,
// with larger type, so that it stays legible at phone width without
// scrolling.
const (
	sweepWidth  = 400
	sweepHeight = 290
	sweepLeft   = 66 // y tick labels and the y axis title
	sweepRight  = 16
	sweepTop    = 14
	sweepBottom = 56 // x tick labels and the x axis title
	sweepFont   = 15
)

// sweepGroup is the series of a sweep that share a label: one line.
type sweepGroup struct {
	label  string
	points []values.Series // in order of x
}

// name is how text names the group: its label, or for the series of
// unlabelled points what the values measure.
func (g sweepGroup) name(c *values.Chart) string {
	if g.label == "" {
		return c.Axis
	}
	return g.label
}

// sweepGroups groups the series of c by label, in order of first
// appearance, each group's series sorted by x.
func sweepGroups(c *values.Chart) []sweepGroup {
	var groups []sweepGroup
	for _, s := range c.Series {
		i := slices.IndexFunc(groups, func(g sweepGroup) bool { return g.label == s.Label })
		if i < 0 {
			groups = append(groups, sweepGroup{label: s.Label})
			i = len(groups) - 1
		}
		groups[i].points = append(groups[i].points, s)
	}
	for _, g := range groups {
		slices.SortStableFunc(g.points, func(a, b values.Series) int { return cmp.Compare(a.X, b.X) })
	}
	return groups
}

// sweepMarker draws the marker of group k at (x, y): a circle, a square,
// a triangle or a diamond, so that groups differ in print and to readers
// who do not tell the colours apart.
func sweepMarker(k int, x, y, r float64) string {
	switch k % 4 {
	case 1:
		return fmt.Sprintf(`<rect x="%s" y="%s" width="%s" height="%s"`, num(x-r), num(y-r), num(2*r), num(2*r))
	case 2:
		return fmt.Sprintf(`<polygon points="%s,%s %s,%s %s,%s"`, num(x), num(y-r*1.2), num(x+r*1.1), num(y+r*0.8), num(x-r*1.1), num(y+r*0.8))
	case 3:
		return fmt.Sprintf(`<polygon points="%s,%s %s,%s %s,%s %s,%s"`, num(x), num(y-r*1.3), num(x+r*1.3), num(y), num(x), num(y+r*1.3), num(x-r*1.3), num(y))
	}
	return fmt.Sprintf(`<circle cx="%s" cy="%s" r="%s"`, num(x), num(y), num(r))
}

// sweepDash is the dash pattern of group k's median line.
func sweepDash(k int) string {
	return []string{"", ` stroke-dasharray="7 4"`, ` stroke-dasharray="2 3"`, ` stroke-dasharray="9 3 2 3"`}[k%4]
}

// sweepSVG draws a sweep as a figure: an x–y plot of a value against a
// parameter, one point per trial at each series' x, and for each group of
// series that share a label a line through their medians, each group with
// its own marker, dash and colour, named in a legend. A table of the same
// data follows, for readers without SVG. title is the figure's author
// title; caption, if not empty, its caption. Every piece of text is
// escaped.
func sweepSVG(c *values.Chart, id, title, caption string) template.HTML {
	groups := sweepGroups(c)
	var ys, xs []float64
	for _, s := range c.Series {
		ys = append(ys, finite(s.Values)...)
		xs = append(xs, s.X)
	}
	yax, xax := newAxis(c.Kind, ys), newAxis(values.Number, xs)
	div, unit := axisUnit(c.Kind, yax.hi)
	yTitle := axisTitle(c.Axis, unit)
	legendH := 0.0
	if len(groups) > 1 {
		legendH = 28
	}
	top := sweepTop + legendH
	x0, x1 := float64(sweepLeft), float64(sweepWidth-sweepRight)
	y0, y1 := float64(sweepHeight-sweepBottom), top // y0 is the bottom
	xOf := func(v float64) float64 { return x0 + (v-xax.lo)/(xax.hi-xax.lo)*(x1-x0) }
	yOf := func(v float64) float64 { return y0 - (v-yax.lo)/(yax.hi-yax.lo)*(y0-y1) }
	// Points of one x spread sideways by a fixed sequence, so that equal
	// values stay visible and every build draws the same plot.
	spread := math.Min(8, (x1-x0)/float64(max(len(xax.ticks), 2))/4)

	var desc []string
	for _, g := range groups {
		var parts []string
		for _, s := range g.points {
			if vs := finite(s.Values); len(vs) > 0 {
				parts = append(parts, fmt.Sprintf("%s %s: median %s", c.XAxis, values.Format(values.Number, s.X), values.Format(c.Kind, values.Median(vs))))
			}
		}
		desc = append(desc, g.name(c)+": "+strings.Join(parts, ", "))
	}
	svgTitle := title
	if svgTitle == "" {
		svgTitle = fmt.Sprintf("%s against %s", c.Axis, c.XAxis)
	}

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	eid := esc(id)
	p(`<figure class="chart sweep" id="%s">`+"\n", eid)
	if title != "" {
		p(`<p class="chart-title">%s</p>`+"\n", esc(title))
	}
	p(`<svg class="chart-svg sweep-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title %s-desc" font-size="%d">`+"\n",
		sweepWidth, sweepHeight, sweepWidth, sweepHeight, eid, eid, sweepFont)
	p(`<title id="%s-title">%s</title>`+"\n", eid, esc(svgTitle))
	p(`<desc id="%s-desc">%s</desc>`+"\n", eid, esc(strings.Join(desc, "; ")))

	// Grid, axes, ticks and axis titles.
	p(`<g class="chart-grid" stroke="currentColor" stroke-opacity="0.15">`)
	for _, t := range yax.ticks {
		p(`<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(x0), num(yOf(t)), num(x1), num(yOf(t)))
	}
	for _, t := range xax.ticks {
		p(`<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(xOf(t)), num(y1), num(xOf(t)), num(y0))
	}
	p("</g>\n")
	p(`<path class="chart-axis" d="M%s %sV%sH%s" fill="none" stroke="currentColor" stroke-opacity="0.4"/>`+"\n", num(x0), num(y1), num(y0), num(x1))
	p(`<g class="chart-ticks" fill="currentColor">`)
	for _, t := range yax.ticks {
		p(`<text x="%s" y="%s" dy="0.35em" text-anchor="end">%s</text>`, num(x0-6), num(yOf(t)), esc(tickText(t, div)))
	}
	for _, t := range xax.ticks {
		p(`<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(xOf(t)), num(y0+20), esc(tickText(t, 1)))
	}
	p("</g>\n")
	p(`<text class="chart-axis-title" x="%s" y="%s" text-anchor="middle" fill="currentColor">%s</text>`+"\n", num((x0+x1)/2), num(y0+46), esc(c.XAxis))
	p(`<text class="chart-axis-title" transform="translate(%d %s) rotate(-90)" text-anchor="middle" fill="currentColor">%s</text>`+"\n", 16, num((y0+y1)/2), esc(yTitle))

	// Legend.
	if len(groups) > 1 {
		lx := x0
		for k, g := range groups {
			p(`<g class="sweep-series sweep-s%d">`, k%4)
			p(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="currentColor" stroke-width="2"%s/>`, num(lx), num(sweepTop+8), num(lx+24), num(sweepTop+8), sweepDash(k))
			p(`%s fill="currentColor"/>`, sweepMarker(k, lx+12, sweepTop+8, 4))
			label := shorten(g.name(c))
			p(`<text class="chart-label" x="%s" y="%s" dy="0.35em" fill="currentColor">%s</text></g>`, num(lx+30), num(sweepTop+8), esc(label))
			lx += 30 + float64(len([]rune(label)))*sweepFont*0.55 + 18
		}
		p("\n")
	}

	for k, g := range groups {
		sweepGroupSVG(p, c, g, k, xOf, yOf, spread)
	}
	p("</svg>\n")
	if caption != "" {
		p("<figcaption>%s</figcaption>\n", esc(caption))
	}

	sweepTable(p, c, groups)
	p("</figure>\n")
	return template.HTML(b.String())
}

// sweepGroupSVG draws group g, the k-th: the line through its medians
// under its trials' points.
func sweepGroupSVG(p func(string, ...any), c *values.Chart, g sweepGroup, k int, xOf, yOf func(float64) float64, spread float64) {
	p(`<g class="sweep-series sweep-s%d">`, k%4)
	var line []string
	for _, s := range g.points {
		if vs := finite(s.Values); len(vs) > 0 {
			line = append(line, num(xOf(s.X))+","+num(yOf(values.Median(vs))))
		}
	}
	if len(line) > 1 {
		p(`<polyline class="sweep-median" points="%s" fill="none" stroke="currentColor" stroke-width="2"%s><title>%s: medians</title></polyline>`, strings.Join(line, " "), sweepDash(k), esc(g.name(c)))
	} else if len(line) == 1 {
		xy := strings.Split(line[0], ",")
		p(`<path class="sweep-median" d="M%s %sh-10h20" stroke="currentColor" stroke-width="2"/>`, xy[0], xy[1])
	}
	for _, s := range g.points {
		for j, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			x := xOf(s.X)
			if len(s.Values) > 1 {
				x += jitter(j) / chartJitter * spread
			}
			p(`%s class="chart-dot" fill="currentColor" fill-opacity="0.5"><title>%s, %s %s: %s</title>%s`,
				sweepMarker(k, x, yOf(v), 3.5), esc(g.name(c)), esc(c.XAxis), esc(values.Format(values.Number, s.X)), esc(trialText(s, j, c.Kind)), closeMarker(k))
		}
	}
	p("</g>\n")
}

// sweepTable writes the sweep's data as a table, for readers without SVG
// and for print.
func sweepTable(p func(string, ...any), c *values.Chart, groups []sweepGroup) {
	p(`<details class="chart-data"><summary>Trials</summary>` + "\n<table>\n")
	p(`<thead><tr><th scope="col">Series</th><th scope="col">%s</th><th scope="col">Median</th><th scope="col">Trials</th></tr></thead>`+"\n<tbody>\n", esc(c.XAxis))
	for _, g := range groups {
		for _, s := range g.points {
			var trials []string
			for _, v := range s.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					trials = append(trials, "no value")
					continue
				}
				trials = append(trials, values.Format(c.Kind, v))
			}
			med := ""
			if vs := finite(s.Values); len(vs) > 0 {
				med = values.Format(c.Kind, values.Median(vs))
			}
			p(`<tr><th scope="row">%s</th><td>%s</td><td>%s</td><td>%s</td></tr>`+"\n",
				esc(g.name(c)), esc(values.Format(values.Number, s.X)), esc(med), esc(strings.Join(trials, ", ")))
		}
	}
	p("</tbody>\n</table>\n</details>\n")
}

// closeMarker closes the element sweepMarker opened, after its title.
func closeMarker(k int) string {
	switch k % 4 {
	case 1:
		return "</rect>"
	case 2, 3:
		return "</polygon>"
	}
	return "</circle>"
}

// sweepCaption describes a sweep in words.
func sweepCaption(c *values.Chart) string {
	if len(sweepGroups(c)) > 1 {
		return fmt.Sprintf("Each mark is one trial, at its %s; each line joins the medians of one series.", c.XAxis)
	}
	return fmt.Sprintf("Each mark is one trial, at its %s; the line joins the medians.", c.XAxis)
}
