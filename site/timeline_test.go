package site

import (
	"slices"
	"strings"
	"testing"

	"github.com/litbook/litbook/values"
)

func TestTimeline(t *testing.T) {
	tl := &values.Timeline{Run: "race", Span: 750e-6, Lanes: []values.Lane{
		{Label: "claim A &", Events: []values.Event{{At: 0, Label: "stat: absent"}, {At: 650e-6, Label: "created <it>"}}},
		{Label: "claim B &", Events: []values.Event{{At: 150e-6, Label: "stat: absent"}, {At: 650e-6, Label: "created"}}},
	}}
	got := string(timelineSVG(tl, "chart-1", "Events of run race."))
	wellFormed(t, got)
	if strings.Contains(got, "<it>") || strings.Contains(got, `="#`) {
		t.Errorf("an unescaped label or a hard-coded colour:\n%s", got)
	}
	// The table lists every event in time order; at the same instant, the
	// earlier lane first.
	cells := texts(t, got, "td")
	var rows [][]string
	for i := 0; i+4 <= len(cells); i += 4 {
		rows = append(rows, cells[i:i+4])
	}
	want := [][]string{
		{"1", "0\u00a0s", "claim A &", "stat: absent"},
		{"2", "150\u00a0µs", "claim B &", "stat: absent"},
		{"3", "650\u00a0µs", "claim A &", "created <it>"},
		{"4", "650\u00a0µs", "claim B &", "created"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("event table:\n got %q\nwant %q", rows, want)
	}
	// The SVG numbers the dots as the table does.
	if nums := texts(t, got, "text"); !containsInOrder(nums, "claim A &", "1", "3", "claim B &", "2", "4") {
		t.Errorf("SVG texts %q: lanes and numbers out of order", nums)
	}
	if n := strings.Count(got, `class="chart-dot"`); n != 4 {
		t.Errorf("%d dots, want 4", n)
	}
}

// containsInOrder reports whether want appears in got as a subsequence.
func containsInOrder(got []string, want ...string) bool {
	for _, g := range got {
		if len(want) > 0 && g == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}
