package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/litbook/litbook/internal/fsx"
)

// Merged is what Merge did.
type Merged struct {
	Added, Replaced, Same, Older int
	Problems                     []*Problem // files of src that are not usable records
}

func (m Merged) String() string {
	return fmt.Sprintf("%d record%s added, %d replaced by newer ones, %d already there, %d older than the one there", m.Added, plural(m.Added), m.Replaced, m.Same, m.Older)
}

// Merge copies the records found anywhere under src (a results directory,
// a machine directory, or the unpacked artifacts of several builds) into
// the store under root, each to the place its own content names (its
// machine's directory and its run), so that the layout of src does not
// matter. A record already there is kept if it is the same or newer; a
// newer one replaces it. Files of src that are not valid records are
// reported, not copied. The caller must hold the book's lock.
func Merge(root, src string) (Merged, error) {
	var m Merged
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		e, prob := readEntry(p, filepath.ToSlash(rel))
		if prob != nil {
			prob.Path = p
			m.Problems = append(m.Problems, prob)
			return nil
		}
		target := path.Join(Dir, MachineDir(e.Machine), e.RunID+".json")
		if !within(target) {
			return fmt.Errorf("%s: its run %q leads out of %s", p, e.RunID, Dir)
		}
		dst := filepath.Join(root, filepath.FromSlash(target))
		if old, oprob := readEntry(dst, target); oprob == nil {
			switch {
			case old.file.Digest == e.file.Digest:
				m.Same++
				return nil
			case !e.Stored.After(old.Stored):
				m.Older++
				return nil
			}
			m.Replaced++
		} else if errors.Is(statErr(dst), fs.ErrNotExist) {
			m.Added++
		} else if oprob.Newer {
			return fmt.Errorf("%s: %s", target, oprob.Msg)
		} else {
			m.Replaced++ // a corrupt record gives way
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return fsx.WriteAtomic(dst, true, data)
	})
	return m, err
}

func statErr(p string) error {
	_, err := os.Stat(p)
	return err
}
