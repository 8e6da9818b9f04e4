package site

import (
	"testing"

	"github.com/litbook/litbook/model"
)

// TestFilesViewLowerBound: a count of files left that litbook could not
// finish says it is a lower bound, and why.
func TestFilesViewLowerBound(t *testing.T) {
	files := []model.FileInfo{{Name: "a", Mode: "file", Size: 3}}
	for _, tc := range []struct {
		omitted int
		partial string
		want    string
	}{
		{0, "", "1 file (3 bytes)"},
		{5, "", "1 file (3 bytes), 5 more not recorded"},
		{100000, "litbook stopped counting at 100000", "1 file (3 bytes), at least 100,000 more not recorded (litbook stopped counting at 100000)"},
	} {
		if got := newFilesView(files, tc.omitted, tc.partial).Summary; got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
