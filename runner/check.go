package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/litbook/litbook/model"
)

// Check reports every command that a transcript calls but that is neither a
// program of the book nor an executable on the run's PATH, before anything
// runs.
func (r *Runner) Check(b *model.Book) error {
	programs := map[string]bool{}
	var names []string
	for _, p := range b.Programs {
		programs[p.Name] = true
		names = append(names, p.Name)
	}
	dirs := filepath.SplitList(sandboxPath(""))[1:]
	var errs model.ErrorList
	for _, run := range b.Runs {
		for _, c := range run.Calls {
			if programs[c.Name] || onPath(c.Name, dirs) {
				continue
			}
			known := "the book defines no programs"
			if len(names) > 0 {
				known = "the book's programs: " + strings.Join(names, ", ")
			}
			errs = append(errs, &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("run calls %q, which is neither a program of the book nor a command on PATH (%s)", c.Name, known)})
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
