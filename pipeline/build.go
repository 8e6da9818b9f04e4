package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/litbook/litbook/claims"
	"github.com/litbook/litbook/internal/inert"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner"
	"github.com/litbook/litbook/store"
)

// Builder builds books: it loads one, gives every run a record (from the
// results store, or by compiling the programs the run calls and running
// it), stores what it ran and checks every claim of the prose. Its zero
// value runs as many runs at once as there are CPUs, reuses stored
// results, stops after the first stage that fails and reports nothing but
// its error.
type Builder struct {
	// Jobs bounds how many runs execute at once; 0 means one per CPU.
	Jobs int
	// Rerun runs every run again, ignoring stored results.
	Rerun bool
	// Frozen runs nothing: every run's record comes from a machine that
	// measured its current sources, and a run that has none is an error.
	Frozen bool
	// Shard, when its N is above 1, executes only its part of the runs
	// that must execute (see Shard), and checks no claim and publishes
	// nothing: its results are merged with the other shards' (litbook
	// merge) and rendered by a build that runs nothing.
	Shard Shard
	// KeepGoing goes on past errors, so that one build reports every
	// independent error of the book: the programs that compile are built
	// and the runs of chapters that loaded and whose programs compiled
	// run and are stored, whatever else failed.
	KeepGoing bool

	// Holder names this build to another that waits for the book's lock
	// ("litbook build").
	Holder string
	// Log receives what the user should read besides errors: that the
	// build waits for another, unusable results files, the summary of
	// what ran. Nil discards it.
	Log io.Writer
	// Progress, if set, is told of every compilation and trial.
	Progress Progress
	// Runner, if set, is called with the runner before it starts, to set
	// what the builder does not: limits, a supervisor, another go command.
	Runner func(*runner.Runner)

	// Identity, if set, may change this machine's identity before any
	// record is looked up or made: tests simulate other machines with it.
	Identity func(*model.Machine)

	// Prepare, if set, is called once the book has loaded, before
	// anything compiles or runs, while the build holds the book's lock;
	// its errors are the build's (build checks its site directory and the
	// book's links here).
	Prepare func(*loader.Parsed) error
	// Publish, if set, is called when every run has a record and every
	// claim holds, while the build holds the book's lock (build writes the
	// site here).
	Publish func(*Result) error

	// Stamp, if not empty, lets a build end at once, having loaded no
	// chapter and started nothing, when nothing it depends on changed
	// since the last build with the same Stamp that succeeded (see
	// stamp.go); the Result then has UpToDate set and a Book with only
	// Root and Config. Stamp names what of the caller's settings changes
	// its output (build's -d, say). Rerun and Shard builds never end so.
	Stamp string
	// StampFiles, if set, returns once Prepare has run the files the
	// caller's output depends on besides the book's own (inputs: files the
	// chapters link to, which it has not read yet) and the files of that
	// output (outputs: the site's marker, stamped once Publish has run),
	// relative to the book's root or absolute. A later build with any of
	// them changed does the full work.
	StampFiles func() (inputs, outputs []string)

	// LoadCache, if set, keeps the chapters this build parses for the
	// next build with the same cache, which parses again only those whose
	// source changed (see loader.Cache): serve builds with one.
	LoadCache *loader.Cache
}

// Progress is told what a build is doing.
type Progress interface {
	// Event is called for every compilation and trial, from the
	// runner's goroutines.
	Event(runner.Event)
	// Stop is called when no more events will come, before the build
	// writes its summary to Log.
	Stop()
}

// Result is what a build made of a book.
type Result struct {
	Book *loader.Parsed
	// Records are parallel to Book.Runs: each run's record, or nil for a
	// run that a failed build could not give one.
	Records []*model.Record
	Machine model.Machine // this machine
	Index   *store.Index  // the results store as the build left it
	Plan    *Plan
	// What the build did.
	Compiled, Ran, Trials, Stored int
	// UpToDate is set when the build did nothing, nothing having changed
	// since the last build with the same Stamp (see Builder.Stamp).
	UpToDate bool
}

// Build builds the book whose book.toml is in dir. The error, if any, is
// a model.ErrorList of every failure, each at its position in the book,
// or wraps runner.ErrInterrupted when ctx was cancelled. The Result is
// non-nil whenever the book loaded, so that a caller can show what was
// measured even when the build failed.
func (bd *Builder) Build(ctx context.Context, dir string) (_ *Result, err error) {
	// A config with wrong values is still a book that this build may
	// write into: lock it whenever its root is known.
	var sp *stamper
	if cfg, cfgErr := loader.LoadConfig(dir); cfg != nil {
		unlock, err := Lock(ctx, cfg.Root, bd.holder(), bd.log())
		if err != nil {
			return nil, err
		}
		defer unlock()
		if cfgErr == nil { // else the full load below reports its errors
			if log, ok := bd.upToDate(cfg); ok {
				fmt.Fprintf(bd.log(), "%s (nothing changed since the last build)\n", log)
				return &Result{Book: cfg, UpToDate: true}, nil
			}
			if bd.Stamp != "" && !bd.Rerun && bd.Shard.N <= 1 {
				sp = newStamper(cfg.Root, time.Now())
				// Before the build reads them.
				gomod := cfg.Config.GoMod
				if gomod == "" {
					gomod = "go.mod"
				}
				for _, p := range []string{loader.ConfigFile, gomod, path.Join(path.Dir(gomod), "go.sum")} {
					sp.input(p, nil)
				}
			}
		}
	} // else the full load below reports it with the chapters' errors
	b, err := loader.LoadCached(ctx, dir, bd.LoadCache)
	if errors.Is(err, loader.ErrInterrupted) {
		return nil, fmt.Errorf("%w while loading the book: nothing was changed", runner.ErrInterrupted)
	}
	if b == nil {
		return nil, err
	}
	if sp != nil {
		sp.inputsLoaded(b)
	}
	s := &state{bd: bd, ctx: ctx, res: &Result{Book: b, Records: make([]*model.Record, len(b.Runs))}, blocked: map[*model.Run]bool{}}
	defer func() {
		// On every way out, not only past the stamp below.
		if serr := s.waitSynced(); serr != nil {
			var list model.ErrorList
			list.Append(err)
			list.Append(serr)
			err = list
		}
	}()
	s.errs.Append(err)
	s.blockBroken(err)
	if err := s.prepare(); err != nil {
		return s.res, err
	}
	var outputs []string
	if sp != nil && bd.StampFiles != nil {
		var inputs []string
		inputs, outputs = bd.StampFiles()
		for _, p := range inputs {
			sp.input(p, nil)
		}
	}
	if err := s.plan(); err != nil {
		return s.res, err
	}
	if err := s.measure(); err != nil {
		return s.res, err
	}
	if err := s.errs.Err(); err != nil {
		return s.res, err
	}
	if bd.Shard.N > 1 {
		fmt.Fprintf(bd.log(), "shard %s: %d of the book's runs are another shard's; merge the shards' results/ (litbook merge) and build -frozen to render\n", bd.Shard, s.res.Plan.Count(Elsewhere))
		return s.res, nil
	}
	if bd.Publish != nil {
		if err := bd.Publish(s.res); err != nil {
			return s.res, err
		}
	}
	if err := s.waitSynced(); err != nil {
		return s.res, err // no stamp: the next build stores them again
	}
	if sp != nil {
		if err := sp.write(s, outputs); err != nil {
			fmt.Fprintf(bd.log(), "litbook: %v (the next build does the full work)\n", err)
		}
	}
	return s.res, nil
}

// state is one build on its way.
type state struct {
	bd   *Builder
	ctx  context.Context
	res  *Result
	rn   *runner.Runner
	errs model.ErrorList
	// blocked are runs that must not execute: their chapter failed to
	// load, a command they call is not there, or a program they call
	// failed to compile.
	blocked map[*model.Run]bool
	gover   string
	shells  string // see identify
	// hostname is this machine's name, once read, where the book asks
	// for it in its records.
	hostname string
	// synced, if not nil, receives the result of the sync of the
	// records that the build stored (see waitSynced).
	synced chan error
}

// syncStored syncs the records a build stored; a test makes it fail.
var syncStored = (*store.Syncer).Sync

// waitSynced waits until the records the build stored are on the disk,
// and returns the error of their sync, if any, once.
func (s *state) waitSynced() error {
	if s.synced == nil {
		return nil
	}
	err := <-s.synced
	s.synced = nil
	if err != nil {
		return model.ErrorList{{Pos: model.Pos{File: store.Dir}, Msg: fmt.Sprintf("cannot sync the stored results to the disk: %v", err)}}
	}
	return nil
}

// identify completes what the runner knows of a machine with what depends
// on the book and on litbook: the shells the book's runs call (keyed), the
// hostname where the book asks for it, and litbook's own version
// (recorded); then the Builder's Identity hook has its say.
func (s *state) identify(m *model.Machine) {
	m.Shells = s.shells
	if s.res.Book.Config.RecordHostname && s.hostname == "" {
		s.hostname, _ = os.Hostname()
	}
	m.Hostname = s.hostname
	m.Litbook = version()
	if s.bd.Identity != nil {
		s.bd.Identity(m)
	}
}

func (bd *Builder) log() io.Writer {
	if bd.Log == nil {
		return io.Discard
	}
	return bd.Log
}

func (bd *Builder) holder() string {
	if bd.Holder == "" {
		return "litbook"
	}
	return bd.Holder
}

// stop reports whether the build ends after a stage: it does when the
// stage failed and the build does not keep going.
func (s *state) stop() error {
	if len(s.errs) > 0 && !s.bd.KeepGoing {
		return s.errs
	}
	return nil
}

// blockBroken blocks the runs of chapters where loading found an error,
// and every run when book.toml has one (the limits it sets may be wrong).
func (s *state) blockBroken(loadErr error) {
	var list model.ErrorList
	list.Append(loadErr)
	broken := map[string]bool{}
	for _, e := range list {
		broken[e.Pos.File] = true
	}
	if len(broken) == 0 {
		return
	}
	// go.mod and go.sum are the module every program builds in.
	all := broken[loader.ConfigFile] || broken[""] || broken["go.mod"] || broken["go.sum"]
	for _, run := range s.res.Book.Runs {
		if all || broken[run.Chapter.Path] {
			s.blocked[run] = true
		}
	}
}

// prepare runs the caller's checks and the runner's: every command a
// transcript calls must be there.
func (s *state) prepare() error {
	b := s.res.Book
	if s.bd.Prepare != nil {
		s.errs.Append(s.bd.Prepare(b))
	}
	s.rn = &runner.Runner{Jobs: s.bd.Jobs}
	s.rn.Note = func(msg string) { fmt.Fprintf(s.bd.log(), "litbook: %s\n", msg) }
	if s.bd.Progress != nil {
		s.rn.Progress = s.bd.Progress.Event
	}
	if s.bd.Runner != nil {
		s.bd.Runner(s.rn)
	}
	if err := s.rn.Check(b.Book); err != nil {
		var list model.ErrorList
		list.Append(err)
		for _, e := range list {
			s.blockAt(e.Pos)
		}
		s.errs = append(s.errs, list...)
	}
	return s.stop()
}

// blockAt blocks the run that calls a command at pos.
func (s *state) blockAt(pos model.Pos) {
	for _, run := range s.res.Book.Runs {
		for _, c := range run.Calls {
			if c.Pos == pos {
				s.blocked[run] = true
			}
		}
	}
}

// plan finds this machine and the store, and decides what to run.
func (s *state) plan() error {
	b, bd := s.res.Book, s.bd
	// -frozen compiles nothing and matches records by their sources, which
	// do not depend on the toolchain: it needs no Go at all.
	if !bd.Frozen {
		v, err := s.rn.GoVersion(s.ctx, b.Book)
		if err != nil {
			s.errs.Append(err)
			return s.errs
		}
		s.gover = v
	}
	mach, err := s.rn.Machine(s.gover)
	if err != nil {
		s.errs.Append(err)
		return s.errs
	}
	s.shells = shells(s.ctx, s.rn, b)
	s.identify(&mach)
	ix, err := store.Load(b.Root)
	if err != nil {
		s.errs.Append(err)
		return s.errs
	}
	if !bd.Frozen {
		// Records stored under an earlier rule move to where this one
		// looks for them: -frozen changes no file.
		moved, err := store.Migrate(b.Root, ix, b.Config.RecordHostname)
		for _, m := range moved {
			fmt.Fprintf(bd.log(), "litbook: migrated %s\n", m)
		}
		if err != nil {
			s.errs.Append(err)
			return s.errs
		}
		if len(moved) > 0 {
			if ix, err = store.Load(b.Root); err != nil {
				s.errs.Append(err)
				return s.errs
			}
		}
	}
	s.res.Machine, s.res.Index = mach, ix
	for _, prob := range ix.Problems {
		fmt.Fprintf(bd.log(), "litbook: %s\n", inert.String(prob.Error()))
	}
	built := readBuilt(b.Root)
	hashes := programHashes(b.Book, s.gover)
	current := map[string]bool{}
	if !bd.Frozen {
		s.rn.Hashes = binaryHashes(b.Book, hashes)
		for name, h := range s.rn.Hashes {
			current[name] = s.rn.Current(b.Book, name, h)
		}
	}
	p := MakePlan(PlanInput{
		Book: b.Book, Index: ix, Machine: mach, GoVersion: s.gover,
		Rerun: bd.Rerun, Frozen: bd.Frozen,
		Hashes: hashes, Built: built, Current: current,
		Shard: bd.Shard,
	})
	if types := p.ScratchTypes(); len(types) > 0 {
		// Runs on filesystems this machine cannot make (fs=): scratch.go.
		avail := s.rn.Filesystems(s.ctx, b.Book, types)
		p.RefuseFS(ix, mach, func(fs string) error { return avail[fs] })
	}
	s.res.Plan = p
	for i, rp := range p.Runs {
		if rp.Note != "" {
			fmt.Fprintf(bd.log(), "litbook: %s\n", inert.String(rp.Note))
		}
		if rp.Record != nil {
			s.res.Records[i] = rp.Record
		}
		if rp.Err != nil {
			s.blocked[rp.Run] = true
		}
	}
	s.errs = append(s.errs, p.Errors()...)
	return s.stop()
}

// measure compiles and runs what the plan says, stores each record as it
// completes, then prunes the store and checks the claims.
func (s *state) measure() error {
	b, p := s.res.Book, s.res.Plan
	var toRun []*model.Run
	for _, rp := range p.Runs {
		if rp.Decision == Execute && !s.blocked[rp.Run] {
			toRun = append(toRun, rp.Run)
		}
	}
	compile := p.Compiles()
	if len(toRun) == 0 && len(compile) == 0 {
		if s.bd.Progress != nil {
			s.bd.Progress.Stop()
		}
		if len(s.errs) == 0 {
			fmt.Fprintf(s.bd.log(), "nothing to run: %s\n", fromStore(len(b.Runs), s.res.Records, s.res.Machine))
		}
		return s.finish()
	}
	progs, err := s.compile(compile)
	if err != nil {
		return err
	}
	toRun = slices.DeleteFunc(toRun, func(r *model.Run) bool { return s.blocked[r] })
	if err := s.run(toRun, progs); err != nil {
		return err
	}
	return s.finish()
}

// compile compiles progs. A program that fails blocks the runs that call
// it; an error that stops every program (cancellation, no toolchain, a
// broken go.mod) is returned.
func (s *state) compile(progs []*model.Program) (*runner.Programs, error) {
	b := s.res.Book
	if len(progs) == 0 {
		return s.rn.Build(s.ctx, b.Book, nil)
	}
	built, err := s.rn.Build(s.ctx, b.Book, progs)
	if s.ctx.Err() != nil {
		return nil, fmt.Errorf("%w: nothing was changed", runner.ErrInterrupted)
	}
	failed := map[*model.Program]bool{}
	if err != nil {
		// Which programs failed is not known: none of this batch is built.
		s.errs.Append(err)
		for _, prog := range progs {
			failed[prog] = true
		}
	} else {
		// The others compiled: only these programs' runs are blocked.
		s.errs.Append(built.Err())
		for _, prog := range progs {
			failed[prog] = built.Failed[prog.Name] != nil
		}
	}
	hashes := map[string]string{}
	for _, pp := range s.res.Plan.Programs {
		hashes[pp.Program.Name] = pp.Hash
	}
	record := readBuilt(b.Root)
	for _, prog := range progs {
		if !failed[prog] {
			record[prog.Name] = hashes[prog.Name]
			s.res.Compiled++
		}
	}
	if err := writeBuilt(b.Root, record); err != nil {
		s.errs.Append(err)
	}
	for _, run := range b.Runs {
		for _, prog := range run.Programs {
			if failed[prog] {
				s.blocked[run] = true
			}
		}
	}
	if err := s.stop(); err != nil {
		return nil, err
	}
	if built == nil {
		built, err = s.rn.Build(s.ctx, b.Book, nil)
	}
	return built, err
}

// run runs toRun, storing each record as soon as it is complete.
func (s *state) run(toRun []*model.Run, progs *runner.Programs) error {
	b, res := s.res.Book, s.res
	keys := map[*model.Run]*RunPlan{}
	for i := range res.Plan.Runs {
		keys[res.Plan.Runs[i].Run] = &res.Plan.Runs[i]
	}
	var storeErrs model.ErrorList
	s.rn.Done = func(rec *model.Record) {
		rp := keys[rec.Run]
		rec.Key, rec.Sources = rp.Key, rp.Sources
		s.identify(&rec.Machine)
		for _, t := range rec.Trials {
			s.identify(&t.Machine)
		}
		if rec.Err() != nil {
			return // a failure is reported, not stored: the next build tries again
		}
		if err := store.Save(b.Root, res.Index, rec); err != nil {
			storeErrs.Add(rec.Run.Pos, "%v", err)
			return
		}
		res.Stored++
	}
	syncer, syncErr := store.OpenSync(b.Root)
	start := time.Now()
	records, err := s.rn.Run(s.ctx, b.Book, toRun, progs)
	if s.bd.Progress != nil {
		s.bd.Progress.Stop()
	}
	switch {
	case syncErr != nil:
		storeErrs.Add(model.Pos{File: store.Dir}, "cannot sync the stored results to the disk: %v", syncErr)
	case res.Stored > 0 && err == nil:
		// Once, not once a record (see store.Syncer), and while the
		// claims are checked and the site is drawn: Build waits for it
		// before it writes its stamp or returns.
		synced := make(chan error, 1)
		go func() { synced <- syncStored(syncer) }()
		s.synced = synced
	case res.Stored > 0:
		if err := syncer.Sync(); err != nil {
			storeErrs.Add(model.Pos{File: store.Dir}, "cannot sync the stored results to the disk: %v", err)
		}
	default:
		syncer.Close()
	}
	if err != nil {
		if res.Stored == 0 {
			return fmt.Errorf("%w: runs were stopped, nothing was changed", runner.ErrInterrupted)
		}
		return fmt.Errorf("%w: runs were stopped, the site was not changed; %d complete result%s stored", runner.ErrInterrupted, res.Stored, plural(res.Stored))
	}
	index := map[*model.Run]int{}
	for i, run := range b.Runs {
		index[run] = i
	}
	var failed model.ErrorList
	for j, run := range toRun {
		rec := records[j]
		res.Records[index[run]] = rec
		res.Ran++
		res.Trials += len(rec.Trials)
		if err := rec.Err(); err != nil {
			failed = append(failed, err)
		}
	}
	failed = append(failed, storeErrs...)
	line := fmt.Sprintf("%s in %s", summary(res.Ran, res.Trials, len(failed)), time.Since(start).Round(10*time.Millisecond))
	if n := res.Plan.Count(Reuse) + res.Plan.Count(Thaw); n > 0 {
		line += "; " + fromStore(n, res.Records, res.Machine)
	}
	fmt.Fprintln(s.bd.log(), line)
	s.errs = append(s.errs, failed...)
	return s.stop()
}

// finish prunes this machine's records of runs the book no longer has,
// when the build has a record for every run it has, and checks the claims
// of every chapter whose runs all have records.
func (s *state) finish() error {
	if s.bd.Shard.N > 1 {
		// The other shards' records are not here: nothing to prune, and
		// claims cannot be checked.
		return s.errs.Err()
	}
	if len(s.errs) == 0 && !s.bd.Frozen {
		if err := s.prune(); err != nil {
			s.errs.Append(err)
			return s.errs
		}
	}
	s.errs.Append(s.check())
	return s.errs.Err()
}

// check checks the claims of the chapters whose runs all have records: a
// chapter whose run failed reports that, not every claim about it.
func (s *state) check() error {
	b := s.res.Book
	unmeasured := map[*model.Chapter]bool{}
	for i, run := range b.Runs {
		if s.res.Records[i] == nil || s.res.Records[i].Err() != nil {
			unmeasured[run.Chapter] = true
		}
	}
	if len(unmeasured) == 0 {
		return claims.Check(b, s.res.Records)
	}
	some := *b
	some.Exprs = slices.DeleteFunc(slices.Clone(b.Exprs), func(x *loader.Expr) bool { return unmeasured[x.Chapter] })
	return claims.Check(&some, s.res.Records)
}

// prune removes this machine's records of runs the book no longer has
// (every run of the book has its record for this machine now) and reloads
// the index if it removed any, so that the Machines page lists the store
// as this build leaves it (store.Save keeps the index up to date with what
// it stores).
func (s *state) prune() error {
	b, res := s.res.Book, s.res
	ids := map[string]bool{}
	for _, run := range b.Runs {
		ids[run.ID] = true
	}
	removed, err := store.Prune(b.Root, res.Machine, func(id string) bool { return ids[id] })
	if err != nil {
		return err
	}
	if removed > 0 {
		res.Index, err = store.Load(b.Root)
	}
	return err
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
