package site

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/values"
)

// testChart is two runs' times and a single summary value; the second
// run's trials are all equal, so its dots differ only by their jitter.
func testChart() *values.Chart {
	return &values.Chart{Kind: values.Duration, Series: []values.Series{
		{Label: "append", Values: []float64{0.812, 0.901, 1.02, 0.87, 0.95}, Run: "append"},
		{Label: "seek first", Values: []float64{0.7, 0.7, 0.7, 0.7}, Run: "seek"},
		{Label: "median(seek.time)", Values: []float64{0.7}},
	}}
}

func TestChartGolden(t *testing.T) {
	got := string(chartSVG(testChart(), "chart-1", "Appending is slower than seeking"))
	const golden = "testdata/chart.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("chart differs from %s (go test -update to accept):\n%s", golden, got)
	}
	wellFormed(t, got)
	for _, s := range []string{
		`role="img"`, `aria-labelledby="chart-1-title chart-1-desc"`,
		`<title id="chart-1-title">Appending is slower than seeking</title>`,
		"append: min 812\u00a0ms, median 901\u00a0ms, max 1.02\u00a0s over 5 trials",
		"<figcaption>Appending is slower than seeking</figcaption>",
		`<details class="chart-data"><summary>Trials</summary>`,
	} {
		if !strings.Contains(got, s) {
			t.Errorf("chart lacks %q", s)
		}
	}
	if n := strings.Count(got, `class="chart-dot"`); n != 10 {
		t.Errorf("%d dots, want 10", n)
	}
	if n := strings.Count(got, `class="chart-median"`); n != 3 {
		t.Errorf("%d median marks, want 3", n)
	}
	// Only currentColor and the stylesheet's custom properties colour it.
	if strings.Contains(got, "#") || strings.Contains(got, "rgb") {
		t.Error("the chart hard-codes a colour")
	}
}

// wellFormed parses the figure as XML, which the SVG inside must be (and
// the figure around it is, too).
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
	}
}

// texts returns the character data of every element named name.
func texts(t *testing.T, s, name string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	var out []string
	depth := 0
	var b strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local == name {
				depth++
				b.Reset()
			}
		case xml.CharData:
			if depth > 0 {
				b.Write(tok)
			}
		case xml.EndElement:
			if tok.Name.Local == name {
				depth--
				out = append(out, b.String())
			}
		}
	}
}

func TestChartEscapes(t *testing.T) {
	hostile := []string{
		`<script>alert(1)</script>`,
		`]]><x>`,
		`"quoted" & 'single'`,
		"ctrl\x01\x7f and bad \xff utf-8",
	}
	c := &values.Chart{Kind: values.Number}
	for _, l := range hostile {
		c.Series = append(c.Series, values.Series{Label: l, Values: []float64{1, 2}})
	}
	got := string(chartSVG(c, `x"><script>`, `</figcaption><script>alert(2)</script>`))
	wellFormed(t, got)
	if strings.Contains(got, "<script") || strings.Contains(got, "]]><") {
		t.Errorf("hostile text got through:\n%s", got)
	}
	heads := texts(t, got, "th")
	want := []string{"Trial", hostile[0], hostile[1], hostile[2], "ctrl\ufffd\ufffd and bad \ufffd utf-8"}
	for i, w := range want {
		if i >= len(heads) || heads[i] != w {
			t.Errorf("column %d is headed %q, want %q", i, heads[i:min(i+1, len(heads))], w)
		}
	}
	if caps := texts(t, got, "figcaption"); len(caps) != 1 || caps[0] != `</figcaption><script>alert(2)</script>` {
		t.Errorf("figcaption = %q", caps)
	}
}

func TestChartEdgeCases(t *testing.T) {
	for name, c := range map[string]*values.Chart{
		"nil":      nil,
		"empty":    {Kind: values.Number},
		"no trial": {Kind: values.Number, Series: []values.Series{{Label: "x"}}},
		"zeros":    {Kind: values.Number, Series: []values.Series{{Label: "x", Values: []float64{0, 0}}}},
		"negative": {Kind: values.Number, Series: []values.Series{{Label: "x", Values: []float64{-5, -5}}}},
		"long label": {Kind: values.Percent, Series: []values.Series{
			{Label: strings.Repeat("very long label ", 5), Values: []float64{10, 90}}}},
	} {
		got := string(chartSVG(c, "c", ""))
		wellFormed(t, got)
		if strings.Contains(got, "NaN") || strings.Contains(got, "Inf") {
			t.Errorf("%s: chart has a NaN or Inf coordinate:\n%s", name, got)
		}
	}
}

func TestAxis(t *testing.T) {
	for _, tc := range []struct {
		kind  values.ValueKind
		vs    []float64
		ticks string
	}{
		{values.Duration, []float64{0.812, 1.02}, "0 s|500 ms|1 s|1.5 s"},
		{values.Duration, []float64{0.0123, 0.0187}, "0 s|10 ms|20 ms"},
		{values.Duration, []float64{95, 310}, "0 s|2 min|4 min|6 min"},
		{values.Number, []float64{0, 12}, "0|5|10|15"},
		{values.Number, []float64{812334, 1002001}, "0|500,000|1,000,000|1,500,000"},
		{values.Number, []float64{-3, 7}, "-5|0|5|10"},
		{values.Number, []float64{5, 5}, "0|1|2|3|4|5"},
		{values.Number, []float64{0.1, 0.3}, "0|0.1|0.2|0.3"},
		{values.Percent, []float64{20, 45}, "0%|10%|20%|30%|40%|50%"},
		{values.Bytes, []float64{4096, 16384}, "0 bytes|8 KiB|16 KiB"},
		{values.Bytes, []float64{3 << 20, 5 << 20}, "0 bytes|1 MiB|2 MiB|3 MiB|4 MiB|5 MiB"},
		{values.Number, nil, "0|0.5|1"},
	} {
		ax := newAxis(tc.kind, tc.vs)
		var got []string
		for _, x := range ax.ticks {
			got = append(got, strings.ReplaceAll(values.Format(tc.kind, x), "\u00a0", " "))
		}
		if strings.Join(got, "|") != tc.ticks {
			t.Errorf("axis(%v, %v) ticks %q, want %q", tc.kind, tc.vs, strings.Join(got, "|"), tc.ticks)
		}
		if n := len(ax.ticks); n < 3 || n > 6 {
			t.Errorf("axis(%v, %v): %d ticks", tc.kind, tc.vs, n)
		}
		if ax.lo != ax.ticks[0] || ax.hi != ax.ticks[len(ax.ticks)-1] {
			t.Errorf("axis(%v, %v): domain [%v, %v] is not the ticks' span", tc.kind, tc.vs, ax.lo, ax.hi)
		}
		for _, v := range tc.vs {
			if v < ax.lo || v > ax.hi {
				t.Errorf("axis(%v, %v): %v outside [%v, %v]", tc.kind, tc.vs, v, ax.lo, ax.hi)
			}
		}
	}
}

func TestAxisExtremes(t *testing.T) {
	// Values a hostile program can print must not hang the build.
	for _, vs := range [][]float64{
		{-1e308, 1e308},
		{-1e17, -1e17 + 16},
		{math.Inf(1), 3},
		{math.NaN(), 1},
		{1e300, 1e300},
	} {
		done := make(chan axis)
		go func() { done <- newAxis(values.Number, vs) }()
		select {
		case ax := <-done:
			if len(ax.ticks) < 2 || len(ax.ticks) > 13 {
				t.Errorf("newAxis(%v): %d ticks", vs, len(ax.ticks))
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("newAxis(%v) does not return", vs)
		}
	}
}
