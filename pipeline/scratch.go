package pipeline

import (
	"fmt"
	"slices"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
)

// ScratchTypes returns the filesystems (fs=) that the runs the plan
// executes ask for, in book order.
func (p *Plan) ScratchTypes() []string {
	var types []string
	for _, rp := range p.Runs {
		if rp.Decision == Execute && rp.Run.FS != "" && !slices.Contains(types, rp.Run.FS) {
			types = append(types, rp.Run.FS)
		}
	}
	return types
}

// RefuseFS deals with each run the plan executes on a filesystem (fs=)
// that this machine cannot make: cannot(fs) says why, or returns nil if
// it can. The run takes the record another machine stored for its
// current sources (Thaw), and its Note says so, once per block and
// reason; a run that no machine measured is Missing, with an error at its
// block's line. A run never executes on another filesystem than the one
// its block asks for.
func (p *Plan) RefuseFS(ix *store.Index, here model.Machine, cannot func(fs string) error) {
	from := frozenMachines(ix, here)
	said := map[string]bool{}
	for i := range p.Runs {
		rp := &p.Runs[i]
		run := rp.Run
		if rp.Decision != Execute || run.FS == "" {
			continue
		}
		why := cannot(run.FS)
		if why == nil {
			continue
		}
		for _, m := range from {
			e := ix.FindSources(run.ID, rp.Sources, m)
			if e == nil {
				continue
			}
			if rec, err := e.Record(run); err == nil {
				rp.Decision, rp.Record = Thaw, rec
				break
			}
		}
		if rp.Decision != Thaw {
			rp.Decision = Missing
			rp.Err = model.Errorf(run.Pos, "run %s is on %s (fs=), which litbook cannot make on this machine (%v), and no machine has stored a result of it for its current sources", run.Name, run.FS, why)
			continue
		}
		if key := fmt.Sprintf("%s\x00%v", run.Pos, why); !said[key] {
			said[key] = true
			rp.Note = fmt.Sprintf("%s: litbook cannot make %s on this machine (%v): showing results of this block measured on %s", run.Pos, run.FS, why, store.EntryDir(&store.Entry{Path: rp.Record.Path, Machine: rp.Record.Machine}))
		}
	}
}
