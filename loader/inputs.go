package loader

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/litbook/litbook/internal/inputs"
	"github.com/litbook/litbook/model"
)

// inputSpec is what a run block's stdin= and files= name, as written,
// until load resolves them against the book's root.
type inputSpec struct {
	stdin    string
	stdinPos model.Pos
	files    []string
	filesPos []model.Pos
}

// envNameRE is a variable name the shell can export.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envReserved are the variables that litbook sets for every run and that
// env= may not change: they name the run's own directories, its PATH
// (which the build checks the transcript's commands against) and its
// token. A transcript may still change them with export.
var envReserved = map[string]string{
	"PATH":        "the build checks the transcript's commands against it",
	"HOME":        "it is the run's directory",
	"TMPDIR":      "it is the run's own temporary directory",
	"LITBOOK_RUN": "it identifies the run's processes",
}

// runInputAttr handles the attributes stdin=, files=, env= and network of
// run block r, and reports whether a was valid.
func (st *chapterState) runInputAttr(r *model.Run, a attr, pos model.Pos) bool {
	spec := func() *inputSpec {
		if st.inputs == nil {
			st.inputs = map[*model.Run]*inputSpec{}
		}
		if st.inputs[r] == nil {
			st.inputs[r] = &inputSpec{}
		}
		return st.inputs[r]
	}
	switch a.Key {
	case "network":
		if a.HasValue {
			st.errs.Add(pos, "network takes no value")
			return false
		}
		r.Network = true
	case "stdin":
		if a.Value == "" {
			st.errs.Add(pos, "stdin= needs a file of the book, relative to the chapter: stdin=input.txt")
			return false
		}
		if s := spec(); s.stdin != "" {
			st.errs.Add(pos, "stdin= is given twice: a run has one standard input")
			return false
		}
		spec().stdin, spec().stdinPos = a.Value, pos
	case "files":
		if a.Value == "" {
			st.errs.Add(pos, "files= needs files or directories of the book, relative to the chapter, separated by commas: files=in.txt,data/")
			return false
		}
		for _, f := range strings.Split(a.Value, ",") {
			if strings.TrimSpace(f) == "" {
				st.errs.Add(pos, "files=%q has an empty name: separate files with single commas, as in files=in.txt,data/", a.Value)
				return false
			}
			spec().files = append(spec().files, strings.TrimSpace(f))
			spec().filesPos = append(spec().filesPos, pos)
		}
	case "env":
		vars, err := parseEnv(a.Value)
		if err != nil {
			st.errs.Add(pos, "%v", err)
			return false
		}
		for _, v := range vars {
			name, _, _ := strings.Cut(v, "=")
			for _, old := range r.Env {
				if strings.HasPrefix(old, name+"=") {
					st.errs.Add(pos, "env= sets %s twice", name)
					return false
				}
			}
			r.Env = append(r.Env, v)
		}
	}
	return true
}

// parseEnv parses the value of env=: NAME=VALUE, several separated by
// commas. A comma followed by anything but NAME= belongs to the value, so
// that env=LIST=a,b sets LIST to "a,b"; a value with blanks is quoted as
// a whole: env="GREETING=hello there".
func parseEnv(v string) ([]string, error) {
	if v == "" {
		return nil, fmt.Errorf("env= needs NAME=VALUE, or several separated by commas: env=GREETING=hello,COUNT=3")
	}
	var vars []string
	for _, part := range strings.Split(v, ",") {
		name, _, isVar := strings.Cut(part, "=")
		if isVar && envNameRE.MatchString(name) || len(vars) == 0 {
			if !isVar || !envNameRE.MatchString(name) {
				return nil, fmt.Errorf("env=%q: %q is not NAME=VALUE (a name is letters, digits and '_', not starting with a digit)", v, part)
			}
			if why, ok := envReserved[name]; ok {
				return nil, fmt.Errorf("env=%q: litbook sets %s for every run, and env= may not change it: %s (a command may, with export)", v, name, why)
			}
			vars = append(vars, part)
			continue
		}
		vars[len(vars)-1] += "," + part
	}
	return vars, nil
}

// resolveInputs resolves the stdin= and files= of the chapter's run
// blocks against the book's root: each must be a file (files= also a
// directory) of the book, which the run's key then covers by content.
func (st *chapterState) resolveInputs(root string, errs *model.ErrorList) {
	for _, r := range st.ch.Runs {
		spec := st.inputs[r]
		if spec == nil || (r.Family != nil && r.Family[0] != r) {
			continue
		}
		dir := path.Dir(st.ch.Path)
		if spec.stdin != "" {
			in, err := resolveInput(root, dir, spec.stdin, false)
			if err != nil {
				errs.Add(spec.stdinPos, "stdin=%s: %v", spec.stdin, err)
			} else {
				r.Stdin = in
			}
		}
		names := map[string]string{}
		for i, f := range spec.files {
			in, err := resolveInput(root, dir, f, true)
			if err != nil {
				errs.Add(spec.filesPos[i], "files=: %s: %v", f, err)
				continue
			}
			if other, dup := names[in.Name]; dup {
				errs.Add(spec.filesPos[i], "files=: %s and %s would both be %s in the run directory", other, f, in.Name)
				continue
			}
			names[in.Name] = f
			r.Files = append(r.Files, *in)
		}
		for _, v := range r.Family {
			v.Stdin, v.Files = r.Stdin, r.Files
		}
	}
}

// resolveInput resolves rel, written in a chapter of directory dir, to a
// file of the book (or a directory, if dirOK) and digests its content.
func resolveInput(root, dir, rel string, dirOK bool) (*model.Input, error) {
	if path.IsAbs(rel) || filepath.IsAbs(rel) || strings.Contains(rel, "\\") {
		return nil, fmt.Errorf("write a path relative to the chapter, with '/'")
	}
	p := path.Clean(path.Join(dir, rel))
	switch {
	case p == ".." || strings.HasPrefix(p, "../"):
		return nil, fmt.Errorf("%s is outside the book", p)
	case p == ".":
		return nil, fmt.Errorf("that is the whole book: name the files or directories a run needs")
	case p == ".litbook" || strings.HasPrefix(p, ".litbook/") || p == ".git" || strings.HasPrefix(p, ".git/"):
		return nil, fmt.Errorf("%s is litbook's or git's, not the book's", p)
	}
	abs := filepath.Join(root, filepath.FromSlash(p))
	fi, err := os.Lstat(abs)
	if err != nil {
		return nil, fmt.Errorf("%s does not exist", p)
	}
	if err := insideBookFile(root, p); err != nil {
		return nil, err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		// The runner copies files, never links: name the file itself.
		return nil, fmt.Errorf("%s is a symbolic link: name the file it leads to", p)
	}
	in := &model.Input{Path: p, Name: path.Base(p), Dir: fi.IsDir()}
	switch {
	case fi.IsDir() && !dirOK:
		return nil, fmt.Errorf("%s is a directory; standard input must be a file", p)
	case !fi.IsDir() && !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	if in.Digest, err = inputs.Digest(abs); err != nil {
		return nil, err
	}
	return in, nil
}

// lastForeground returns the last command of cmds that is not in the
// background; cmds has one.
func lastForeground(cmds []*model.Command) *model.Command {
	for j := len(cmds) - 1; j >= 0; j-- {
		if !cmds[j].Background {
			return cmds[j]
		}
	}
	return nil
}
