package values

import (
	"math"
	"strconv"
	"strings"
)

// nbsp separates a number from its unit, so that "4.21 s" never breaks
// across lines.
const nbsp = "\u00a0"

// Format formats one number of the given kind as prose shows it; charts
// use it for their axes. x is in the kind's unit: a Duration in seconds, a
// Percent in percent (41 is 41%), a Bytes value in bytes.
//
//   - Number: whole numbers in full, with thousands separators from 10,000
//     on ("4096", "2,000,000"); others with three significant digits but
//     never fewer digits than their whole part has ("0.414", "41.4",
//     "1235").
//   - Duration: three significant digits in ns, µs, ms or s ("35.2 µs",
//     "812 ms", "4.21 s"); from a minute on, minutes and whole seconds
//     ("1 min 52 s"), and from an hour on, hours and whole minutes
//     ("2 h 5 min").
//   - Percent: whole percent ("41%"), one decimal below 10% and above 99%
//     ("4.2%", "99.5%"); only exactly 0 and 100 print as "0%" and "100%",
//     anything between shows as at least "<0.1%" and at most ">99.9%".
//   - Bytes: IEC units with three significant digits ("4 KiB", "1.5 GiB"),
//     and bytes below 1 KiB ("812 bytes", "1 byte").
//
// A no-break space (U+00A0) separates a number from its unit.
func Format(kind ValueKind, x float64) string {
	switch kind {
	case Duration:
		return formatDuration(x)
	case Percent:
		return formatPercent(x)
	case Bytes:
		return formatBytes(x)
	}
	return formatNumber(x)
}

// formatNumber formats a plain number; see Format.
func formatNumber(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "∞"
	case math.IsInf(x, -1):
		return "-∞"
	case x == 0:
		return "0" // and not "-0"
	case x == math.Trunc(x):
		return group(strconv.FormatFloat(x, 'f', 0, 64))
	}
	a := math.Abs(x)
	if a < 1e-4 {
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
	// Three significant digits, but whole digits are never dropped.
	decimals := 0
	switch {
	case a >= 100:
	case a >= 10:
		decimals = 1
	case a >= 1:
		decimals = 2
	default:
		decimals = 2 - int(math.Floor(math.Log10(a)))
	}
	return group(trimZeros(fixed(x, decimals)))
}

// formatFixed formats x with exactly the given number of decimals (as
// round(x, digits) asks), grouping thousands like formatNumber.
func formatFixed(x float64, decimals int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return formatNumber(x)
	}
	s := fixed(x, decimals)
	if s == "-0" || strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return group(s)
}

// fixed formats x with the given number of decimals, rounding halves away
// from zero as people do (strconv rounds 1234.5 to even, "1234").
func fixed(x float64, decimals int) string {
	p := math.Pow(10, float64(decimals))
	if r := math.Round(x*p) / p; !math.IsInf(r, 0) && !math.IsNaN(r) {
		x = r
	}
	return strconv.FormatFloat(x, 'f', decimals, 64)
}

// trimZeros drops trailing zeros after a decimal point, and the point if
// nothing is left after it.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// group inserts thousands separators into the whole part of a formatted
// number whose whole part has five digits or more: "12345.6" is
// "12,345.6", "4096" stays "4096".
func group(s string) string { return groupFrom(s, 4) }

// groupFrom is group for whole parts of at least digits digits.
func groupFrom(s string, digits int) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		whole, frac = s[:i], s[i:]
	}
	if len(whole) < digits {
		return sign + s
	}
	var b strings.Builder
	b.WriteString(sign)
	for i := 0; i < len(whole); i++ {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	b.WriteString(frac)
	return b.String()
}

// sig3 formats x (≥ 0, below 1000 after rounding) with at most three
// significant digits, trailing zeros dropped.
func sig3(x float64) string {
	decimals := 0
	switch {
	case x >= 100:
	case x >= 10:
		decimals = 1
	case x >= 1:
		decimals = 2
	default:
		return formatNumber(x)
	}
	return trimZeros(fixed(x, decimals))
}

// round3 rounds x to three significant digits.
func round3(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow(10, 2-math.Floor(math.Log10(math.Abs(x))))
	if r := math.Round(x*p) / p; !math.IsInf(r, 0) && !math.IsNaN(r) {
		return r
	}
	return x
}

// formatDuration formats a duration of x seconds; see Format.
func formatDuration(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return formatNumber(x) + nbsp + "s"
	case x < 0:
		return "-" + formatDuration(-x)
	case x == 0:
		return "0" + nbsp + "s"
	}
	// Rounding first picks the unit the rounded value belongs to:
	// 999.7 ms is "1 s", not "1000 ms".
	r := round3(x)
	switch {
	case r < 1e-6:
		return sig3(r*1e9) + nbsp + "ns"
	case r < 1e-3:
		return sig3(r*1e6) + nbsp + "µs"
	case r < 1:
		return sig3(r*1e3) + nbsp + "ms"
	case r < 60:
		return sig3(r) + nbsp + "s"
	}
	total := math.Round(x)
	if total < 3600 {
		m, s := math.Floor(total/60), math.Mod(total, 60)
		if s == 0 {
			return strconv.FormatFloat(m, 'f', 0, 64) + nbsp + "min"
		}
		return strconv.FormatFloat(m, 'f', 0, 64) + nbsp + "min " + strconv.FormatFloat(s, 'f', 0, 64) + nbsp + "s"
	}
	minutes := math.Round(x / 60)
	h, m := math.Floor(minutes/60), math.Mod(minutes, 60)
	hs := group(strconv.FormatFloat(h, 'f', 0, 64)) + nbsp + "h"
	if m == 0 {
		return hs
	}
	return hs + " " + strconv.FormatFloat(m, 'f', 0, 64) + nbsp + "min"
}

// formatPercent formats x percent; see Format.
func formatPercent(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return formatNumber(x) + "%"
	case x < 0:
		return "-" + formatPercent(-x)
	case x == math.Trunc(x):
		return group(strconv.FormatFloat(x, 'f', 0, 64)) + "%"
	case x < 10:
		s := trimZeros(fixed(x, 1))
		if s == "0" {
			return "<0.1%"
		}
		return s + "%"
	case x > 99 && x < 100:
		s := trimZeros(fixed(x, 1))
		if s == "100" {
			return ">99.9%"
		}
		return s + "%"
	}
	return group(fixed(x, 0)) + "%"
}

// formatBytes formats a count of x bytes; see Format.
func formatBytes(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return formatNumber(x) + nbsp + "bytes"
	case x < 0:
		return "-" + formatBytes(-x)
	case x == 1:
		return "1" + nbsp + "byte"
	case x < 1024:
		return formatNumber(x) + nbsp + "bytes"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	v, u := x/1024, 0
	for u < len(units)-1 && v >= 1024 {
		v /= 1024
		u++
	}
	return sig3(round3(v)) + nbsp + units[u]
}
