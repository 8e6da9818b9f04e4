package values

import (
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestMachines(t *testing.T) {
	e, err := Parse(`machines(a.lost, a.lost == 0 in every trial, b.lost)`)
	if err != nil {
		t.Fatal(err)
	}
	if !e.IsChart() || e.Function() != "machines" || len(e.Refs()) != 3 {
		t.Fatalf("IsChart %v, Function %q, %d refs", e.IsChart(), e.Function(), len(e.Refs()))
	}
	a := record("a", []cmdSpec{{text: "x"}},
		trial{cmds: []model.CommandResult{ran(0, ms, "lost=0\n", "")}},
		trial{cmds: []model.CommandResult{ran(0, ms, "lost=3\n", "")}})
	out, err := Evaluate(e, func(name string) *model.Record {
		if name == "a" {
			return a
		}
		return nil // b was not measured on this machine
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 3 {
		t.Fatalf("%d items", len(out.Items))
	}
	if it := out.Items[0]; it.Err != nil || it.Claim || it.Src != "a.lost" || it.Value.String() != "0–3" {
		t.Errorf("item 0: %+v (%s)", it, it.Value)
	}
	if it := out.Items[1]; it.Err != nil || !it.Claim || it.Holds {
		t.Errorf("item 1 must be a claim that fails: %+v", it)
	}
	if it := out.Items[2]; it.Err == nil || it.Src != "b.lost" {
		t.Errorf("item 2 must say b was not measured: %+v", it)
	}
	for src, want := range map[string]string{
		`machines()`:         "machines needs at least one value or claim",
		`machines`:           "machines is a function",
		`machines(a.x`:       "unclosed (",
		`1 + machines(a.x)`:  "machines(...) must be the whole expression",
		`machines(a.x; a.y)`: "unexpected",
	} {
		if _, err := Parse(src); err == nil || !contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", src, err, want)
		}
	}
}
