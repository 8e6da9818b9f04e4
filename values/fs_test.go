package values

import (
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
)

// fsLookup returns the runs of a block race with fs=ext4,xfs, as the
// loader names them, and a block one with fs=tmpfs; the block's name
// (race) is looked up as every filesystem's trials, as loader.Parsed's
// lookup does.
func fsLookup() func(string) *model.Record {
	recs := map[string]*model.Record{}
	var family []*model.Run
	for i, fs := range []string{"ext4", "xfs"} {
		rec := record("race["+fs+"]", []cmdSpec{{text: "wc -c f"}},
			trial{cmds: []model.CommandResult{ran(0, ms, "lost=1"+strings.Repeat("0", i)+"\n", "")}},
			trial{cmds: []model.CommandResult{ran(0, ms, "lost=2"+strings.Repeat("0", i)+"\n", "")}})
		rec.Run.Base, rec.Run.FS = "race", fs
		family = append(family, rec.Run)
		recs[rec.Run.Name] = rec
	}
	for _, r := range family {
		r.Family = family
	}
	pooled := &model.Record{Run: family[0]}
	pooled.Trials = append(append(pooled.Trials, recs["race[ext4]"].Trials...), recs["race[xfs]"].Trials...)
	recs["race"] = pooled
	one := record("one[tmpfs]", []cmdSpec{{text: "true"}}, trial{cmds: []model.CommandResult{ran(0, ms, "lost=7\n", "")}})
	one.Run.Base, one.Run.FS, one.Run.Family = "one", "tmpfs", []*model.Run{one.Run}
	recs["one[tmpfs]"], recs["one"] = one, one
	return func(name string) *model.Record { return recs[name] }
}

func TestFSValues(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"race[xfs].lost", "10–20"},
		{"race[ext4].lost", "1–2"},
		{"race.lost", "1–20"}, // every trial of every filesystem
		{"one.lost", "7"},
		{"one[tmpfs].lost + 1", "8"},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.expr, err)
		}
		out, err := Evaluate(e, fsLookup())
		if err != nil {
			t.Fatalf("Evaluate(%q): %v", tc.expr, err)
		}
		if got := out.Value.String(); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
		}
	}
	if e, _ := Parse("race[xfs].lost > 0"); e == nil || e.Refs()[0].Run != "race[xfs]" {
		t.Errorf("race[xfs] is not read as one run reference: %+v", e)
	}
}

func TestFSChartRows(t *testing.T) {
	// A row naming the block draws one row per filesystem; one naming a
	// filesystem's run draws one row.
	for _, tc := range []struct {
		expr   string
		labels []string
	}{
		{"chart(race.lost)", []string{"ext4", "xfs"}},
		{`chart(race.lost as "lost")`, []string{"lost, ext4", "lost, xfs"}},
		{"chart(race[xfs].lost, one.lost)", []string{"race[xfs].lost", "one.lost"}},
		{`chart(race.lost * 2 - race.lost, one.lost as "tmpfs")`, []string{"race.lost * 2 - race.lost, ext4", "race.lost * 2 - race.lost, xfs", "tmpfs"}},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Evaluate(e, fsLookup())
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		var labels []string
		for _, s := range out.Chart.Series {
			labels = append(labels, s.Label)
		}
		if strings.Join(labels, "|") != strings.Join(tc.labels, "|") {
			t.Errorf("%s: rows %q, want %q", tc.expr, labels, tc.labels)
		}
	}
	e, _ := Parse("chart(race.lost)")
	out, _ := Evaluate(e, fsLookup())
	if got := out.Chart.Series[1].Values; len(got) != 2 || got[0] != 10 || got[1] != 20 {
		t.Errorf("the xfs row holds %v, want the xfs trials 10 and 20", got)
	}
}

func TestFSSyntaxErrors(t *testing.T) {
	for _, tc := range []struct{ expr, msg string }{
		{"race[].lost", "a filesystem's run is written NAME[FS]"},
		{"race[xfs.lost", "a filesystem's run is written NAME[FS]"},
		{"race[xfs]", "race[xfs] needs an accessor"},
	} {
		_, err := Parse(tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) = %v, want %q", tc.expr, err, tc.msg)
		}
	}
}

func TestFSClaimNamesFilesystems(t *testing.T) {
	// A claim about the block as a whole that fails names each failing
	// trial with its filesystem.
	recs := fsLookup()
	for _, name := range []string{"race[ext4]", "race[xfs]"} {
		rec := recs(name)
		for i, res := range rec.Trials {
			res.Trial = i + 1
			res.FS = &model.Filesystem{Type: rec.Run.FS}
		}
	}
	e, err := Parse("race.lost < 15")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Evaluate(e, recs)
	if err != nil {
		t.Fatal(err)
	}
	if want := "race.lost was 20 in trial 2 on xfs (of 4); claimed < 15 in every trial"; out.Holds || out.Detail != want {
		t.Errorf("detail %q, want %q", out.Detail, want)
	}
}
