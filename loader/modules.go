package loader

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/model"
	"golang.org/x/mod/modfile"
)

// resolveModules sets, for every program of b, the modules of the book's
// go.mod that its imports resolve to, with their versions (and their
// replacements), so that a run's key changes when a dependency its
// programs use is bumped, and only then. A book without a go.mod, or whose
// go.mod does not parse (the compiler reports it at its line), resolves
// nothing.
func resolveModules(b *model.Book) {
	rel := b.Config.GoMod
	if rel == "" {
		rel = "go.mod"
	}
	data, err := fsx.ReadRegular(filepath.Join(b.Root, filepath.FromSlash(rel)))
	if err != nil {
		return
	}
	mf, err := modfile.Parse(rel, data, nil)
	if err != nil {
		return
	}
	replaced := map[string]string{}
	for _, r := range mf.Replace {
		to := r.New.Path
		if r.New.Version != "" {
			to += " " + r.New.Version
		}
		replaced[r.Old.Path] = " => " + to
	}
	for _, prog := range b.Programs {
		var mods []string
		for _, imp := range imports(prog) {
			best := ""
			for _, req := range mf.Require {
				p := req.Mod.Path
				if (imp == p || strings.HasPrefix(imp, p+"/")) && len(p) > len(best) {
					best = p
				}
			}
			if best == "" {
				continue // the standard library, or the book's own module
			}
			for _, req := range mf.Require {
				if req.Mod.Path == best {
					mods = append(mods, best+" "+req.Mod.Version+replaced[best])
				}
			}
		}
		slices.Sort(mods)
		prog.Modules = slices.Compact(mods)
	}
}

// imports returns the import paths of prog's Go files; files that do not
// parse are the compiler's to report.
func imports(prog *model.Program) []string {
	var out []string
	fset := token.NewFileSet()
	for _, f := range prog.Files {
		if !strings.HasSuffix(f.Name, ".go") {
			continue
		}
		af, err := parser.ParseFile(fset, f.Name, f.Source, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, is := range af.Imports {
			if p, err := strconv.Unquote(is.Path.Value); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}
