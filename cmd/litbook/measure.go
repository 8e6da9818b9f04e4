package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner"
	"github.com/litbook/litbook/store"
)

// measured is a loaded book with a record for each of its runs.
type measured struct {
	book    *loader.Book
	records []*model.Record // parallel to book.Runs
	machine model.Machine   // this machine
	index   *store.Index    // the results store
	// What the build did.
	compiled, ran, trials, stored int
}

// measure loads the book in bookDir, calls check (if any) on it, and gives
// every run a record: from the results store when its key matches (or, with
// -frozen, when any machine measured its current sources), otherwise by
// compiling the programs it calls and running it, storing each record as
// soon as it is complete. It holds the book's lock from before loading until
// done(), which the caller calls after publishing. The error lists every
// failure.
func measure(ctx context.Context, e *env, o *options, bookDir, what string, check func(*loader.Book) error) (m *measured, done func(), err error) {
	b, err := loader.LoadConfig(bookDir)
	if err != nil {
		b = nil // the full load below reports it with the chapters' errors
	}
	done = func() {}
	if b != nil {
		unlock, lerr := lockBook(ctx, b.Root, what, e.stderr)
		if lerr != nil {
			return nil, nil, lerr
		}
		done = unlock
		defer func() {
			if err != nil {
				unlock()
			}
		}()
	}
	if b, err = loader.Load(bookDir); err != nil {
		return nil, nil, err
	}
	if check != nil {
		if err := check(b); err != nil {
			return nil, nil, err
		}
	}
	p := newProgress(e.stderr)
	defer p.stop()
	rn := &runner.Runner{Jobs: o.jobs, Progress: p.event}
	if err := rn.Check(b.Book); err != nil {
		return nil, nil, err
	}
	// -frozen compiles nothing and matches records by their sources, which
	// do not depend on the toolchain: it needs no Go at all.
	gover := ""
	if !o.frozen {
		if gover, err = rn.GoVersion(ctx, b.Book); err != nil {
			return nil, nil, err
		}
	}
	mach, err := rn.Machine(gover)
	if err != nil {
		return nil, nil, err
	}
	ix, err := store.Load(b.Root)
	if err != nil {
		return nil, nil, err
	}
	m = &measured{book: b, records: make([]*model.Record, len(b.Runs)), machine: mach, index: ix}
	for _, prob := range ix.Problems {
		fmt.Fprintf(e.stderr, "litbook: %s\n", prob)
	}

	// Decide, run by run, whether the store has its record.
	keys := map[*model.Run][2]string{}
	var missing model.ErrorList
	var toRun []*model.Run
	var frozenFrom []model.Machine
	if o.frozen {
		frozenFrom = frozenMachines(b, ix, mach)
	}
	for i, run := range b.Runs {
		key, sources := store.Key(run, b.Config, gover, mach)
		keys[run] = [2]string{key, sources}
		if p := ix.Problem(store.RecordPath(mach, run)); p != nil && p.Newer && !o.frozen {
			// Measuring it would mean replacing a newer litbook's record.
			missing.Add(run.Pos, "%v", p)
			continue
		}
		switch {
		case o.frozen:
			var why []string
			for _, fm := range frozenFrom {
				entry := ix.FindSources(run.ID, sources, fm)
				if entry == nil {
					continue
				}
				rec, err := entry.Record(run)
				if err != nil {
					why = append(why, err.Error())
					continue
				}
				m.records[i] = rec
				break
			}
			if m.records[i] == nil {
				msg := fmt.Sprintf("run %s has no stored result for its current sources, and -frozen never runs anything%s", run.Name, staleHint(ix, run))
				if len(why) > 0 {
					msg += " (" + strings.Join(why, "; ") + ")"
				}
				missing.Add(run.Pos, "%s", msg)
			}
		case o.rerun:
			toRun = append(toRun, run)
		default:
			entry := ix.Find(run.ID, key)
			if entry == nil {
				toRun = append(toRun, run)
				continue
			}
			rec, err := entry.Record(run)
			if err != nil {
				fmt.Fprintf(e.stderr, "litbook: %v: measuring again\n", err)
				toRun = append(toRun, run)
				continue
			}
			m.records[i] = rec
		}
	}
	if err := missing.Err(); err != nil {
		return nil, nil, err
	}

	// Compile what the runs to execute call, and every program that has
	// not compiled as it is now: a program no run calls must compile too.
	var programs []*model.Program
	built := readBuilt(b.Root)
	if !o.frozen {
		need := map[*model.Program]bool{}
		for _, run := range toRun {
			for _, prog := range run.Programs {
				need[prog] = true
			}
		}
		for _, prog := range b.Programs {
			if need[prog] || built[prog.Name] != programHash(b, prog, gover) {
				programs = append(programs, prog)
			}
		}
	}
	if len(toRun) == 0 && len(programs) == 0 {
		fmt.Fprintf(e.stderr, "nothing to run: %s\n", fromStore(len(b.Runs), m.records, mach))
		if !o.frozen {
			if err := m.prune(); err != nil {
				return nil, nil, err
			}
		}
		if err := b.Check(m.records); err != nil {
			return nil, nil, err
		}
		return m, done, nil
	}
	progs, err := rn.Build(ctx, b.Book, programs)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, errors.New("interrupted: nothing was changed")
		}
		return nil, nil, err
	}
	for _, prog := range programs {
		built[prog.Name] = programHash(b, prog, gover)
	}
	if err := writeBuilt(b.Root, built); err != nil {
		return nil, nil, err
	}
	m.compiled = len(programs)
	var storeErrs model.ErrorList
	rn.Done = func(rec *model.Record) {
		k := keys[rec.Run]
		rec.Key, rec.Sources = k[0], k[1]
		if rec.Err() != nil {
			return // a failure is reported, not stored: the next build tries again
		}
		if err := store.Save(b.Root, ix, rec); err != nil {
			storeErrs.Add(rec.Run.Pos, "%v", err)
			return
		}
		m.stored++
	}
	start := time.Now()
	records, err := rn.Run(ctx, b.Book, toRun, progs)
	p.stop()
	if err != nil {
		if m.stored == 0 {
			return nil, nil, errors.New("interrupted: runs were stopped, nothing was changed")
		}
		return nil, nil, fmt.Errorf("interrupted: runs were stopped, the site was not changed; %d complete result%s stored", m.stored, plural(m.stored))
	}
	var errs model.ErrorList
	j := 0
	for i, run := range b.Runs {
		if j < len(toRun) && toRun[j] == run {
			m.records[i] = records[j]
			j++
			m.ran++
			m.trials += len(m.records[i].Trials)
			if err := m.records[i].Err(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, storeErrs...)
	line := fmt.Sprintf("%s in %s", summary(m.ran, m.trials, len(errs)), time.Since(start).Round(10*time.Millisecond))
	if n := len(b.Runs) - m.ran; n > 0 {
		line += "; " + fromStore(n, m.records, mach)
	}
	fmt.Fprintln(e.stderr, line)
	if err := errs.Err(); err != nil {
		return nil, nil, err
	}
	if err := m.prune(); err != nil {
		return nil, nil, err
	}
	// Every run has its record: check what the prose claims about them.
	if err := b.Check(m.records); err != nil {
		return nil, nil, err
	}
	return m, done, nil
}

// prune removes this machine's records of runs the book no longer has
// (every run of the book has its record for this machine now) and reloads
// the index if the store changed, so that the Machines page lists it as
// this build leaves it.
func (m *measured) prune() error {
	ids := map[string]bool{}
	for _, run := range m.book.Runs {
		ids[run.ID] = true
	}
	removed, err := store.Prune(m.book.Root, m.machine, func(id string) bool { return ids[id] })
	if err != nil {
		return err
	}
	if removed > 0 || m.stored > 0 {
		m.index, err = store.Load(m.book.Root)
	}
	return err
}

// frozenMachines returns the machines -frozen takes records from, in order
// of preference: this one if it has records, then those with the most
// records, most recent first, so that a chapter's values come from as few
// machines as possible.
func frozenMachines(b *loader.Book, ix *store.Index, here model.Machine) []model.Machine {
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

// fromStore says how many results came from the store, and from which
// machines when not only this one.
func fromStore(n int, records []*model.Record, mach model.Machine) string {
	if n == 0 {
		return "the book has no runs"
	}
	var dirs []string
	others := false
	for _, rec := range records {
		if rec != nil && !rec.Fresh {
			if d := path.Dir(path.Dir(rec.Path)); !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
			others = others || !store.SameMachine(rec.Machine, mach)
		}
	}
	if !others {
		return fmt.Sprintf("%d result%s from %s/%s", n, plural(n), store.Dir, store.MachineDir(mach))
	}
	return fmt.Sprintf("%d result%s from %s (not all measured on this machine)", n, plural(n), strings.Join(dirs, ", "))
}

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
	return store.WriteFileAtomic(filepath.Join(root, builtFile), data)
}

// programHash identifies what prog compiles from: its files, the module it
// is built in and the toolchain.
func programHash(b *loader.Book, prog *model.Program, goVersion string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", goVersion, prog.Name)
	gomod := b.Config.GoMod
	if gomod == "" {
		gomod = "go.mod"
	}
	for _, name := range []string{gomod, filepath.Join(filepath.Dir(gomod), "go.sum")} {
		data, _ := os.ReadFile(filepath.Join(b.Root, filepath.FromSlash(name)))
		fmt.Fprintf(h, "%s %d\n%s", name, len(data), data)
	}
	for _, f := range prog.Files {
		fmt.Fprintf(h, "%s %d\n%s", f.Name, len(f.Source), f.Source)
	}
	return hex.EncodeToString(h.Sum(nil))
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

func summary(runs, trials, failed int) string {
	s := fmt.Sprintf("%d run%s", runs, plural(runs))
	if trials > runs {
		s += fmt.Sprintf(" (%d trials)", trials)
	}
	if failed > 0 {
		return fmt.Sprintf("%s, %d failed", s, failed)
	}
	return s + " ok"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
