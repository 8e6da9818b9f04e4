package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/model"
)

// builtFile records, per program, the hash of the sources it last compiled
// from without error, so that a build compiles only what changed.
const builtFile = ".litbook/built.json"

func readBuilt(root string) map[string]string {
	built := map[string]string{}
	data, err := os.ReadFile(filepath.Join(root, builtFile))
	if err == nil {
		// A damaged file only means compiling again.
		_ = json.Unmarshal(data, &built)
	}
	return built
}

func writeBuilt(root string, built map[string]string) error {
	data, err := json.MarshalIndent(built, "", "  ")
	if err != nil {
		return err
	}
	return fsx.WriteAtomic(filepath.Join(root, builtFile), true, data)
}

// programHashes returns what each program of b compiles from, by name.
func programHashes(b *model.Book, goVersion string) map[string]string {
	gomod := b.Config.GoMod
	if gomod == "" {
		gomod = "go.mod"
	}
	var module []byte
	for _, name := range []string{gomod, filepath.Join(filepath.Dir(gomod), "go.sum")} {
		data, _ := fsx.ReadRegular(filepath.Join(b.Root, filepath.FromSlash(name)))
		module = fmt.Appendf(module, "%s %d\n%s", name, len(data), data)
	}
	out := make(map[string]string, len(b.Programs))
	for _, prog := range b.Programs {
		out[prog.Name] = programHash(prog, goVersion, module)
	}
	return out
}

// binaryHashes returns, by program name, what identifies a binary of each
// program of b: its hash (hashes, from programHashes) and the chapter lines
// its code is at, which the binary holds (its //line directives). A binary
// is run again without compiling only if both are as they are now, so that
// a run never sees the line numbers of an older version of the chapter.
func binaryHashes(b *model.Book, hashes map[string]string) map[string]string {
	out := make(map[string]string, len(b.Programs))
	for _, prog := range b.Programs {
		h := sha256.New()
		fmt.Fprintf(h, "%s\n%s\n", hashes[prog.Name], prog.Chapter.Path)
		for _, f := range prog.Files {
			fmt.Fprintf(h, "%s %v\n", f.Name, f.Lines)
		}
		out[prog.Name] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// programHash identifies what prog compiles from: its files, the module it
// is built in (module: go.mod and go.sum as programHashes reads them, and
// the book's packages it imports) and the toolchain. Not the lines its
// code is at: editing prose compiles nothing, and a program compiles
// whenever a run that calls it executes, unless its binary has the lines
// it has now (binaryHashes), so a run never sees the line numbers (the
// //line directives) of an older version of the chapter.
func programHash(prog *model.Program, goVersion string, module []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", goVersion, prog.Name)
	h.Write(module)
	for _, f := range prog.Files {
		fmt.Fprintf(h, "%s %d\n%s", f.Name, len(f.Source), f.Source)
	}
	// The book's own packages it imports, by digest.
	fmt.Fprintf(h, "%q\n", prog.Modules)
	return hex.EncodeToString(h.Sum(nil))
}
