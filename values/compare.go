package values

import (
	"fmt"
	"math"
	"slices"
)

// Verdict says whether a value measured on two machines changed.
type Verdict int

const (
	// Same: equal, or a test on the trials finds no difference beyond noise.
	Same Verdict = iota
	// Changed: different values that are exact (every trial of a side
	// agrees, as byte counts and exit statuses do, a single trial
	// included; never a timing), or trial distributions that a
	// Mann–Whitney U test tells apart (p < Alpha).
	Changed
	// Untested: different, noisy, and too few trials on a side for the
	// test to tell a change from noise (it needs MinTrials each).
	Untested
)

// Alpha is the significance level of Compare's test, and MinTrials the
// fewest trials a side needs for the test to reach it: with 4 trials
// against 4, the smallest two-sided p is 2/70 ≈ 0.029.
const (
	Alpha     = 0.05
	MinTrials = 4
)

// Comparison is the outcome of Compare.
type Comparison struct {
	Verdict Verdict
	// P is the test's two-sided p-value, when the test ran (else -1).
	P float64
	// Why says how the verdict was reached, for a report.
	Why string
}

// Compare tells whether a and b, one value measured on two machines (or
// two builds), differ: exact values (see Changed) by equality; timings,
// and values whose trials vary, by a two-sided Mann–Whitney U test at
// level Alpha, which assumes nothing about their shape; text by the set
// of texts seen.
func Compare(a, b Value) Comparison {
	if a.kind == String || b.kind == String {
		if a.kind != b.kind || !slices.Equal(distinct(a.strs), distinct(b.strs)) {
			return Comparison{Changed, -1, "different text"}
		}
		return Comparison{Same, -1, "same text"}
	}
	if a.kind != b.kind && !(a.numeric() && b.numeric()) {
		return Comparison{Changed, -1, fmt.Sprintf("a %s against a %s", a.kind, b.kind)}
	}
	x, y := a.nums, b.nums
	// A count, size, percentage or status whose trials agree on each side
	// (a single trial, or a single value, included) is exact: it changed
	// iff it differs. A timing is never exact, even where its trials
	// happen to agree: it is tested like any noisy value.
	exact := allSame(x) && allSame(y) && a.kind != Duration && b.kind != Duration
	switch {
	case len(x) == 0 || len(y) == 0:
		return Comparison{Same, -1, "nothing to compare"}
	case allSame(x) && allSame(y) && x[0] == y[0]:
		return Comparison{Same, -1, "equal in every trial"}
	case exact:
		return Comparison{Changed, -1, "each side's trials agree, on different values"}
	case len(x) < MinTrials || len(y) < MinTrials:
		lx, hx := minMax(x)
		ly, hy := minMax(y)
		if hx < ly || hy < lx {
			return Comparison{Untested, -1, fmt.Sprintf("ranges do not overlap, but %d and %d trials are too few to test (%d each are needed)", len(x), len(y), MinTrials)}
		}
		return Comparison{Same, -1, "ranges overlap"}
	}
	p := MannWhitney(x, y)
	if p < Alpha {
		return Comparison{Changed, p, fmt.Sprintf("Mann–Whitney U, p = %.3f < %.2f", p, Alpha)}
	}
	return Comparison{Same, p, fmt.Sprintf("Mann–Whitney U, p = %.3f", p)}
}

func (v Value) numeric() bool { return v.kind == Number || v.kind == Percent || v.kind == Bytes }

func allSame(xs []float64) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

// MannWhitney returns the two-sided p-value of the Mann–Whitney U test of
// samples x and y: exact (by counting the arrangements of ranks) when
// both are small and have no ties between them, else from the normal
// approximation with the tie correction and a continuity correction.
func MannWhitney(x, y []float64) float64 {
	n, m := len(x), len(y)
	if n == 0 || m == 0 {
		return 1
	}
	// U counts the pairs where x wins, ties counting half.
	u, ties := 0.0, false
	for _, a := range x {
		for _, b := range y {
			switch {
			case a > b:
				u++
			case a == b:
				u += 0.5
				ties = true
			}
		}
	}
	uMin := math.Min(u, float64(n*m)-u)
	if !ties && n+m <= 40 {
		return math.Min(1, 2*exactCDF(n, m, int(uMin)))
	}
	// Normal approximation with the tie correction.
	all := append(slices.Clone(x), y...)
	slices.Sort(all)
	var tieTerm float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j] == all[i] {
			j++
		}
		t := float64(j - i)
		tieTerm += t*t*t - t
		i = j
	}
	N := float64(n + m)
	sigma := math.Sqrt(float64(n*m) / 12 * ((N + 1) - tieTerm/(N*(N-1))))
	if sigma == 0 {
		return 1
	}
	z := (math.Abs(u-float64(n*m)/2) - 0.5) / sigma
	if z < 0 {
		z = 0
	}
	return math.Min(1, math.Erfc(z/math.Sqrt2))
}

// exactCDF returns P(U ≤ u) for samples of sizes n and m without ties,
// counting the arrangements that give each U (the recurrence
// c(n, m, u) = c(n-1, m, u-m) + c(n, m-1, u)).
func exactCDF(n, m, u int) float64 {
	// c[i][j][k]: arrangements of i x's and j y's with U = k.
	c := make([][][]float64, n+1)
	for i := range c {
		c[i] = make([][]float64, m+1)
		for j := range c[i] {
			c[i][j] = make([]float64, i*j+1)
			switch {
			case i == 0 || j == 0:
				c[i][j][0] = 1
			default:
				for k := range c[i][j] {
					if k-j >= 0 && k-j < len(c[i-1][j]) {
						c[i][j][k] += c[i-1][j][k-j]
					}
					if k < len(c[i][j-1]) {
						c[i][j][k] += c[i][j-1][k]
					}
				}
			}
		}
	}
	total, below := 0.0, 0.0
	for k, v := range c[n][m] {
		total += v
		if k <= u {
			below += v
		}
	}
	return below / total
}
