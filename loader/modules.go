package loader

import (
	"crypto/sha256"
	"fmt"
	"go/parser"
	"go/token"
	"os"
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
// nothing. It returns the files of the book's packages that programs
// import, directly or not, relative to b.Root and sorted.
func resolveModules(b *model.Book) []string {
	rel := b.Config.GoMod
	if rel == "" {
		rel = "go.mod"
	}
	data, err := fsx.ReadRegular(filepath.Join(b.Root, filepath.FromSlash(rel)))
	if err != nil {
		return nil
	}
	mf, err := modfile.Parse(rel, data, nil)
	if err != nil {
		return nil
	}
	replaced := map[string]string{}
	for _, r := range mf.Replace {
		to := r.New.Path
		if r.New.Version != "" {
			to += " " + r.New.Version
		}
		replaced[r.Old.Path] = " => " + to
	}
	modPath := ""
	if mf.Module != nil {
		modPath = mf.Module.Mod.Path
	}
	local := localPackages{root: filepath.Dir(filepath.Join(b.Root, filepath.FromSlash(rel))), path: modPath, bookRoot: b.Root, files: map[string]bool{}}
	for _, prog := range b.Programs {
		var mods []string
		for _, imp := range imports(prog) {
			if modPath != "" && strings.HasPrefix(imp, modPath+"/") {
				sums, pkgs := local.sum(imp)
				mods = append(mods, sums...)
				prog.BookPackages = append(prog.BookPackages, pkgs...)
				continue
			}
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
		slices.Sort(prog.BookPackages)
		prog.BookPackages = slices.Compact(prog.BookPackages)
	}
	var files []string
	for f := range local.files {
		files = append(files, f)
	}
	slices.Sort(files)
	return files
}

// imports returns the import paths of prog's Go files; files that do not
// parse are the compiler's to report.
func imports(prog *model.Program) []string {
	var out []string
	for _, f := range prog.Files {
		if f.IsGo() {
			out = append(out, fileImports(f.Name, f.Source)...)
		}
	}
	return out
}

// fileImports returns the import paths of one Go file, or none if it does
// not parse.
func fileImports(name string, src []byte) []string {
	af, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
	if err != nil {
		return nil
	}
	var out []string
	for _, is := range af.Imports {
		if p, err := strconv.Unquote(is.Path.Value); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// localPackages digests the packages of the book's own module that
// programs import (an internal/ tree beside book.toml, say), so that a
// run's key changes when the shared code its programs use changes.
type localPackages struct {
	root     string // the module's directory
	path     string // the module's path
	bookRoot string
	files    map[string]bool // the files read, relative to bookRoot
}

// sum returns, for the package imp of the book's module and every package
// of the module it imports, "IMPORTPATH (book) sha256:HEX" of the files of
// its directory, and the import paths of those packages.
func (l *localPackages) sum(imp string) (sums, pkgs []string) {
	var out []string
	var visit func(string)
	seen := map[string]bool{}
	visit = func(imp string) {
		if seen[imp] {
			return
		}
		seen[imp] = true
		dir := filepath.Join(l.root, filepath.FromSlash(strings.TrimPrefix(imp, l.path+"/")))
		h := sha256.New()
		entries, _ := os.ReadDir(dir)
		var next []string
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			data, err := fsx.ReadRegular(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			if r, err := filepath.Rel(l.bookRoot, filepath.Join(dir, e.Name())); err == nil && !strings.HasPrefix(r, "..") {
				l.files[filepath.ToSlash(r)] = true
			}
			fmt.Fprintf(h, "%s %d\n", e.Name(), len(data))
			h.Write(data)
			if strings.HasSuffix(e.Name(), ".go") {
				for _, p := range fileImports(e.Name(), data) {
					if strings.HasPrefix(p, l.path+"/") {
						next = append(next, p)
					}
				}
			}
		}
		out = append(out, fmt.Sprintf("%s (book) sha256:%x", imp, h.Sum(nil)))
		pkgs = append(pkgs, imp)
		for _, p := range next {
			visit(p)
		}
	}
	visit(imp)
	return out, pkgs
}
