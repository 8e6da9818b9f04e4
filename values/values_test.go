package values

import (
	"strings"
	"testing"
)

// evaluate parses and evaluates s against the fixture.
func evaluate(t *testing.T, s string) *Outcome {
	t.Helper()
	e, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	out, err := Evaluate(e, lookup())
	if err != nil {
		t.Fatalf("Evaluate(%q): %v", s, err)
	}
	return out
}

// nb replaces "_" with the no-break space that separates units.
func nb(s string) string { return strings.ReplaceAll(s, "_", nbsp) }

func TestValues(t *testing.T) {
	for _, tc := range []struct {
		expr    string
		kind    ValueKind
		want    string // "_" stands for the no-break space
		summary string // "" to leave Summary unchecked
	}{
		// Accessors.
		{`append.size("race.log")`, Number, "4,096", "4,096 in all 3 trials"},
		{`seek.size("race.log")`, Number, "4,084–4,096", "min 4,084, median 4,093, max 4,096 over 4 trials"},
		{`append.exit`, Number, "0", "0 in all 3 trials"},
		{`seek.exit`, Number, "0–1", "min 0, median 0.5, max 1 over 4 trials"},
		{`seek.cmd(1).exit`, Number, "0", "0 in all 4 trials"},
		{`run-2.exit`, Number, "2", "2 in all 2 trials"},
		{`jobs.exit`, Number, "3", ""}, // c: the last foreground command that finished
		{`jobs.cmd(4).exit`, Number, "3", ""},
		{`jobs.cmd(1).time`, Duration, "2_ms", ""},
		{`append.time`, Duration, "812_ms–1.02_s", "min 812_ms, median 901_ms, max 1.02_s over 3 trials"},
		{`seek.time`, Duration, "651–911_ms", "min 651_ms, median 711_ms, max 911_ms over 4 trials"},
		{`append.cmd(2).time`, Duration, "5_ms", "5_ms in all 3 trials"},
		{`append.trials`, Number, "3", ""},
		{`append.line(1)`, String, "wrote 1024 records", "wrote 1024 records in all 3 trials"},
		{`append.line(-1)`, String, "4096 race.log", "4096 race.log in all 3 trials"},
		{`append.line(2)`, String, "lost=0 size=4096 rate=1.5", "lost=0 size=4096 rate=1.5 in all 3 trials"},
		{`append.cmd(2).line(1)`, String, "4096 race.log", "4096 race.log in all 3 trials"},
		{`append.cmd(1).line(-1)`, String, "lost=0 size=4096 rate=1.5", "lost=0 size=4096 rate=1.5 in all 3 trials"},
		{`append.stdout`, String, "wrote 1024 records\nlost=0 size=4096 rate=1.5\n4096 race.log", ""},
		{`append.stderr`, String, "warning: slow disk", ""},
		{`append.cmd(2).stderr`, String, "", ""},
		{`append.match("wrote (\\d+)")`, Number, "1,024", ""},
		{"append.match(`(\\d+) race`)", Number, "4,096", ""},
		{`append.match("slow \\w+")`, String, "slow disk", ""}, // found in stderr
		{`append.match("(x)?records")`, String, "", ""},        // group 1 did not take part
		{`append.lost`, Number, "0", ""},
		{`append.rate`, Number, "1.5", ""},
		{`append.value("size")`, Number, "4,096", ""},
		{`seek.lost`, Number, "0–12", "min 0, median 3.5, max 12 over 4 trials"},
		{`seek.elapsed`, Duration, "650–910_ms", "min 650_ms, median 710_ms, max 910_ms over 4 trials"},
		{`text.line(1)`, String, "status: ok, status: failed", "status: ok in 2 trials, status: failed in 1"},
		{`text.line(2)`, String, "42, n/a, 17", "42 in 1 trial, n/a in 1, 17 in 1"},
		{`one.n`, Number, "5", ""},
		{`one.time`, Duration, "3_ms", ""},

		// Literals and arithmetic.
		{`2_000_000`, Number, "2,000,000", ""},
		{`1.5s`, Duration, "1.5_s", ""},
		{`1m30s`, Duration, "1_min 30_s", ""},
		{`35.2µs`, Duration, "35.2_µs", ""},
		{`90%`, Percent, "90%", ""},
		{`"race.log"`, String, "race.log", ""},
		{`1e6 / 4`, Number, "250,000", ""},
		{`-(2 - 5) * 2`, Number, "6", ""},
		{`1 + 2 * 3`, Number, "7", ""},
		{`(1 + 2) * 3`, Number, "9", ""},
		{`seek.size("race.log") + seek.lost`, Number, "4,096", "4,096 in all 4 trials"},
		{`4096 - seek.size("race.log")`, Number, "0–12", "min 0, median 3.5, max 12 over 4 trials"},
		{`append.time - append.cmd(2).time`, Duration, "807_ms–1.01_s", ""},
		{`append.time * 2`, Duration, "1.62–2.04_s", ""},
		{`append.time / 1ms`, Number, "812–1,020", ""},
		{`append.time / 2`, Duration, "406–510_ms", ""},
		{`one.n - other.n`, Number, "-2", ""}, // single trials of two runs pair
		{`one.n/other.n`, Number, "0.714", ""},

		// Functions.
		{`median(append.time)`, Duration, "901_ms", ""},
		{`min(seek.lost)`, Number, "0", ""},
		{`max(seek.lost)`, Number, "12", ""},
		{`mean(seek.lost)`, Number, "4.75", ""},
		{`sum(seek.lost)`, Number, "19", ""},
		{`mean(append.time)`, Duration, "911_ms", ""},
		{`median(seek.time) - median(append.time)`, Duration, "-190_ms", ""},
		{`count(seek.lost > 0)`, Number, "2", ""},
		{`percent(seek.lost > 0)`, Percent, "50%", ""},
		{`percent(seek.lost > 10)`, Percent, "25%", ""},
		{`percent(seek.lost / seek.size("race.log"))`, Percent, "0–0.3%", "min 0%, median 0.1%, max 0.3% over 4 trials"},
		{`percent(0.414)`, Percent, "41%", ""},
		{`abs(one.n - other.n)`, Number, "2", ""},
		{`abs(-1.5s)`, Duration, "1.5_s", ""},
		{`round(mean(seek.lost))`, Number, "5", ""},
		{`round(mean(seek.lost), 1)`, Number, "4.8", ""},
		{`round(1234.5678, 2)`, Number, "1,234.57", ""},
		{`round(2, 2)`, Number, "2.00", ""},
		{`round(123456, -3)`, Number, "123,000", ""},
		{`round(percent(1/3), 1)`, Percent, "33.3%", ""},
		{`bytes(seek.size("race.log"))`, Bytes, "3.99–4_KiB", ""},
		{`bytes(812)`, Bytes, "812_bytes", ""},
		{`bytes(16 * 1024 * 1024)`, Bytes, "16_MiB", ""},
		{`bytes(append.size("race.log")) * 2`, Bytes, "8_KiB", ""},
	} {
		out := evaluate(t, tc.expr)
		v := out.Value
		if v.Kind() != tc.kind {
			t.Errorf("%s: kind %v, want %v", tc.expr, v.Kind(), tc.kind)
		}
		if got, want := v.String(), nb(tc.want); got != want {
			t.Errorf("%s = %q, want %q", tc.expr, got, want)
		}
		if got := v.Summary(); tc.summary != "" && got != nb(tc.summary) {
			t.Errorf("%s: Summary() = %q, want %q", tc.expr, got, nb(tc.summary))
		}
		if out.Claim || out.Chart != nil {
			t.Errorf("%s: Claim %v, Chart %v: want a plain value", tc.expr, out.Claim, out.Chart)
		}
	}
}

func TestClaims(t *testing.T) {
	for _, tc := range []struct {
		expr   string
		holds  bool
		value  string // the value prose shows
		detail string
	}{
		{`append.lost == 0`, true, "0", "holds in 3 of 3 trials (always 0)"},
		{`append.lost == 0 in every trial`, true, "0", "holds in 3 of 3 trials (always 0)"},
		{`append.lost == 0 in all trials`, true, "0", "holds in 3 of 3 trials (always 0)"},
		{`append.time < 2s`, true, "812_ms–1.02_s", "holds in 3 of 3 trials (min 812_ms, median 901_ms, max 1.02_s)"},
		{`seek.lost > 0`, false, "0–12", "seek.lost was 0 in trials 1 and 3 of 4; claimed > 0 in every trial"},
		{`seek.lost > 0 in any trial`, true, "0–12", "holds in 2 of 4 trials (min 0, median 3.5, max 12)"},
		{`seek.lost > 0 in at least one trial`, true, "0–12", "holds in 2 of 4 trials (min 0, median 3.5, max 12)"},
		{`seek.lost > 100 in any trial`, false, "0–12", "seek.lost was 0–12 in all 4 trials; claimed > 100 in at least one trial"},
		{`seek.lost > 10 in no trial`, false, "0–12", "seek.lost was 12 in trial 2 of 4; claimed > 10 in no trial"},
		{`seek.lost > 100 in no trial`, true, "0–12", "holds in 0 of 4 trials, as claimed (min 0, median 3.5, max 12)"},
		{`seek.lost > 0 in at least 50% of trials`, true, "0–12", "holds in 2 of 4 trials (min 0, median 3.5, max 12)"},
		{`seek.lost > 0 in at least 90% of trials`, false, "0–12", "seek.lost > 0 held in 2 of 4 trials (50%); claimed in at least 90% of trials"},
		{`seek.lost > 0 in at most 50% of trials`, true, "0–12", "holds in 2 of 4 trials (min 0, median 3.5, max 12)"},
		{`seek.lost > 0 in at most 25% of trials`, false, "0–12", "seek.lost > 0 held in 2 of 4 trials (50%); claimed in at most 25% of trials"},
		{`0 <= seek.lost <= 10`, false, "0–12", "seek.lost was 12 in trial 2 of 4; claimed 0 <= seek.lost <= 10 in every trial"},
		{`0 <= seek.lost <= 12`, true, "0–12", "holds in 4 of 4 trials (min 0, median 3.5, max 12)"},
		{`seek.lost between 0 and 12`, true, "0–12", "holds in 4 of 4 trials (min 0, median 3.5, max 12)"},
		{`seek.lost between 1 and 10`, false, "0–12", "seek.lost was 0–12 in trials 1, 2 and 3 of 4; claimed between 1 and 10 in every trial"},
		{`seek.lost between 1 and 12 in at least 50% of trials`, true, "0–12", "holds in 2 of 4 trials (min 0, median 3.5, max 12)"},
		{`seek.lost + seek.size("race.log") == 4096`, true, "4,096", "holds in 4 of 4 trials (always 4,096)"},
		{`seek.exit == seek.cmd(2).exit`, true, "0–1", "holds in 4 of 4 trials (min 0, median 0.5, max 1)"},
		{`seek.lost < seek.exit`, false, "0–12", "seek.lost was 0–12 and seek.exit was 0–1 in trials 1, 2, 3 and 4 of 4; claimed < seek.exit in every trial"},
		{`median(seek.time) < 1s`, true, "711_ms", "holds (median(seek.time) was 711_ms)"},
		{`median(seek.time) > median(append.time)`, false, "711_ms", "median(seek.time) was 711_ms and median(append.time) was 901_ms; claimed > median(append.time)"},
		{`1 > 2`, false, "1", "1 > 2 is false"},
		{`2 > 1`, true, "2", "holds"},
		{`one.n == other.n`, false, "5", "one.n was 5 and other.n was 7; claimed == other.n"},
		{`one.n < other.n`, true, "5", "holds (one.n was 5)"},
		{`one.n == 5 in every trial`, true, "5", "holds (one.n was 5)"},
		{`append.line(1) == "wrote 1024 records"`, true, "wrote 1024 records", `holds in 3 of 3 trials (always "wrote 1024 records")`},
		{`text.line(1) != "status: failed"`, false, "status: ok, status: failed", `text.line(1) was "status: failed" in trial 3 of 3; claimed != "status: failed" in every trial`},
		{`append.time > 800ms`, true, "812_ms–1.02_s", "holds in 3 of 3 trials (min 812_ms, median 901_ms, max 1.02_s)"},
		{`append.cmd(2).time == 5ms`, true, "5_ms", "holds in 3 of 3 trials (always 5_ms)"},
		{`percent(seek.lost > 0) >= 50%`, true, "50%", "holds (percent(seek.lost > 0) was 50%)"},
		{`percent(seek.lost > 0) >= 50`, true, "50%", "holds (percent(seek.lost > 0) was 50%)"},
		{`count(seek.lost > 0) == 2`, true, "2", "holds (count(seek.lost > 0) was 2)"},
		{`seek.elapsed < 1s`, true, "650–910_ms", "holds in 4 of 4 trials (min 650_ms, median 710_ms, max 910_ms)"},
		{`run-2.v >= 1`, true, "1–2", "holds in 2 of 2 trials (min 1, median 1.5, max 2)"},
		{`0 < seek.lost`, false, "0–12", "seek.lost was 0 in trials 1 and 3 of 4; claimed 0 < seek.lost in every trial"},
		{`10 >= seek.lost >= 0`, false, "0–12", "seek.lost was 12 in trial 2 of 4; claimed 10 >= seek.lost >= 0 in every trial"},
	} {
		out := evaluate(t, tc.expr)
		if !out.Claim {
			t.Errorf("%s: not a claim", tc.expr)
			continue
		}
		if out.Holds != tc.holds {
			t.Errorf("%s: Holds = %v, want %v (%s)", tc.expr, out.Holds, tc.holds, out.Detail)
		}
		if got, want := out.Value.String(), nb(tc.value); got != want {
			t.Errorf("%s: Value = %q, want %q", tc.expr, got, want)
		}
		if got, want := out.Detail, nb(tc.detail); got != want {
			t.Errorf("%s: Detail\n got %q\nwant %q", tc.expr, got, want)
		}
	}
}

func TestRange(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{Value{kind: Number, perTrial: true, nums: []float64{4303, 50377}}, "4,303–50,377"},
		{Value{kind: Number, perTrial: true, nums: []float64{12, 4096}}, "12–4,096"},
		{Value{kind: Duration, perTrial: true, nums: []float64{812e6, 1.02e9}}, "812_ms–1.02_s"},
		{Value{kind: Duration, perTrial: true, nums: []float64{650e6, 910e6}}, "650–910_ms"},
		{Value{kind: Percent, perTrial: true, nums: []float64{20, 45}}, "20–45%"},
		{Value{kind: Percent, perTrial: true, nums: []float64{0.01, 45}}, "<0.1%–45%"},
		{Value{kind: Bytes, perTrial: true, nums: []float64{812, 4096}}, "812_bytes–4_KiB"},
		{Value{kind: String, perTrial: true, strs: []string{"a", "b", "a", "c", "d"}}, "a, b, c and 1 more"},
		{Value{kind: Duration, perTrial: true, nums: []float64{501.02e6, 501.4e6}}, "501_ms"},
		{Value{kind: Percent, perTrial: true, nums: []float64{0.01, 0.02}}, "<0.1%"},
	} {
		if got := tc.v.String(); got != nb(tc.want) {
			t.Errorf("%v %v: String() = %q, want %q", tc.v.kind, tc.v.nums, got, nb(tc.want))
		}
	}
}
