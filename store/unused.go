package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/litbook/litbook/model"
)

// Why a results file can go.
const (
	GoneRun   = "the book has no such run"
	OldSource = "measured from earlier sources than the run's"
	Broken    = "corrupt or left by an interrupted build"
)

// Removable is a results file that a book no longer needs.
type Removable struct {
	Path string // relative to the book's root, slash-separated
	Why  string // GoneRun, OldSource or Broken
}

// Unused lists the files of the store under root that book b no longer
// needs, on every machine: records of runs b does not have, corrupt
// records and the copies a build kept of them (NAME.json.corrupt-*),
// temporary files of interrupted builds, and, with stale, records measured from sources
// other than their run's current ones, which neither -frozen nor diff can
// use. Records written by a newer litbook are never listed.
func Unused(root string, ix *Index, b *model.Book, stale bool) ([]Removable, error) {
	current := map[string]string{} // run ID → its current sources
	for _, run := range b.Runs {
		_, sources := Key(run, b.Config, "", model.Machine{})
		current[run.ID] = sources
	}
	var out []Removable
	for _, e := range ix.Entries {
		sources, ok := current[e.RunID]
		switch {
		case !ok:
			out = append(out, Removable{e.Path, GoneRun})
		case stale && e.Sources != sources:
			out = append(out, Removable{e.Path, OldSource})
		}
	}
	for _, prob := range ix.Problems {
		if prob.Corrupt {
			out = append(out, Removable{prob.Path, Broken})
		}
	}
	err := filepath.WalkDir(filepath.Join(root, Dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		name := d.Name()
		if d.IsDir() || !(strings.Contains(name, ".json.corrupt-") || strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, Removable{filepath.ToSlash(rel), Broken})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// Remove removes the files of list from the store under root, and the
// directories that it empties.
func Remove(root string, list []Removable) error {
	dirs := map[string]bool{}
	for _, r := range list {
		p := filepath.Join(root, filepath.FromSlash(r.Path))
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		dirs[filepath.Dir(filepath.Dir(p))] = true
	}
	for d := range dirs {
		removeEmpty(d)
	}
	return nil
}
