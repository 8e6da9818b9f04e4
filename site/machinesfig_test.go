package site

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
)

// TestAcrossMachines draws machines(...) from the records of three
// machines: two measured the current run, one an earlier version of it,
// which shows as a dash, and the claim is marked per machine.
func TestAcrossMachines(t *testing.T) {
	b := writeBook(t, map[string]string{
		"book.toml":     "[book]\ntitle = \"Across\"\n",
		"chapters/a.md": fence("# A\n\n'''console run=r\n$ echo lost=0\n'''\n\n`=machines(r.lost, r.lost == 0 in every trial)`\n"),
	})
	run := b.Runs[0]
	save := func(m model.Machine, lost string, edit bool) *model.Record {
		r := run
		if edit {
			copied := *run
			copied.Block = append([]byte(nil), run.Block...)
			copied.Block = append(copied.Block, '\n')
			r = &copied
		}
		key, sources := store.Key(r, b.Config, "go1.26.8", m)
		m.GoVersion = "go1.26.8"
		rec := &model.Record{Run: r, Key: key, Sources: sources, GoVersion: "go1.26.8", Machine: m, Fresh: true}
		rec.Trials = []*model.Result{{Run: r, Trial: 1, Start: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Machine: m,
			Commands: []model.CommandResult{{Ran: true, Done: true, Stdout: model.Output{Data: []byte("lost=" + lost + "\n"), Total: int64(6 + len(lost))}}}}}
		ix, _ := store.Load(b.Root)
		if err := store.Save(b.Root, ix, rec); err != nil {
			t.Fatal(err)
		}
		rec.Run = run
		return rec
	}
	here := testMachine
	here.Hostname = ""
	arm := model.Machine{OS: "linux", Kernel: "6.1.0", Arch: "arm64", CPUs: 8, FS: "xfs", RunDirRoot: "/tmp"}
	old := model.Machine{OS: "linux", Kernel: "5.15.0", Arch: "amd64", CPUs: 4, FS: "btrfs", RunDirRoot: "/tmp"}
	rec := save(here, "0", false)
	save(arm, "7", false)
	save(old, "0", true)
	ix, err := store.Load(b.Root)
	if err != nil || len(ix.Entries) != 3 {
		t.Fatalf("store: %v, %d entries", err, len(ix.Entries))
	}
	dir := filepath.Join(t.TempDir(), "site")
	if err := Write(Input{Book: b, Records: []*model.Record{rec}, Store: ix, Machine: here}, dir); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "a.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	table := regexp.MustCompile(`(?s)<figure class="machines".*?</figure>`).FindString(html)
	if table == "" {
		t.Fatalf("no machines table in:\n%s", html)
	}
	rows := regexp.MustCompile(`(?s)<tr><th scope="row">.*?</tr>`).FindAllString(table, -1)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2 (the machine with an earlier version is left out):\n%s", len(rows), table)
	}
	if !strings.Contains(rows[0], "built this site") || !strings.Contains(rows[0], ">0 <span class=\"check\"") {
		t.Errorf("first row is this machine's, where the claim holds:\n%s", rows[0])
	}
	if !strings.Contains(rows[1], "arm64") || !strings.Contains(rows[1], ">7 <span class=\"fails\"") {
		t.Errorf("second row is arm64's, where the claim fails:\n%s", rows[1])
	}
	if !strings.Contains(table, "Measured on 2 machines; the claims hold on 1 of 2") {
		t.Errorf("caption:\n%s", table)
	}
}
