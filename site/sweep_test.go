package site

import (
	"math"
	"strings"
	"testing"

	"github.com/litbook/litbook/values"
)

func TestAxisUnit(t *testing.T) {
	for _, tc := range []struct {
		kind  values.ValueKind
		hi    float64
		title string
		tick  string // of hi
	}{
		{values.Duration, 0.0004, "time (µs)", "400"},
		{values.Duration, 0.25, "time (ms)", "250"},
		{values.Duration, 1.5, "time (s)", "1.5"},
		{values.Duration, 600, "time (min)", "10"},
		{values.Bytes, 512, "time (bytes)", "512"},
		{values.Bytes, 8192, "time (KiB)", "8"},
		{values.Bytes, 3 << 20, "time (MiB)", "3"},
		{values.Percent, 50, "time (%)", "50"},
		{values.Number, 12000, "time", "12,000"},
	} {
		div, unit := axisUnit(tc.kind, tc.hi)
		if got := axisTitle("time", unit); got != tc.title {
			t.Errorf("%v up to %v: title %q, want %q", tc.kind, tc.hi, got, tc.title)
		}
		if got := tickText(tc.hi, div); got != tc.tick {
			t.Errorf("%v up to %v: tick %q, want %q", tc.kind, tc.hi, got, tc.tick)
		}
	}
}

// TestChartTitle draws an author's title above the plot and in the SVG's
// title, and names the axis after what the values measure.
func TestChartTitle(t *testing.T) {
	c := testChart()
	c.Title, c.Axis = "The <race>", "lost"
	got := string(chartSVG(c, "chart-1", "Each dot is a trial."))
	for _, want := range []string{
		`<p class="chart-title">The &lt;race&gt;</p>`,
		`<title id="chart-1-title">The &lt;race&gt;. Each dot is a trial.</title>`,
		`>lost (s)</text>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}

// TestSweepSVG draws a sweep: a mark per trial, one line through the
// medians per label, a legend, both axes titled, the data as a table.
func TestSweepSVG(t *testing.T) {
	c := &values.Chart{Kind: values.Number, Sweep: true, XAxis: "writers", Axis: "bytes lost", Title: "Losses", Series: []values.Series{
		{Label: "seek", X: 4, Values: []float64{30, 50, 40}, Run: "w4"},
		{Label: "seek", X: 2, Values: []float64{0, 10, 5}, Run: "w2"},
		{Label: "seek", X: 8, Values: []float64{90, 120, math.NaN()}, Run: "w8"},
		{Label: "<append>", X: 2, Values: []float64{0, 0, 0}, Run: "a2"},
		{Label: "<append>", X: 8, Values: []float64{0, 0, 0}, Run: "a8"},
	}}
	got := string(sweepSVG(c, "chart-1", c.Title, sweepCaption(c)))
	for _, want := range []string{
		`<figure class="chart sweep" id="chart-1">`,
		`<p class="chart-title">Losses</p>`,
		`role="img" aria-labelledby="chart-1-title chart-1-desc"`,
		`<desc id="chart-1-desc">seek: writers 2: median 5, writers 4: median 40, writers 8: median 105; &lt;append&gt;: writers 2: median 0, writers 8: median 0</desc>`,
		`>writers</text>`, `>bytes lost</text>`,
		`>&lt;append&gt;</text></g>`,
		`<figcaption>Each mark is one trial, at its writers; each line joins the medians of one series.</figcaption>`,
		`<tr><th scope="row">seek</th><td>2</td><td>5</td><td>0, 10, 5</td></tr>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sweep lacks %q", want)
		}
	}
	if n := strings.Count(got, `class="chart-dot"`); n != 14 {
		t.Errorf("%d marks, want 14 (one per finite trial)", n)
	}
	if n := strings.Count(got, `<polyline class="sweep-median"`); n != 2 {
		t.Errorf("%d median lines, want 2", n)
	}
	if strings.Contains(got, "NaN") || strings.Contains(got, "Inf") || strings.Contains(got, "<append>") {
		t.Errorf("bad coordinate or unescaped label:\n%s", got)
	}
	// The medians of seek run left to right: 2, 4, 8.
	i := strings.Index(got, `<polyline class="sweep-median" points="`)
	pts := strings.Fields(got[i+len(`<polyline class="sweep-median" points="`):][:60])
	if len(pts) < 3 || !(pts[0] < pts[1]) {
		t.Errorf("median line not in x order: %v", pts)
	}
}

// TestSweepOneSeries draws unlabelled points as one line without a
// legend, named after what they measure.
func TestSweepOneSeries(t *testing.T) {
	c := &values.Chart{Kind: values.Duration, Sweep: true, XAxis: "dice", Axis: "time", Series: []values.Series{
		{X: 1, Values: []float64{0.001, 0.002}}, {X: 2, Values: []float64{0.003}}, {X: 4, Values: []float64{0.004, 0.005}},
	}}
	got := string(sweepSVG(c, "s", "", sweepCaption(c)))
	if n := strings.Count(got, `<polyline class="sweep-median"`); n != 1 {
		t.Errorf("%d lines, want 1", n)
	}
	for _, want := range []string{`>time (ms)</text>`, `<tr><th scope="row">time</th><td>2</td><td>3`, "the line joins the medians."} {
		if !strings.Contains(got, want) {
			t.Errorf("sweep lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "sweep-s1") || strings.Contains(got, `<g class="sweep-series sweep-s0"><line`) {
		t.Error("one series has a legend")
	}
}
