package pipeline

import (
	"context"
	"path/filepath"
	"runtime/debug"
	"sync"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner"
)

// shells identifies the shells that b's runs use (see Runner.Shells),
// starting the probes through rn.
func shells(ctx context.Context, rn *runner.Runner, b *loader.Parsed) string {
	var names []string
	for _, run := range b.Runs {
		for _, c := range run.Calls {
			names = append(names, c.Name)
		}
	}
	return rn.Shells(ctx, filepath.Join(b.Root, ".litbook", "shells.json"), names)
}

// version returns litbook's module version, or its VCS revision when it
// was built from a work tree ("devel+3f2a1b9c4d5e"). It is read once: a
// build asks for it with every record it stores.
var version = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	v := bi.Main.Version
	if v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v = "devel+" + s.Value[:12]
		}
	}
	if v == "(devel)" {
		return "devel"
	}
	return v
})

// Machine returns this machine as a build of b identifies it, without a Go
// version (which is keyed beside the fingerprint): what litbook diff
// compares stored machines with. It starts no process on a machine whose
// shells it has seen.
func (bd *Builder) Machine(ctx context.Context, b *loader.Parsed) (model.Machine, error) {
	rn := &runner.Runner{}
	if bd.Runner != nil {
		bd.Runner(rn) // its Supervisor starts the shells' probes
	}
	m, err := rn.Machine("")
	if err != nil {
		return m, err
	}
	s := &state{bd: bd, ctx: ctx, res: &Result{Book: b}, shells: shells(ctx, rn, b)}
	s.identify(&m)
	return m, nil
}
