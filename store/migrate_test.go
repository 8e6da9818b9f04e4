package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMigrate stores records as litbook did before machine identities
// ignored the kernel's build suffix and the hostname: two directories for
// one machine rebuilt, records keyed by the old rule. Migrating merges
// them into one directory, newest record first, drops the hostname and
// rekeys them, and the store then loads without a problem.
func TestMigrate(t *testing.T) {
	root := t.TempDir()
	run := testRun()
	old := func(kernel string, stored time.Time, out string) {
		m := here
		m.Kernel, m.Hostname = kernel, "builder"
		rec := testRecord(run, m)
		rec.Trials[0].Commands[0].Stdout.Data = []byte(out)
		rec.Trials[0].Commands[0].Order = nil
		f := newFile(rec, stored)
		f.Key = legacyKey(f.Sources, f.Go, m)
		data, err := f.encode()
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, Dir, "linux-amd64-2cpu-ext4-"+kernel, "01-append")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "seek.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old("6.18.44-fc-v669", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "older\n")
	old("6.18.44-fc-v857", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), "newer\n")
	ix, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Problems) > 0 || len(ix.Entries) != 2 {
		t.Fatalf("legacy records do not load: %v", ix.Problems)
	}
	migrations, err := Migrate(root, ix, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(migrations) != 2 {
		t.Fatalf("migrations: %v", migrations)
	}
	ix, err = Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Problems) > 0 || len(ix.Entries) != 1 {
		t.Fatalf("after migrating: %d entries, problems %v", len(ix.Entries), ix.Problems)
	}
	e := ix.Entries[0]
	m := here
	m.Kernel = "6.18.44-fc-v857"
	if want := RecordPath(m, run); e.Path != want {
		t.Errorf("migrated to %s, want %s", e.Path, want)
	}
	if e.Machine.Hostname != "" {
		t.Errorf("hostname kept: %q", e.Machine.Hostname)
	}
	if e.Machine.Kernel != "6.18.44-fc-v857" {
		t.Errorf("the exact kernel build is recorded, and must stay: %q", e.Machine.Kernel)
	}
	rec, err := e.Record(run)
	if err != nil || string(rec.Trials[0].Commands[0].Stdout.Data) != "newer\n" {
		t.Errorf("the newest record must win: %v %q", err, rec.Trials[0].Commands[0].Stdout.Data)
	}
	if e.Key != machineKey(e.Sources, e.GoVersion, e.Machine) {
		t.Error("the key was not recomputed under the current rule")
	}
	for _, d := range []string{"linux-amd64-2cpu-ext4-6.18.44-fc-v669", "linux-amd64-2cpu-ext4-6.18.44-fc-v857"} {
		if _, err := os.Stat(filepath.Join(root, Dir, d)); !os.IsNotExist(err) {
			t.Errorf("%s still exists", d)
		}
	}
	if again, err := Migrate(root, ix, false); err != nil || len(again) != 0 {
		t.Errorf("a second migration did %v, %v", again, err)
	}
}

// TestForgedRunStaysInStore stores a record whose run leads out of the
// store, digest and all: it is corrupt, and neither Migrate nor Merge
// writes it anywhere.
func TestForgedRunStaysInStore(t *testing.T) {
	root := t.TempDir()
	book := filepath.Join(root, "book")
	src := filepath.Join(root, "artifact")
	run := testRun()
	rec := testRecord(run, here)
	f := newFile(rec, time.Now())
	f.Run = "../../../evil"
	data, err := f.encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(book, Dir, "m", "a"), src} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "x.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := Load(book)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Entries) != 0 || len(ix.Problems) != 1 || !ix.Problems[0].Corrupt {
		t.Fatalf("a forged run loads: %d entries, problems %v", len(ix.Entries), ix.Problems)
	}
	if _, err := Migrate(book, ix, false); err != nil {
		t.Fatal(err)
	}
	m, err := Merge(book, src)
	if err != nil || m.Added != 0 || len(m.Problems) != 1 {
		t.Errorf("merge: %v, %+v", err, m)
	}
	for _, p := range []string{filepath.Join(root, "evil.json"), filepath.Join(book, "evil.json"), filepath.Join(root, "..", "evil.json")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
}

// TestMigrateLeavesNewerRecords keeps a newer litbook's record where an
// old-rule record of the same run would migrate to.
func TestMigrateLeavesNewerRecords(t *testing.T) {
	root := t.TempDir()
	run := testRun()
	m := here
	m.Kernel = "6.18.44-fc-v669"
	rec := testRecord(run, m)
	f := newFile(rec, time.Now())
	f.Key = legacyKey(f.Sources, f.Go, m)
	data, err := f.encode()
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(root, Dir, "linux-amd64-2cpu-ext4-6.18.44-fc-v669", "01-append", "seek.json")
	newer := filepath.Join(root, filepath.FromSlash(RecordPath(m, run)))
	for p, content := range map[string][]byte{old: data, newer: []byte(`{"format": 99}`)} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(root, ix, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(newer); string(got) != `{"format": 99}` {
		t.Errorf("the newer record was replaced by %.60s", got)
	}
	if _, err := os.Stat(old); err != nil {
		t.Errorf("the old record was removed although it could not move: %v", err)
	}
}
