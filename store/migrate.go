package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/litbook/litbook/internal/fsx"
)

// Migration is what Migrate did to one machine directory.
type Migration struct {
	From, To string // machine directories under Dir
	Records  int    // records moved or rewritten
	Dropped  int    // older records of runs that To already had
}

func (m Migration) String() string {
	s := fmt.Sprintf("%s/%s: %d record%s rewritten", Dir, m.From, m.Records, plural(m.Records))
	if m.From != m.To {
		s = fmt.Sprintf("%s/%s: %d record%s moved to %s/%s", Dir, m.From, m.Records, plural(m.Records), Dir, m.To)
	}
	if m.Dropped > 0 {
		s += fmt.Sprintf(" (%d older duplicate%s removed)", m.Dropped, plural(m.Dropped))
	}
	return s
}

// Migrate brings the records in ix under the current rule: each goes to
// the directory MachineDir names for its machine (directories named by an
// earlier rule, such as one per kernel build, merge, the newest record of
// a run winning), its key is recomputed under the current fingerprint, and
// its hostname is dropped unless keepHostname. Every file is rewritten
// atomically before the one it replaces is removed, so an interrupted
// migration loses nothing and the next one finishes it. The caller must
// hold the book's lock and reload the index when something changed.
func Migrate(root string, ix *Index, keepHostname bool) ([]Migration, error) {
	type move struct {
		e    *Entry
		want string
	}
	byWant := map[string][]move{}
	stale := map[string]bool{}
	var wants []string
	for _, e := range ix.Entries {
		want := path.Join(Dir, MachineDir(e.Machine), e.RunID+".json")
		// A record already right still competes with those moving to it.
		byWant[want] = append(byWant[want], move{e, want})
		if e.Path != want || machineKey(e.Sources, e.GoVersion, e.Machine) != e.Key || (e.Machine.Hostname != "" && !keepHostname) {
			if !stale[want] {
				wants = append(wants, want)
			}
			stale[want] = true
		}
	}
	sort.Strings(wants)
	stats := map[[2]string]*Migration{}
	var order [][2]string
	for _, want := range wants {
		moves := byWant[want]
		if p := ix.Problem(want); p != nil && p.Newer || !within(want) {
			continue // a newer litbook's record is never replaced
		}
		newest := moves[0].e
		for _, m := range moves[1:] {
			if m.e.Stored.After(newest.Stored) {
				newest = m.e
			}
		}
		f := *newest.file
		if !keepHostname {
			f.Machine.Hostname = ""
		}
		f.Key = machineKey(f.Sources, f.Go, f.Machine.model(f.Go))
		data, err := f.encode()
		if err != nil {
			return nil, err
		}
		if err := fsx.WriteAtomic(filepath.Join(root, filepath.FromSlash(want)), true, data); err != nil {
			return nil, fmt.Errorf("migrating %s: %w", newest.Path, err)
		}
		for _, m := range moves {
			from := EntryDir(m.e)
			k := [2]string{from, path.Base(path.Dir(path.Dir(want)))}
			st := stats[k]
			if st == nil {
				st = &Migration{From: k[0], To: k[1]}
				stats[k] = st
				order = append(order, k)
			}
			if m.e == newest {
				st.Records++
			} else {
				st.Dropped++
			}
			if m.e.Path != want {
				if err := os.Remove(filepath.Join(root, filepath.FromSlash(m.e.Path))); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return nil, err
				}
			}
		}
	}
	// Remove the directories that moving emptied.
	for _, k := range order {
		removeEmpty(filepath.Join(root, Dir, k[0]))
	}
	out := make([]Migration, len(order))
	for i, k := range order {
		out[i] = *stats[k]
	}
	return out, nil
}

// removeEmpty removes dir and the directories under it that hold nothing.
func removeEmpty(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			removeEmpty(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir) // fails unless empty
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
