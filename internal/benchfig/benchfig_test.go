package benchfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADME fails when a figure block of the README differs from what
// the latest results file in bench/results makes of it: a figure typed or
// edited by hand, or a benchmark run whose README was not regenerated.
func TestREADME(t *testing.T) {
	current, want, err := Expected("../..")
	if err != nil {
		t.Fatal(err)
	}
	if string(current) != string(want) {
		t.Errorf("README.md's figures are not those of bench/results; regenerate them (go run ./internal/benchfig/cmd/readme, or run the benchmark). Want:\n%s", diffLines(string(current), string(want)))
	}
	for name := range blocks {
		begin, _ := marks(name)
		if !strings.Contains(string(current), begin) {
			t.Errorf("README.md does not quote the %s benchmark (%s)", name, strings.TrimSpace(begin))
		}
	}
}

// diffLines returns the lines of want that are not in got.
func diffLines(got, want string) string {
	have := map[string]bool{}
	for _, l := range strings.Split(got, "\n") {
		have[l] = true
	}
	var out []string
	for _, l := range strings.Split(want, "\n") {
		if !have[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestBlockRegenerated checks that Save puts a benchmark's figures in its
// README block, with the machine and the date, and that a hand edit of a
// figure is caught.
func TestBlockRegenerated(t *testing.T) {
	root := t.TempDir()
	readme := "# x\n\n<!-- bench:overhead -->\nold text\n<!-- /bench:overhead -->\n\nmore\n"
	if err := os.WriteFile(filepath.Join(root, "README.md"), []byte(readme), 0o644); err != nil {
		t.Fatal(err)
	}
	f := New("overhead", "go run ./bench/overhead")
	f.Figures = map[string]float64{"runs": 200, "jobs": 2, "rounds": 5, "litbook_wall_s": 1.234, "litbook_cpu_s": 1, "shell_wall_s": 1, "shell_cpu_s": 1, "ratio_wall": 1.234, "ratio_cpu": 1, "litbook_ms_per_run": 6.17, "shell_ms_per_run": 5}
	if err := f.Save(root); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(root, "README.md"))
	got := string(data)
	flat := strings.Join(strings.Fields(got), " ")
	for _, want := range []string{"1.23 s of wall time", "1.23 times the wall time", f.Machine.CPU, "bench/results/overhead.json", "<!-- /bench:overhead --> more"} {
		if !strings.Contains(flat, want) {
			t.Errorf("README lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "old text") {
		t.Error("the old block is still there")
	}
	if err := os.WriteFile(filepath.Join(root, "README.md"), []byte(strings.Replace(got, "1.23 s of wall", "0.99 s of wall", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if current, want, err := Expected(root); err != nil || string(current) == string(want) {
		t.Errorf("a figure edited by hand went unnoticed (err %v)", err)
	}
}
