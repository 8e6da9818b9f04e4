package values

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// FuzzParse parses the fuzzed text and evaluates what parses against the
// test fixture: neither ever panics, every error is of the documented type
// with an offset inside the text, and every run reference lies inside it.
func FuzzParse(f *testing.F) {
	if ar, err := txtar.ParseFile("testdata/errors.txtar"); err == nil {
		for _, file := range ar.Files {
			if strings.HasSuffix(file.Name, ".want") {
				continue
			}
			for _, line := range strings.Split(string(file.Data), "\n") {
				f.Add(line)
			}
		}
	}
	for _, s := range []string{
		`append.size("race.log")`,
		`append.lost == 0 in every trial`,
		`percent(seek.lost > 0)`,
		`seek.lost between 1 and 12 in at least 50% of trials`,
		`0 <= seek.lost <= 10 in at most 25% of trials`,
		`chart(append.time as "append", seek.time, median(seek.time))`,
		`timeline(race)`, `timeline(run-2 )`,
		`round(mean(seek.lost), 1) + abs(one.n - other.n) * 2`,
		`bytes(append.cmd(1).size_ * 1024) / 3`,
		"append.match(`(\\d+) race`) > text.cmd(1).line(-1)",
		`median(seek.time) - median(append.time) >= -1m30s`,
		`count(run-2.v != 2) == 1 in no trial`,
		`seek.elapsed < 1.5s in any trial`,
		`"a\tb" == text.line(1)`,
		`chart(2 * race[xfs].wrote - race.size("f") as "lost", race[ext4].time)`,
		`timeline(race[xfs])`, `race[].x`, `race[xfs`,
		`sweep(seek.lost at 1 as "a", append.lost at one.n, x="n", y="v", title="t")`,
		`chart(append.time, title = "t", axis="bytes")`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error of type %T: %v", s, err, err)
			}
			if se.Off < 0 || se.Off > len(s) {
				t.Fatalf("Parse(%q): offset %d outside [0, %d]: %v", s, se.Off, len(s), err)
			}
			if se.Msg == "" {
				t.Fatalf("Parse(%q): empty message", s)
			}
			return
		}
		if e.Src != s {
			t.Fatalf("Parse(%q): Src = %q", s, e.Src)
		}
		for _, r := range e.Refs() {
			if r.Off < 0 || r.Off+len(r.Run) > len(s) || r.Run == "" || s[r.Off:r.Off+len(r.Run)] != r.Run {
				t.Fatalf("Parse(%q): ref %+v is not in the text", s, r)
			}
		}
		out, err := Evaluate(e, lookup())
		if err != nil {
			var ee *EvalError
			if !errors.As(err, &ee) {
				t.Fatalf("Evaluate(%q): error of type %T: %v", s, err, err)
			}
			if ee.Off < 0 || ee.Off > len(s) {
				t.Fatalf("Evaluate(%q): offset %d outside [0, %d]: %v", s, ee.Off, len(s), err)
			}
			return
		}
		if figure := out.Chart != nil || out.Timeline != nil; out.Claim != e.IsClaim() || figure != e.IsChart() {
			t.Fatalf("Evaluate(%q): Claim %v, figure %v disagree with the expression", s, out.Claim, figure)
		}
		if tl := out.Timeline; tl != nil {
			for _, l := range tl.Lanes {
				for _, ev := range l.Events {
					if ev.At < 0 || ev.At > tl.Span || math.IsNaN(ev.At) {
						t.Fatalf("Evaluate(%q): event at %v outside [0, %v]", s, ev.At, tl.Span)
					}
				}
			}
		}
		if out.Claim && out.Detail == "" {
			t.Fatalf("Evaluate(%q): a claim without a detail", s)
		}
		_ = out.Value.String()
		_ = out.Value.Summary()
		if out.Chart != nil {
			for _, ser := range out.Chart.Series {
				for _, x := range ser.Values {
					if math.IsNaN(x) {
						t.Fatalf("Evaluate(%q): NaN in a chart", s)
					}
				}
			}
		}
	})
}
