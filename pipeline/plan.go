package pipeline

import (
	"fmt"
	"sort"
	"strings"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
)

// Decision is what a build does about one run.
type Decision int

const (
	// Reuse: this machine's stored record has the run's current key.
	Reuse Decision = iota
	// Thaw: -frozen, and a machine measured the run's current sources.
	Thaw
	// Execute: compile what the run calls and run it.
	Execute
	// Missing: -frozen, and no machine measured the run's current sources.
	Missing
	// Refused: the record in the run's place was written by a newer
	// litbook, which this one must not overwrite.
	Refused
	// Elsewhere: the run must execute, and another shard executes it.
	Elsewhere
)

var decisionNames = [...]string{Reuse: "reuse", Thaw: "thaw", Execute: "execute", Missing: "missing", Refused: "refused", Elsewhere: "elsewhere"}

func (d Decision) String() string {
	if int(d) < len(decisionNames) {
		return decisionNames[d]
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// RunPlan is the decision about one run, with what it rests on.
type RunPlan struct {
	Run      *model.Run
	Decision Decision
	// Key and Sources are the run's store key on this machine and the
	// digest of what it runs (see package store).
	Key, Sources string
	// Record is the stored record, for Reuse and Thaw.
	Record *model.Record
	// Note says why a stored record was not reused (it does not fit the
	// run), for the user; Err is the problem of a Missing or Refused run.
	Note string
	Err  *model.Error
}

// ProgramPlan says whether a program compiles in this build.
type ProgramPlan struct {
	Program *model.Program
	Compile bool
	Hash    string // what it compiles from; see programHash
}

// Plan is what a build will do: for every run of the book (in book order)
// whether its record comes from the store or from running it, and for
// every program whether it must compile.
type Plan struct {
	Runs     []RunPlan     // parallel to Book.Runs
	Programs []ProgramPlan // parallel to Book.Programs
}

// PlanInput is everything a plan is decided from. Making a plan reads no
// file and starts no process: the store's index and the hashes of the
// programs are read beforehand.
type PlanInput struct {
	Book      *model.Book
	Index     *store.Index
	Machine   model.Machine // this machine
	GoVersion string        // "" with Frozen
	Rerun     bool          // run everything
	// Current names the programs whose binaries were compiled from the
	// sources they have now (runner.Runner.Current): a run that executes
	// needs no compilation of them.
	Current map[string]bool
	Frozen  bool // run nothing
	// Hashes are the programs' current hashes, Built those they last
	// compiled from without error, both by program name.
	Hashes, Built map[string]string
	// Shard, when its N is above 1, executes only the runs of shard I of
	// N (see Shard.Has).
	Shard Shard
}

// Shard is one of N parts of a book's runs, numbered from 1: the runs
// whose index in the book, counted from 0, is I-1 modulo N. Every machine
// computes the same parts, so N shards together execute every run exactly
// once, and their results merge into one machine's directory.
type Shard struct{ I, N int }

// Has reports whether the run at index i of the book belongs to s. Every
// run belongs to the zero Shard.
func (s Shard) Has(i int) bool { return s.N <= 1 || i%s.N == s.I-1 }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// MakePlan decides, for every run and program of in.Book, what the build
// does. A run executes when this machine has no record with its key (or
// with Rerun); with Frozen, no run executes and a run that no machine
// measured from its current sources is Missing. A program compiles when a
// run that executes calls it and its binary is not current, or when it has
// not compiled as it is now: a program that no run calls must compile too.
func MakePlan(in PlanInput) *Plan {
	b := in.Book
	p := &Plan{Runs: make([]RunPlan, len(b.Runs)), Programs: make([]ProgramPlan, len(b.Programs))}
	var thawFrom []model.Machine
	if in.Frozen {
		thawFrom = frozenMachines(in.Index, in.Machine)
	}
	need := map[*model.Program]bool{}
	for i, run := range b.Runs {
		rp := &p.Runs[i]
		rp.Run = run
		rp.Key, rp.Sources = store.Key(run, b.Config, in.GoVersion, in.Machine)
		if prob := in.Index.Problem(store.RecordPath(in.Machine, run)); prob != nil && prob.Newer && !in.Frozen {
			rp.Decision, rp.Err = Refused, model.Errorf(run.Pos, "%v", prob)
			continue
		}
		switch {
		case in.Frozen:
			thaw(rp, in.Index, thawFrom)
		case in.Rerun:
			rp.Decision = Execute
		default:
			rp.Decision = Execute
			if e := in.Index.Find(run.ID, rp.Key); e != nil {
				if rec, err := e.Record(run); err == nil {
					rp.Decision, rp.Record = Reuse, rec
				} else {
					rp.Note = fmt.Sprintf("%v: measuring again", err)
				}
			}
		}
		if rp.Decision == Execute && !in.Shard.Has(i) {
			rp.Decision = Elsewhere
		}
		if rp.Decision == Execute {
			for _, prog := range run.Programs {
				need[prog] = true
			}
		}
	}
	for i, prog := range b.Programs {
		h := in.Hashes[prog.Name]
		p.Programs[i] = ProgramPlan{
			Program: prog,
			Hash:    h,
			// A shard compiles only what its runs call: another shard
			// compiles the rest.
			Compile: !in.Frozen && (need[prog] && !in.Current[prog.Name] || in.Built[prog.Name] != h && in.Shard.N <= 1),
		}
	}
	return p
}

// thaw gives rp a record from the first machine of from that measured its
// current sources, or makes it Missing.
func thaw(rp *RunPlan, ix *store.Index, from []model.Machine) {
	run := rp.Run
	var why []string
	for _, m := range from {
		e := ix.FindSources(run.ID, rp.Sources, m)
		if e == nil {
			continue
		}
		rec, err := e.Record(run)
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		rp.Decision, rp.Record = Thaw, rec
		return
	}
	msg := fmt.Sprintf("run %s has no stored result for its current sources, and -frozen never runs anything%s", run.Name, staleHint(ix, run))
	if len(why) > 0 {
		msg += " (" + strings.Join(why, "; ") + ")"
	}
	rp.Decision, rp.Err = Missing, model.Errorf(run.Pos, "%s", msg)
}

// Count returns how many runs the plan gives decision d.
func (p *Plan) Count(d Decision) int {
	n := 0
	for _, rp := range p.Runs {
		if rp.Decision == d {
			n++
		}
	}
	return n
}

// Compiles returns the programs the plan compiles, in book order.
func (p *Plan) Compiles() []*model.Program {
	var out []*model.Program
	for _, pp := range p.Programs {
		if pp.Compile {
			out = append(out, pp.Program)
		}
	}
	return out
}

// Errors returns the problems of Missing and Refused runs.
func (p *Plan) Errors() model.ErrorList {
	var errs model.ErrorList
	for _, rp := range p.Runs {
		if rp.Err != nil {
			errs = append(errs, rp.Err)
		}
	}
	return errs
}

// frozenMachines returns the machines -frozen takes records from, in order
// of preference: this one if it has records, then those with the most
// records, most recent first, so that a chapter's values come from as few
// machines as possible.
func frozenMachines(ix *store.Index, here model.Machine) []model.Machine {
	infos := ix.Machines()
	sort.SliceStable(infos, func(i, j int) bool {
		hi, hj := store.SameMachine(infos[i].Machine, here), store.SameMachine(infos[j].Machine, here)
		if hi != hj {
			return hi
		}
		if infos[i].Records != infos[j].Records {
			return infos[i].Records > infos[j].Records
		}
		return infos[i].Last.After(infos[j].Last)
	})
	out := make([]model.Machine, len(infos))
	for i, mi := range infos {
		out[i] = mi.Machine
	}
	return out
}

// staleHint says which machines measured an earlier version of run.
func staleHint(ix *store.Index, run *model.Run) string {
	var machines []string
	for _, e := range ix.Entries {
		if e.RunID == run.ID {
			machines = append(machines, store.MachineDir(e.Machine))
		}
	}
	if len(machines) == 0 {
		return ""
	}
	return fmt.Sprintf(" (results of an earlier version exist from %s)", strings.Join(machines, ", "))
}
