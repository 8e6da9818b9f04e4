package runner

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/litbook/litbook/model"
)

// Check reports every command that a transcript calls but that is neither
// a program of its chapter, nor one of another chapter that its block
// names in uses=, nor an executable on the run's PATH, before anything
// runs. A run sees only the programs of its own chapter and those it says
// it uses, so that a reader finds every program a transcript calls on the
// same page, or named on its block.
func (r *Runner) Check(b *model.Book) error {
	byName := map[string]*model.Program{}
	for _, p := range b.Programs {
		byName[p.Name] = p
	}
	dirs := filepath.SplitList(systemPath)
	// The Go toolchain comes first on a run's PATH. Check starts no
	// process: where the toolchain is not known without asking go env,
	// go itself is taken to be there, since it builds the programs.
	r.goRootMu.Lock()
	goRoot := r.localGoRoot(b)
	r.goRootMu.Unlock()
	if goRoot != "" {
		dirs = append([]string{filepath.Join(goRoot, "bin")}, dirs...)
	}
	var errs model.ErrorList
	for _, run := range b.Runs {
		for _, c := range run.Calls {
			p := byName[c.Name]
			switch {
			case p != nil && (p.Chapter == run.Chapter || slices.Contains(run.Uses, p)):
				continue
			case onPath(c.Name, dirs), goRoot == "" && c.Name == "go":
				continue // a system command, even if another chapter has a program of that name
			case p != nil:
				errs.Add(c.Pos, "run calls %q, a program of %s: a run sees only its own chapter's programs and those its block names in uses= (add uses=%s/%s to the block)", c.Name, p.Chapter.Path, p.Chapter.Slug, p.Name)
				continue
			}
			var names []string
			for _, p := range run.Chapter.Programs {
				names = append(names, p.Name)
			}
			known := "the chapter defines no programs"
			if len(names) > 0 {
				known = "the chapter's programs: " + strings.Join(names, ", ")
			}
			errs.Add(c.Pos, "run calls %q, which is neither a program of this chapter nor a command on PATH (%s)", c.Name, known)
		}
	}
	return errs.Err()
}

func onPath(name string, dirs []string) bool {
	for _, d := range dirs {
		if fi, err := os.Stat(filepath.Join(d, name)); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}

// CommandPaths returns every path where a command that b's runs call may
// be found on the run's PATH, /bin/sh first: whether each exists, and
// which one it is, decides what Check says and what the runs execute.
func CommandPaths(b *model.Book) []string {
	out := []string{"/bin/sh"}
	seen := map[string]bool{}
	for _, run := range b.Runs {
		for _, c := range run.Calls {
			if seen[c.Name] {
				continue
			}
			seen[c.Name] = true
			for _, d := range filepath.SplitList(systemPath) {
				out = append(out, filepath.Join(d, c.Name))
			}
		}
	}
	return out
}
