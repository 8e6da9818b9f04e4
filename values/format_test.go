package values

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		kind ValueKind
		x    float64
		want string // "_" stands for the no-break space
	}{
		{Number, 0, "0"},
		{Number, 4096, "4,096"},
		{Number, 9999, "9,999"},
		{Number, 10000, "10,000"},
		{Number, 2_000_000, "2,000,000"},
		{Number, -2_000_000, "-2,000,000"},
		{Number, 0.41421356, "0.414"},
		{Number, 41.421356, "41.4"},
		{Number, 1234.5, "1,235"},
		{Number, 12345.6, "12,346"},
		{Number, 901001.5, "901,002"},
		{Number, 2.5, "2.5"},
		{Number, 3.999, "4"},
		{Number, 0.0123456, "0.0123"},
		{Number, -0.5, "-0.5"},
		{Number, 1e-7, "1e-07"},

		{Duration, 0, "0_s"},
		{Duration, 4.2149, "4.21_s"},
		{Duration, 0.812, "812_ms"},
		{Duration, 35.2e-6, "35.2_µs"},
		{Duration, 120e-9, "120_ns"},
		{Duration, 1.5, "1.5_s"},
		{Duration, 2, "2_s"},
		{Duration, 0.9997, "1_s"},
		{Duration, 59.9, "59.9_s"},
		{Duration, 59.97, "1_min"},
		{Duration, 112, "1_min 52_s"},
		{Duration, 600, "10_min"},
		{Duration, 7500, "2_h 5_min"},
		{Duration, 7200, "2_h"},
		{Duration, -0.25, "-250_ms"},

		{Percent, 0, "0%"},
		{Percent, 100, "100%"},
		{Percent, 41.4, "41%"},
		{Percent, 4.21, "4.2%"},
		{Percent, 4, "4%"},
		{Percent, 0.01, "<0.1%"},
		{Percent, 99.5, "99.5%"},
		{Percent, 99.99, ">99.9%"},
		{Percent, 100 / 3.0, "33%"},
		{Percent, 200 / 3.0, "67%"},

		{Bytes, 0, "0_bytes"},
		{Bytes, 1, "1_byte"},
		{Bytes, 812, "812_bytes"},
		{Bytes, 1023, "1,023_bytes"},
		{Bytes, 4096, "4_KiB"},
		{Bytes, 16 << 20, "16_MiB"},
		{Bytes, 1.5 * (1 << 30), "1.5_GiB"},
		{Bytes, 1 << 20, "1_MiB"},
		{Bytes, 4100, "4_KiB"},
		{Bytes, 1500, "1.46_KiB"},
	} {
		want := strings.ReplaceAll(tc.want, "_", nbsp)
		if tc.kind == Number {
			want = tc.want
		}
		if got := Format(tc.kind, tc.x); got != want {
			t.Errorf("Format(%v, %v) = %q, want %q", tc.kind, tc.x, got, want)
		}
	}
}

// FuzzFormat checks that Format never panics and that a number prints
// close to its value: whole numbers exactly, others to three significant
// digits or more.
func FuzzFormat(f *testing.F) {
	for _, x := range []float64{0, 1, -1, 0.5, 1234.5, 9999.5, 99999.5, 1e-5, 1e21, 0.9995, 59.95, 3599.6} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		for _, k := range []ValueKind{Number, Duration, String, Percent, Bytes} {
			if s := Format(k, x); s == "" || !utf8.ValidString(s) {
				t.Fatalf("Format(%v, %v) = %q", k, x, s)
			}
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		s := Format(Number, x)
		y, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
		if err != nil {
			t.Fatalf("Format(Number, %v) = %q: %v", x, s, err)
		}
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 && y != x {
			t.Fatalf("Format(Number, %v) = %q: a whole number must print exactly", x, s)
		}
		if math.Abs(y-x) > 0.005*math.Abs(x) {
			t.Fatalf("Format(Number, %v) = %q: off by more than three significant digits allow", x, s)
		}
		if strings.Contains(s, ",") != (math.Abs(y) >= 1000) {
			t.Fatalf("Format(Number, %v) = %q: thousands separators from 1,000 on only", x, s)
		}
	})
}

func TestRangeGroupsBothEnds(t *testing.T) {
	v := Value{kind: Number, nums: []float64{50377, 4303, 20828}, perTrial: true}
	if got := v.String(); got != "4,303–50,377" {
		t.Errorf("got %q, want 4,303–50,377", got)
	}
	// One rule for every number, so that a column of ranges reads alike:
	// "90–6,818" beside "142–16,004", not "90–6818".
	for _, tc := range []struct {
		nums []float64
		want string
	}{
		{[]float64{4084, 4096}, "4,084–4,096"},
		{[]float64{90, 6818}, "90–6,818"},
		{[]float64{142, 16004}, "142–16,004"},
	} {
		v = Value{kind: Number, nums: tc.nums, perTrial: true}
		if got := v.String(); got != tc.want {
			t.Errorf("range of %v: got %q, want %s", tc.nums, got, tc.want)
		}
	}
}
