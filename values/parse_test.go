package values

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
)

func TestParseShape(t *testing.T) {
	for _, tc := range []struct {
		expr         string
		refs         []Ref
		claim, chart bool
	}{
		{`append.size("race.log")`, []Ref{{"append", 0}}, false, false},
		{`append.lost == 0 in every trial`, []Ref{{"append", 0}}, true, false},
		{`percent(seek.lost > 0)`, []Ref{{"seek", 8}}, false, false},
		{`count(seek.lost > 0) >= 1`, []Ref{{"seek", 6}}, true, false},
		{`0 <= a.x <= b.y`, []Ref{{"a", 5}, {"b", 12}}, true, false},
		{`a.x between 1 and 2 in any trial`, []Ref{{"a", 0}}, true, false},
		{`chart(a.time as "A", run-2.time)`, []Ref{{"a", 6}, {"run-2", 21}}, false, true},
		{`median(seek.time) - median(append.time)`, []Ref{{"seek", 7}, {"append", 27}}, false, false},
		{`2pass.cmd(2).exit`, []Ref{{"2pass", 0}}, false, false},
		{`10-b.exit`, []Ref{{"10-b", 0}}, false, false}, // documented: the run 10-b
		{`10 - b.exit`, []Ref{{"b", 5}}, false, false},
		{`a.lost-1`, []Ref{{"a", 0}}, false, false},
		{`a.x-b.y`, []Ref{{"a", 0}, {"b", 4}}, false, false},
		{`in.exit > every.exit in every trial`, []Ref{{"in", 0}, {"every", 10}}, true, false},
		{`1.5s + 2`, nil, false, false},
		{"a.match(`(\\d+) µs`)", []Ref{{"a", 0}}, false, false},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.expr, err)
			continue
		}
		if e.Src != tc.expr {
			t.Errorf("%s: Src = %q", tc.expr, e.Src)
		}
		if got := e.Refs(); !reflect.DeepEqual(got, tc.refs) {
			t.Errorf("%s: Refs() = %v, want %v", tc.expr, got, tc.refs)
		}
		if e.IsClaim() != tc.claim || e.IsChart() != tc.chart {
			t.Errorf("%s: IsClaim %v, IsChart %v; want %v, %v", tc.expr, e.IsClaim(), e.IsChart(), tc.claim, tc.chart)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	for _, s := range []string{"", "   "} {
		_, err := Parse(s)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Msg != "empty expression" || se.Off != 0 {
			t.Errorf("Parse(%q) = %v, want an empty expression error at 0", s, err)
		}
	}
}

func TestLiterals(t *testing.T) {
	for _, tc := range []struct {
		expr string
		kind ValueKind
		x    float64
	}{
		{`2_000_000`, Number, 2e6},
		{`1e6`, Number, 1e6},
		{`1.5e-3`, Number, 1.5e-3},
		{`1.5s`, Duration, 1.5e9},
		{`200ms`, Duration, 200e6},
		{`35us`, Duration, 35e3},
		{`35µs`, Duration, 35e3},
		{`35μs`, Duration, 35e3}, // Greek mu, as time.ParseDuration takes it
		{`7ns`, Duration, 7},
		{`1m30s`, Duration, 90e9},
		{`1h`, Duration, 3600e9},
		{`35.2µs`, Duration, 35200},
		{`90%`, Percent, 90},
		{`12.5%`, Percent, 12.5},
	} {
		v := evaluate(t, tc.expr).Value
		if v.Kind() != tc.kind || len(v.nums) != 1 || v.nums[0] != tc.x {
			t.Errorf("%s = %v %v, want %v %v", tc.expr, v.Kind(), v.nums, tc.kind, tc.x)
		}
	}
	for _, tc := range []struct{ expr, want string }{
		{`"a\tb\u00e9\x41"`, "a\tbéA"},
		{"`\\d+`", `\d+`},
		{`"\xff"`, "\xff"},
		{`"µs"`, "µs"},
	} {
		v := evaluate(t, tc.expr).Value
		if v.Kind() != String || v.strs[0] != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, v.strs, tc.want)
		}
	}
}

func TestTypeTexts(t *testing.T) {
	for _, tc := range []struct {
		texts []string
		kind  ValueKind
		nums  []float64
	}{
		{[]string{"42", " 7 ", "-1.5", "2_000", "1e3", ".5"}, Number, []float64{42, 7, -1.5, 2000, 1000, 0.5}},
		{[]string{"0", "5ms"}, Duration, []float64{0, 5e6}},
		{[]string{"1.5s", "1m"}, Duration, []float64{1.5e9, 60e9}},
		{[]string{"42", "n/a"}, String, nil},
		{[]string{"0x10"}, String, nil},
		{[]string{"inf"}, String, nil},
		{[]string{"NaN"}, String, nil},
		{[]string{""}, String, nil},
		{[]string{"5 ms"}, String, nil},
	} {
		v := typeTexts(tc.texts)
		if v.kind != tc.kind || tc.nums != nil && !reflect.DeepEqual(v.nums, tc.nums) {
			t.Errorf("typeTexts(%q) = %v %v, want %v %v", tc.texts, v.kind, v.nums, tc.kind, tc.nums)
		}
	}
}

func TestOutcome(t *testing.T) {
	out := evaluate(t, `median(seek.time) < median(append.time)`)
	if !reflect.DeepEqual(out.Runs, []string{"seek", "append"}) {
		t.Errorf("Runs = %v", out.Runs)
	}
	out = evaluate(t, `seek.lost + seek.size("race.log")`)
	if !reflect.DeepEqual(out.Runs, []string{"seek"}) {
		t.Errorf("Runs = %v", out.Runs)
	}
	if !out.Value.PerTrial() || out.Value.Len() != 4 {
		t.Errorf("PerTrial %v, Len %d: want a distribution of 4 trials", out.Value.PerTrial(), out.Value.Len())
	}
	if v := evaluate(t, `median(seek.lost)`).Value; v.PerTrial() || v.Len() != 1 {
		t.Errorf("median: PerTrial %v, Len %d: want a scalar", v.PerTrial(), v.Len())
	}

	if _, err := Evaluate(nil, lookup()); err == nil {
		t.Error("Evaluate(nil) did not fail")
	}
	e, _ := Parse(`a.exit`)
	_, err := Evaluate(e, nil)
	var ee *EvalError
	if !errors.As(err, &ee) || ee.Msg != "run a has no results" {
		t.Errorf("Evaluate with a nil lookup: %v", err)
	}

	// A lookup is called once per run, however often the run appears.
	calls := 0
	e, _ = Parse(`seek.lost + seek.exit + seek.size("race.log") > median(seek.lost)`)
	f := fixture()
	if _, err := Evaluate(e, func(run string) *model.Record { calls++; return f[run] }); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("lookup called %d times, want 1", calls)
	}
}

func TestChart(t *testing.T) {
	out := evaluate(t, `chart(append.time as "append", seek.time, median(seek.time) as "median")`)
	want := &Chart{Kind: Duration, Series: []Series{
		{Label: "append", Values: []float64{0.812, 0.901, 1.02}, Run: "append"},
		{Label: "seek.time", Values: []float64{0.701, 0.721, 0.651, 0.911}, Run: "seek"},
		{Label: "median", Values: []float64{0.711}},
	}, Axis: "time"}
	if !reflect.DeepEqual(out.Chart, want) {
		t.Errorf("chart = %+v\nwant %+v", out.Chart, want)
	}
	if out.Claim || !reflect.DeepEqual(out.Runs, []string{"append", "seek"}) {
		t.Errorf("Claim %v, Runs %v", out.Claim, out.Runs)
	}
	out = evaluate(t, `chart(seek.lost, bytes(seek.size("race.log")), percent(seek.lost > 0))`)
	if out.Chart.Kind != Number {
		t.Errorf("a chart of numbers, bytes and percentages has kind %v, want number", out.Chart.Kind)
	}
	out = evaluate(t, `chart(bytes(seek.size("race.log")) as "")`)
	if out.Chart.Kind != Bytes || out.Chart.Series[0].Label != "" {
		t.Errorf("chart of bytes: kind %v, label %q", out.Chart.Kind, out.Chart.Series[0].Label)
	}
}

func TestTimeline(t *testing.T) {
	out := evaluate(t, `timeline( race )`)
	// Times are from the earliest event; lines without t= are not events;
	// the wait, which printed none, has no lane.
	want := &Timeline{Run: "race", Span: 750e-6, Trials: 1, Lanes: []Lane{
		{Label: "claim A", Events: []Event{{At: 0, Label: "stat: absent"}, {At: 650e-6, Label: "created"}}},
		{Label: "claim B", Events: []Event{{At: 150e-6, Label: "stat: absent"}, {At: 750e-6, Label: "created"}}},
	}}
	const eps = 1e-9
	got := out.Timeline
	if got == nil || got.Run != want.Run || got.Trials != want.Trials || len(got.Lanes) != len(want.Lanes) || math.Abs(got.Span-want.Span) > eps {
		t.Fatalf("timeline = %+v\nwant %+v", got, want)
	}
	for i, l := range got.Lanes {
		w := want.Lanes[i]
		if l.Label != w.Label || len(l.Events) != len(w.Events) {
			t.Fatalf("lane %d = %+v, want %+v", i, l, w)
		}
		for j, e := range l.Events {
			if e.Label != w.Events[j].Label || math.Abs(e.At-w.Events[j].At) > eps {
				t.Errorf("lane %d event %d = %+v, want %+v", i, j, e, w.Events[j])
			}
		}
	}
	if !reflect.DeepEqual(out.Runs, []string{"race"}) {
		t.Errorf("Runs %v", out.Runs)
	}
	if e, err := Parse("timeline(run-2)"); err != nil || !e.IsChart() || e.Refs()[0] != (Ref{"run-2", 9}) {
		t.Errorf("timeline(run-2): %v, refs %v", err, e.Refs())
	}
}

// TestParseLimits checks that no expression is deep enough to exhaust the
// stack, while ordinary ones are far from the limits.
func TestParseLimits(t *testing.T) {
	for _, tc := range []struct {
		expr string
		msg  string
		off  int
	}{
		{strings.Repeat("(", 300) + "1", "expression nested too deeply", 200},
		{strings.Repeat("-", 300) + "1", "expression nested too deeply", 200},
		{strings.Repeat("abs(", 300) + "1", "expression nested too deeply", 800},
		{strings.Repeat("1+", 1001) + "1", "expression too long: more than 1000 operators", 2001},
	} {
		_, err := Parse(tc.expr)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Msg != tc.msg || se.Off != tc.off {
			t.Errorf("Parse(%.12q...) = %v at %d, want %q at %d", tc.expr, err, offset(err), tc.msg, tc.off)
		}
	}
	for _, s := range []string{
		strings.Repeat("(", 150) + "1" + strings.Repeat(")", 150),
		strings.Repeat("1+", 1000) + "1",
	} {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%.12q...): %v", s, err)
		}
	}
}

func offset(err error) int {
	var se *SyntaxError
	if errors.As(err, &se) {
		return se.Off
	}
	return -1
}

// TestChartAxis names a chart's axis after the accessor its series share,
// else after their kind, unless axis= names it; title= is kept.
func TestChartAxis(t *testing.T) {
	for _, tc := range []struct{ expr, axis, title string }{
		{`chart(seek.lost, append.lost)`, "lost", ""},
		{`chart(seek.size("race.log"), append.size("race.log"))`, "size", ""},
		{`chart(seek.value("lost"))`, "lost", ""},
		{`chart(seek.exit)`, "exit status", ""},
		{`chart(seek.lost, append.size("race.log"))`, "value", ""},
		{`chart(bytes(seek.lost))`, "size", ""},
		{`chart(seek.lost * 2)`, "value", ""},
		{`chart(seek.time, title = "The race", axis="wall time")`, "wall time", "The race"},
	} {
		out := evaluate(t, tc.expr)
		if out.Chart.Axis != tc.axis || out.Chart.Title != tc.title {
			t.Errorf("%s: axis %q title %q, want %q %q", tc.expr, out.Chart.Axis, out.Chart.Title, tc.axis, tc.title)
		}
	}
}

// TestSweep places each series of a sweep at its x, from a number or a
// value every trial agrees on; series keep their labels.
func TestSweep(t *testing.T) {
	out := evaluate(t, `sweep(seek.lost at 2 as "seek", append.lost at one.n as "append", x="writers", y="bytes lost", title="Loss")`)
	want := &Chart{Kind: Number, Series: []Series{
		{Label: "seek", Values: []float64{0, 12, 0, 7}, Run: "seek", X: 2},
		{Label: "append", Values: []float64{0, 0, 0}, Run: "append", X: 5},
	}, Title: "Loss", Axis: "bytes lost", Sweep: true, XAxis: "writers"}
	if !reflect.DeepEqual(out.Chart, want) {
		t.Errorf("sweep = %+v\nwant %+v", out.Chart, want)
	}
	e, err := Parse(`sweep(seek.lost at 1)`)
	if err != nil || e.Function() != "sweep" || !e.IsChart() {
		t.Fatalf("Parse: %v, %v", e, err)
	}
	if out := evaluate(t, `sweep(seek.lost at 1, append.lost at 2)`); out.Chart.XAxis != "parameter" || out.Chart.Axis != "lost" || out.Chart.Series[0].Label != "" || out.Chart.Series[1].Label != "" {
		t.Errorf("default axes: %q, %q; unlabelled series %q, %q", out.Chart.XAxis, out.Chart.Axis, out.Chart.Series[0].Label, out.Chart.Series[1].Label)
	}
	for _, tc := range []struct{ expr, msg string }{
		{`sweep(seek.lost)`, `sweep draws each series at a point of its x axis: write seek.lost at X, such as w4.lost at 4`},
		{`sweep(seek.lost at 1, title=3)`, `title= takes a string, such as title="..."`},
		{`chart(seek.lost, x="n")`, `chart has no option "x" (its options: axis, title)`},
		{`chart(title="t", seek.lost)`, `chart's options (name="text") come after its series`},
		{`sweep(x="n")`, `sweep needs at least one series, as in sweep(w1.lost at 1, w2.lost at 2)`},
		{`sweep`, `sweep is a function: write sweep(R.x at 1, S.x at 2, ...)`},
		{`1 + sweep(a.x at 1)`, `sweep(...) must be the whole expression`},
		{`chart(a.x at 1)`, `at places a series of sweep(...) on its x axis: it can only follow an argument of sweep`},
	} {
		_, err := Parse(tc.expr)
		if err == nil || err.Error() != tc.msg {
			t.Errorf("Parse(%s): %v, want %s", tc.expr, err, tc.msg)
		}
	}
	for _, tc := range []struct{ expr, msg string }{
		{`sweep(seek.lost at seek.lost)`, `a sweep's x is one number, but seek.lost differs between trials (0 to 12)`},
		{`sweep(seek.lost at "x")`, `a sweep's x is a number, such as 4 or w4.writers, but "x" is a string ("x")`},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Evaluate(e, lookup())
		if err == nil || err.Error() != tc.msg {
			t.Errorf("Evaluate(%s): %v, want %s", tc.expr, err, tc.msg)
		}
	}
}
