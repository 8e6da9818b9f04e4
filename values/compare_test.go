package values

import (
	"math"
	"testing"
)

func TestMannWhitney(t *testing.T) {
	for _, tc := range []struct {
		x, y []float64
		p    float64
	}{
		// Complete separation of 4 against 4: 2 of the C(8,4) = 70
		// arrangements are as extreme, p = 2/70.
		{[]float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}, 2.0 / 70},
		{[]float64{5, 6, 7, 8}, []float64{1, 2, 3, 4}, 2.0 / 70},
		// Interleaved: U = 6 of 16; 24 of the 70 arrangements have U ≤ 6.
		{[]float64{1, 3, 5, 7}, []float64{2, 4, 6, 8}, 48.0 / 70},
		// Complete separation of 3 against 3: p = 2/20, never below 0.05.
		{[]float64{1, 2, 3}, []float64{4, 5, 6}, 0.1},
		// Identical samples (all ties).
		{[]float64{2, 2, 2, 2}, []float64{2, 2, 2, 2}, 1},
	} {
		if got := MannWhitney(tc.x, tc.y); math.Abs(got-tc.p) > 1e-9 {
			t.Errorf("MannWhitney(%v, %v) = %.6f, want %.6f", tc.x, tc.y, got, tc.p)
		}
	}
	// Large samples with ties take the normal approximation: a clear
	// shift is found, and the same samples against themselves are not.
	x := []float64{10, 11, 11, 12, 12, 12, 13, 13, 14, 15, 15, 16, 17, 18, 19, 20, 20, 21, 22, 23, 24}
	y := []float64{14, 15, 16, 17, 18, 19, 20, 20, 21, 22, 22, 23, 24, 25, 26, 27, 28, 28, 29, 30, 31}
	if got := MannWhitney(x, y); got > 0.01 {
		t.Errorf("large shifted samples: p = %.4f, want < 0.01", got)
	}
	if got := MannWhitney(x, x); got < 0.9 {
		t.Errorf("large equal samples: p = %.4f, want about 1", got)
	}
}

func TestCompare(t *testing.T) {
	nums := func(k ValueKind, xs ...float64) Value { return Value{kind: k, nums: xs, perTrial: len(xs) > 1} }
	ms := float64(1e6)
	for _, tc := range []struct {
		name string
		a, b Value
		want Verdict
	}{
		{"equal counts", nums(Number, 0, 0, 0), nums(Number, 0, 0), Same},
		{"exact counts that differ", nums(Bytes, 4096, 4096), nums(Bytes, 512, 512), Changed},
		{"one trial each, different timings", nums(Duration, 10*ms), nums(Duration, 12*ms), Untested},
		// A count, size or status is exact however many trials agree on
		// it, one included: it changed iff it differs. A timing is never
		// exact: trials that happen to agree are still too few to tell.
		{"one trial each, different counts", nums(Bytes, 4096), nums(Bytes, 512), Changed},
		{"one trial against two, different counts", nums(Number, 3), nums(Number, 4, 4), Changed},
		{"one trial each, equal counts", nums(Number, 3), nums(Number, 3), Same},
		{"equal timings against one, different", nums(Duration, 10*ms, 10*ms), nums(Duration, 12*ms), Untested},
		{"agreeing timings, too few", nums(Duration, 10*ms, 10*ms, 10*ms), nums(Duration, 12*ms, 12*ms, 12*ms), Untested},
		{"agreeing timings, enough to test", nums(Duration, 10*ms, 10*ms, 10*ms, 10*ms), nums(Duration, 12*ms, 12*ms, 12*ms, 12*ms), Changed},
		{"noisy counts, too few", nums(Number, 1, 2), nums(Number, 5, 6), Untested},
		{"few trials, overlapping ranges", nums(Duration, 10*ms, 14*ms), nums(Duration, 12*ms, 13*ms), Same},
		{"noisy timings, same distribution", nums(Duration, 10*ms, 12*ms, 11*ms, 13*ms, 12*ms), nums(Duration, 11*ms, 13*ms, 10*ms, 12*ms, 12.5*ms), Same},
		{"noisy timings, shifted", nums(Duration, 10*ms, 12*ms, 11*ms, 13*ms, 12*ms), nums(Duration, 20*ms, 22*ms, 21*ms, 24*ms, 23*ms), Changed},
		{"text", Value{kind: String, strs: []string{"ok"}}, Value{kind: String, strs: []string{"EEXIST"}}, Changed},
	} {
		if got := Compare(tc.a, tc.b); got.Verdict != tc.want {
			t.Errorf("%s: %v (%s), want %v", tc.name, got.Verdict, got.Why, tc.want)
		}
	}
}
