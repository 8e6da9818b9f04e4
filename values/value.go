package values

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ValueKind is the kind of a Value.
type ValueKind int

// The kinds of values. Percent and Bytes are numbers that print with a
// unit; together with Number they are the numeric kinds, which mix freely
// in arithmetic and comparisons.
const (
	Number   ValueKind = iota + 1
	Duration           // in nanoseconds inside a Value, in seconds in a Chart
	String
	Percent // 41 is 41%
	Bytes
)

// String names the kind the way error messages do: "number", "duration".
func (k ValueKind) String() string {
	switch k {
	case Number:
		return "number"
	case Duration:
		return "duration"
	case String:
		return "string"
	case Percent:
		return "percentage"
	case Bytes:
		return "byte count"
	}
	return "value"
}

// a returns the kind with its article: "a number", "an expression".
func (k ValueKind) a() string { return "a " + k.String() }

// numeric reports whether k is Number, Percent or Bytes.
func (k ValueKind) numeric() bool { return k == Number || k == Percent || k == Bytes }

// Value is the value of an expression: one element per trial of the run it
// comes from (a distribution), or a single scalar (a literal, a summary
// such as median(...), or R.trials).
type Value struct {
	kind ValueKind
	nums []float64 // numeric kinds as they are; Duration in nanoseconds
	strs []string  // String
	// perTrial is set for a distribution; run is the run whose trials it
	// holds, or "" for single trials of several runs combined.
	perTrial bool
	run      string
	// decimals is how many decimals round(x, digits) asked for, plus one;
	// 0 when the value was not rounded.
	decimals int
}

// Kind returns the value's kind; 0 for the zero Value.
func (v Value) Kind() ValueKind { return v.kind }

// Len returns the number of elements: the number of trials of a
// distribution, 1 for a scalar.
func (v Value) Len() int {
	if v.kind == String {
		return len(v.strs)
	}
	return len(v.nums)
}

// PerTrial reports whether v holds one element per trial of a run rather
// than a single scalar.
func (v Value) PerTrial() bool { return v.perTrial }

// format formats element i.
func (v Value) format(i int) string {
	if v.kind == String {
		return v.strs[i]
	}
	return v.formatNum(v.nums[i])
}

// formatNum formats a number of v's kind, in v's internal unit.
func (v Value) formatNum(x float64) string {
	switch {
	case v.kind == Duration:
		return Format(Duration, x/1e9)
	case v.decimals > 0 && v.kind == Number:
		return formatFixed(x, v.decimals-1)
	case v.decimals > 0 && v.kind == Percent && x != 0 && x != 100:
		return formatFixed(x, v.decimals-1) + "%"
	}
	return Format(v.kind, x)
}

// allEqual reports whether every element is the same.
func (v Value) allEqual() bool {
	for i := 1; i < v.Len(); i++ {
		if v.kind == String && v.strs[i] != v.strs[0] || v.kind != String && v.nums[i] != v.nums[0] {
			return false
		}
	}
	return true
}

// String returns the text prose shows for v: a scalar, or a distribution
// whose trials are all equal, as its one value ("4096", "812 ms"); a
// numeric distribution as its range with an en dash ("812–950 ms",
// "812 ms–1.02 s"), or as one value if both ends print alike; a string distribution as its distinct values in trial
// order ("ok, failed"), at most three of them ("a, b, c and 2 more").
func (v Value) String() string {
	n := v.Len()
	switch {
	case n == 0:
		return ""
	case v.allEqual():
		return v.format(0)
	case v.kind == String:
		return joinMore(distinct(v.strs), 3)
	}
	lo, hi := minMax(v.nums)
	los, his := v.formatNum(lo), v.formatNum(hi)
	if strings.Contains(his, ",") && !strings.Contains(los, ",") {
		// Both ends alike: "4,303–50,377", not "4303–50,377".
		los = groupFrom(los, 4)
	}
	if los == his {
		// Trials that differ only below the printed precision: "501 ms",
		// not "501–501 ms". The tooltip still gives min, median and max.
		return los
	}
	return formatRange(los, his)
}

// quoted is String, with strings quoted: for messages, where text must
// stand out from the words around it.
func (v Value) quoted() string {
	if v.kind != String || v.Len() == 0 {
		return v.String()
	}
	var q []string
	for _, s := range distinct(v.strs) {
		q = append(q, strconv.Quote(s))
	}
	return joinMore(q, 3)
}

// formatRange joins two formatted numbers with an en dash, sharing their
// unit when both have the same one: "812–950 ms", but "812 ms–1.02 s".
func formatRange(lo, hi string) string {
	lu, lok := unitOf(lo)
	hu, hok := unitOf(hi)
	if lok && hok && lu == hu {
		return strings.TrimSuffix(lo, lu) + "–" + hi
	}
	return lo + "–" + hi
}

// unitOf returns the unit suffix of a formatted single number ("\u00a0ms",
// "%"), or ok false if s is not one number with a unit.
func unitOf(s string) (unit string, ok bool) {
	if strings.HasSuffix(s, "%") && !strings.ContainsAny(s, "<>") {
		return "%", true
	}
	i := strings.Index(s, nbsp)
	if i < 0 || strings.Count(s, nbsp) != 1 || strings.Contains(s, " ") {
		return "", false
	}
	return s[i:], true
}

// Summary returns the text of a tooltip for v: "min 812 ms, median 901 ms,
// max 1.02 s over 20 trials" for a distribution, "4096 in all 20 trials"
// when its trials agree, "ok in 3 trials, failed in 2" for text, and the
// value itself for a scalar or a single trial.
func (v Value) Summary() string {
	n := v.Len()
	switch {
	case n == 0:
		return ""
	case !v.perTrial || n == 1:
		return v.String()
	case v.allEqual():
		return fmt.Sprintf("%s in all %d trials", v.format(0), n)
	case v.kind == String:
		var parts []string
		for _, s := range distinct(v.strs) {
			c := 0
			for _, t := range v.strs {
				if t == s {
					c++
				}
			}
			if len(parts) == 0 {
				parts = append(parts, fmt.Sprintf("%s in %s", s, plural(c, "trial")))
			} else {
				parts = append(parts, fmt.Sprintf("%s in %d", s, c))
			}
		}
		return strings.Join(parts, ", ")
	}
	lo, hi := minMax(v.nums)
	return fmt.Sprintf("min %s, median %s, max %s over %d trials",
		v.formatNum(lo), v.formatNum(Median(v.nums)), v.formatNum(hi), n)
}

// only returns the elements of v at the given indexes, as a distribution
// of the same run.
func (v Value) only(idx []int) Value {
	w := v
	w.nums, w.strs = nil, nil
	for _, i := range idx {
		if v.kind == String {
			w.strs = append(w.strs, v.strs[i])
		} else {
			w.nums = append(w.nums, v.nums[i])
		}
	}
	return w
}

func minMax(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// Median returns the middle element of xs, or the mean of the two middle
// ones (NaN for none); xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return s[n/2-1]/2 + s[n/2]/2
}

// distinct returns the distinct strings of ss in order of first appearance.
func distinct(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// joinMore joins at most limit items with commas: "a, b, c and 2 more".
func joinMore(items []string, limit int) string {
	if len(items) <= limit {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:limit], ", "), len(items)-limit)
}

// JoinAnd joins words as prose: "3", "3 and 7", "1, 4 and 9".
func JoinAnd(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// plural returns "1 trial", "2 trials".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
