package site

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/litbook/litbook/values"
)

// The geometry of a chart, in viewBox units. The SVG scales to the width
// of the column (chart.css), so these fix proportions, not pixels.
const (
	chartWidth    = 640
	chartRow      = 32  // height of one series
	chartTop      = 10  // space above the first row
	chartAxis     = 50  // space below the last row: the tick labels and the axis title
	chartRight    = 24  // space right of the plot, for the last tick label
	chartLabelMax = 28  // label characters drawn; longer ones are cut with …
	chartCharW    = 8.8 // average advance of a label character at 16 units, the size on phones (chart.css)
	chartDotR     = 4
	chartJitter   = 8 // dots spread ± this much around the row's middle
)

// chartSVG draws c as a strip plot in a figure: one row per series with
// its label on the left, one dot per trial on a shared linear axis, a mark
// at each series' median. Dots are spread vertically by a fixed sequence,
// so equal values stay visible and a build draws the same chart every
// time. Colours come from currentColor and the page's custom properties
// (with fallbacks), so the chart follows the light and dark themes; the
// figure also holds every trial's values as a table, for readers without
// CSS or SVG. id is the figure's id; caption, if not empty, its caption.
// Every piece of text is escaped.
func chartSVG(c *values.Chart, id string, caption string) template.HTML {
	var series []values.Series
	kind := values.Number
	heading, axisName := "", ""
	if c != nil {
		series, kind, heading, axisName = c.Series, c.Kind, c.Title, c.Axis
	}
	if axisName == "" {
		axisName = map[values.ValueKind]string{values.Duration: "time", values.Bytes: "size", values.Percent: "share"}[kind]
		if axisName == "" {
			axisName = "value"
		}
	}
	var all []float64
	labelW := 0
	for _, s := range series {
		all = append(all, finite(s.Values)...)
		labelW = max(labelW, utf8.RuneCountInString(shorten(s.Label)))
	}
	title := caption
	if heading != "" {
		title = heading + ". " + caption
	}
	if title == "" {
		var labels []string
		for _, s := range series {
			labels = append(labels, s.Label)
		}
		title = "Chart of " + joinAnd(labels)
	}
	var desc []string
	for _, s := range series {
		desc = append(desc, s.Label+": "+seriesSummary(kind, s.Values))
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	f := openFrame(p, frame{
		class: "chart", id: id, title: title, desc: strings.Join(desc, "; "), heading: heading, axis: axisName,
		kind: kind, values: all, labelW: labelW, rows: len(series), rowH: chartRow,
	})
	x0, x1, xOf := f.x0, f.x1, f.xOf

	// One row per series: the median's mark under the trials' dots.
	for i, s := range series {
		y := float64(chartTop + i*chartRow + chartRow/2)
		p(`<g class="chart-row">`)
		chartLabel(p, s.Label, x0-10, y)
		p(`<line class="chart-guide" x1="%s" y1="%s" x2="%s" y2="%s" stroke="currentColor" stroke-opacity="0.1"/>`,
			num(x0), num(y), num(x1), num(y))
		if vs := finite(s.Values); len(vs) > 0 {
			m := values.Median(vs)
			p(`<line class="chart-median" x1="%s" y1="%s" x2="%s" y2="%s" stroke="currentColor" stroke-width="2"><title>median %s</title></line>`,
				num(xOf(m)), num(y-chartRow*0.38), num(xOf(m)), num(y+chartRow*0.38), esc(values.Format(kind, m)))
		}
		for j, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			p(`<circle class="chart-dot" cx="%s" cy="%s" r="%d" fill="currentColor" fill-opacity="0.6"><title>%s</title></circle>`,
				num(xOf(v)), num(y+jitter(j)), chartDotR, esc(trialText(s, j, kind)))
		}
		p("</g>\n")
	}
	p("</svg>\n")
	if caption != "" {
		p("<figcaption>%s</figcaption>\n", esc(caption))
	}

	// The same data as a table.
	trials := 0
	for _, s := range series {
		trials = max(trials, len(s.Values))
	}
	p(`<details class="chart-data"><summary>Trials</summary>` + "\n<table>\n<thead><tr><th scope=\"col\">Trial</th>")
	for _, s := range series {
		p(`<th scope="col">%s</th>`, esc(s.Label))
	}
	p("</tr></thead>\n<tbody>\n")
	scalars := false
	for _, s := range series {
		scalars = scalars || scalar(s)
	}
	for j := range trials {
		p(`<tr><th scope="row">%d</th>`, j+1)
		for _, s := range series {
			if j < len(s.Values) && !scalar(s) {
				p("<td>%s</td>", esc(values.Format(kind, s.Values[j])))
			} else {
				p("<td></td>")
			}
		}
		p("</tr>\n")
	}
	p("</tbody>\n")
	if trials > 1 || scalars {
		p(`<tfoot><tr><th scope="row">Median</th>`)
		for _, s := range series {
			if vs := finite(s.Values); len(vs) > 0 {
				p("<td>%s</td>", esc(values.Format(kind, values.Median(vs))))
			} else {
				p("<td></td>")
			}
		}
		p("</tr></tfoot>\n")
	}
	p("</table>\n</details>\n</figure>\n")
	return template.HTML(b.String())
}

// frame is what a chart and a timeline share: a figure holding an SVG
// with a title and a description, rows of equal height, and an x axis
// with its grid and tick labels below the last row.
type frame struct {
	class, id, title, desc string
	heading                string           // the author's title, shown above the plot
	axis                   string           // what the axis measures: its title, less the unit
	kind                   values.ValueKind // of the axis
	values                 []float64        // the axis spans these
	labelW                 int              // characters of the widest row label
	rows                   int
	rowH                   float64

	// Set by openFrame: the plot's left and right ends, and where a value
	// lies between them.
	x0, x1 float64
	xOf    func(float64) float64
}

// openFrame writes the start of f's figure through p, up to and including
// the axis, and returns f with its geometry set.
func openFrame(p func(string, ...any), f frame) frame {
	ax := newAxis(f.kind, f.values)
	f.x0 = math.Round(min(max(float64(f.labelW)*chartCharW+20, 64), 260))
	f.x1 = float64(chartWidth - chartRight)
	f.xOf = func(v float64) float64 { return f.x0 + (v-ax.lo)/(ax.hi-ax.lo)*(f.x1-f.x0) }
	bottom := chartTop + float64(f.rows)*f.rowH
	height := bottom + chartAxis
	id := esc(f.id)
	p(`<figure class="%s" id="%s">`+"\n", esc(f.class), id)
	if f.heading != "" {
		p(`<p class="chart-title">%s</p>`+"\n", esc(f.heading))
	}
	p(`<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %s" width="%d" height="%s" role="img" aria-labelledby="%s-title %s-desc">`+"\n",
		chartWidth, num(height), chartWidth, num(height), id, id)
	p(`<title id="%s-title">%s</title>`+"\n", id, esc(f.title))
	p(`<desc id="%s-desc">%s</desc>`+"\n", id, esc(f.desc))
	p(`<g class="chart-grid" stroke="currentColor" stroke-opacity="0.15">`)
	for _, t := range ax.ticks {
		p(`<line x1="%s" y1="%d" x2="%s" y2="%s"/>`, num(f.xOf(t)), chartTop, num(f.xOf(t)), num(bottom))
	}
	p("</g>\n")
	p(`<line class="chart-axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="currentColor" stroke-opacity="0.4"/>`+"\n",
		num(f.x0), num(bottom), num(f.x1), num(bottom))
	// Ticks are plain numbers in one unit, which the axis title names.
	div, unit := axisUnit(f.kind, max(math.Abs(ax.lo), math.Abs(ax.hi)))
	p(`<g class="chart-ticks" fill="currentColor" font-size="11" text-anchor="middle">`)
	for _, t := range ax.ticks {
		p(`<text x="%s" y="%s">%s</text>`, num(f.xOf(t)), num(bottom+18), esc(tickText(t, div)))
	}
	p("</g>\n")
	p(`<text class="chart-axis-title" x="%s" y="%s" fill="currentColor" font-size="12" text-anchor="middle">%s</text>`+"\n",
		num((f.x0+f.x1)/2), num(bottom+40), esc(axisTitle(f.axis, unit)))
	return f
}

// chartLabel draws a row's label, right-aligned at x: cut short if it
// would crowd the plot, with the whole label as its tooltip.
func chartLabel(p func(string, ...any), label string, x, y float64) {
	short := shorten(label)
	title := ""
	if short != label {
		title = "<title>" + esc(label) + "</title>"
	}
	p(`<text class="chart-label" x="%s" y="%s" dy="0.35em" fill="currentColor" font-size="12" text-anchor="end">%s%s</text>`,
		num(x), num(y), title, esc(short))
}

// axis is the x axis of a chart: its domain and its ticks.
type axis struct {
	lo, hi float64
	ticks  []float64
}

// newAxis chooses an axis for vs: from 0 when no value is negative (else
// from the smallest), to the largest, widened to 3–6 round ticks: steps of
// 1, 2 or 5 times a power of ten, of whole minutes and hours for durations
// of minutes, and of powers of two for byte counts from 1 KiB on.
func newAxis(kind values.ValueKind, vs []float64) axis {
	finite := slices.DeleteFunc(slices.Clone(vs), func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
	lo, hi := 0.0, 1.0
	if len(finite) > 0 {
		lo, hi = slices.Min(finite), slices.Max(finite)
	}
	lo = min(lo, 0)
	if hi <= lo { // all values equal (and negative) or all zero
		hi = lo + max(math.Abs(lo), 1)
	}
	span := hi - lo
	if math.IsInf(span, 0) || span < math.Max(math.Abs(lo), math.Abs(hi))*1e-12 {
		// Beyond what round ticks can express (a program printed 1e308,
		// or values far from zero that differ in their last digits): the
		// two ends only.
		return axis{lo: lo, hi: hi, ticks: []float64{lo, hi}}
	}
	var steps []float64
	k := math.Floor(math.Log10(span))
	for e := k - 2; e <= k+1; e++ {
		for _, m := range []float64{1, 2, 5} {
			steps = append(steps, m*math.Pow(10, e))
		}
	}
	switch {
	case kind == values.Duration && span >= 120:
		// Whole minutes and hours rather than 100 s or 500 s.
		steps = slices.DeleteFunc(steps, func(s float64) bool { return s >= 60 })
		steps = append(steps, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 3*3600, 6*3600, 12*3600, 86400)
	case kind == values.Bytes && hi >= 1024:
		steps = steps[:0]
		for e := math.Floor(math.Log2(span)) - 3; e <= math.Floor(math.Log2(span))+1; e++ {
			steps = append(steps, math.Pow(2, e))
		}
	}
	slices.Sort(steps)
	count := func(step float64) int {
		return int(math.Ceil(hi/step-1e-9)-math.Floor(lo/step+1e-9)) + 1
	}
	extent := func(step float64) float64 {
		return (math.Ceil(hi/step-1e-9) - math.Floor(lo/step+1e-9)) * step
	}
	// The tightest axis with 3 to 6 ticks; of equally tight ones, the one
	// with fewer ticks. Failing that, the one with the count closest to 4.
	best, found := steps[len(steps)-1], false
	for _, s := range steps {
		n := count(s)
		if n < 3 || n > 6 {
			continue
		}
		if !found || extent(s) < extent(best)-1e-9*span || math.Abs(extent(s)-extent(best)) <= 1e-9*span && n < count(best) {
			best, found = s, true
		}
	}
	if !found {
		for _, s := range steps {
			if math.Abs(float64(count(s)-4)) < math.Abs(float64(count(best)-4)) {
				best = s
			}
		}
	}
	first, last := math.Floor(lo/best+1e-9), math.Ceil(hi/best-1e-9)
	ax := axis{lo: first * best, hi: last * best}
	for i := 0.0; first+i <= last && i <= 12; i++ {
		ax.ticks = append(ax.ticks, (first+i)*best)
	}
	if ax.hi <= ax.lo {
		ax.hi = ax.lo + best
	}
	return ax
}

// jitter returns the vertical offset of the j-th dot of a row: a
// low-discrepancy sequence (multiples of the golden ratio), so that dots
// of equal value spread out evenly and every build draws the same chart.
func jitter(j int) float64 {
	f := math.Mod(float64(j)*0.6180339887498949+0.5, 1) // the first dot in the middle
	return (f - 0.5) * 2 * chartJitter
}

// scalar reports whether s is a single value rather than a run's trials:
// the table shows it as its median, not as trial 1.
func scalar(s values.Series) bool { return s.Run == "" && len(s.Values) == 1 }

// trialText is the tooltip of a dot.
func trialText(s values.Series, j int, kind values.ValueKind) string {
	v := values.Format(kind, s.Values[j])
	if scalar(s) {
		return v
	}
	return fmt.Sprintf("trial %d: %s", j+1, v)
}

// seriesSummary describes a series for the chart's description.
func seriesSummary(kind values.ValueKind, vs []float64) string {
	vs = finite(vs)
	switch len(vs) {
	case 0:
		return "no values"
	case 1:
		return values.Format(kind, vs[0])
	}
	if lo, hi := slices.Min(vs), slices.Max(vs); lo == hi {
		return fmt.Sprintf("%s in all %d trials", values.Format(kind, lo), len(vs))
	}
	return fmt.Sprintf("min %s, median %s, max %s over %d trials",
		values.Format(kind, slices.Min(vs)), values.Format(kind, values.Median(vs)), values.Format(kind, slices.Max(vs)), len(vs))
}

// finite returns the values of vs that are numbers.
func finite(vs []float64) []float64 {
	var out []float64
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}

// shorten cuts a label that would crowd the plot.
func shorten(label string) string {
	if utf8.RuneCountInString(label) <= chartLabelMax {
		return label
	}
	r := []rune(label)
	return string(r[:chartLabelMax-1]) + "…"
}

// num formats a coordinate: at most one decimal, no trailing zeros.
func num(x float64) string {
	s := strconv.FormatFloat(math.Round(x*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

// esc escapes text for HTML and for XML alike (the SVG must be both):
// invalid UTF-8 and control characters, which XML forbids, become U+FFFD.
func esc(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r == 0xfffe || r == 0xffff {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return template.HTMLEscapeString(s)
}
