package runner

import (
	"context"
	"fmt"
	"sync"

	"github.com/litbook/litbook/model"
)

// A task is one trial of one run; tasks go out in book order, a run's
// trials one after the other. Exclusive tasks carry their place among the
// exclusive ones, turn, so that they also start in that order: two workers
// waiting for excl would otherwise take it in either order, and trial 3 of
// a race would run, and be reported, before trial 2.
type task struct{ run, trial, turn int }

// schedule is the state of one Run call: the queue of tasks, the turns of
// exclusive ones, and the trials and records as they end.
type schedule struct {
	ctx       context.Context
	r         *Runner
	runs      []*model.Run
	goVersion string
	env       *execEnv
	tasks     chan task

	// Normal trials hold excl for reading, exclusive ones for writing: an
	// exclusive trial starts when nothing else is executing, and nothing
	// starts while it does.
	excl     sync.RWMutex
	turnMu   sync.Mutex
	turnCond *sync.Cond
	turn     int // the next exclusive task to take excl

	mu      sync.Mutex // guards done, left, failed, trials, records
	total   int        // trials in all
	done    int        // trials ended or skipped
	left    []int      // trials of each run not yet ended
	failed  []bool
	trials  [][]*model.Result
	records []*model.Record
	budgets []*budget // of each run's output, all its trials together

	// Done may store the record (and sync it to disk): it is called by
	// one reporter goroutine, in the order records complete, so that the
	// workers go on to their next task meanwhile instead of waiting for
	// the disk. reports is its queue; unbounded, since a record is
	// already in memory (in records) when it is queued.
	reportMu   sync.Mutex
	reportCond *sync.Cond
	reports    []*model.Record
	closed     bool
	reported   chan struct{}
}

func newSchedule(ctx context.Context, r *Runner, runs []*model.Run, goVersion string, env *execEnv) *schedule {
	s := &schedule{
		ctx: ctx, r: r, runs: runs, goVersion: goVersion, env: env,
		tasks:   make(chan task, 64),
		left:    make([]int, len(runs)),
		failed:  make([]bool, len(runs)),
		trials:  make([][]*model.Result, len(runs)),
		records: make([]*model.Record, len(runs)),
		budgets: make([]*budget, len(runs)),
	}
	s.turnCond = sync.NewCond(&s.turnMu)
	s.reportCond = sync.NewCond(&s.reportMu)
	s.reported = make(chan struct{})
	for i, run := range runs {
		n := max(run.Trials, 1)
		s.trials[i] = make([]*model.Result, n)
		s.left[i] = n
		s.total += n
		s.budgets[i] = newBudget(env.outputLimit)
	}
	return s
}

// queue sends every task, in book order, until ctx is cancelled, and
// closes the queue.
func (s *schedule) queue() {
	defer close(s.tasks)
	turns := 0
	for i := range s.runs {
		for t := range s.trials[i] {
			tk := task{run: i, trial: t, turn: -1}
			if s.runs[i].Exclusive {
				tk.turn = turns
				turns++
			}
			select {
			case s.tasks <- tk:
			case <-s.ctx.Done():
				return
			}
		}
	}
}

// takeTurn waits until it is task tk's turn among the exclusive tasks,
// runs take (which takes excl, or skips), and passes the turn on.
func (s *schedule) takeTurn(tk task, take func()) {
	s.turnMu.Lock()
	for s.turn != tk.turn {
		s.turnCond.Wait()
	}
	s.turnMu.Unlock()
	take()
	s.turnMu.Lock()
	s.turn++
	s.turnCond.Broadcast()
	s.turnMu.Unlock()
}

// skipped reports whether the trials of run i are no longer to execute:
// one failed, or the build was cancelled. mu is held.
func (s *schedule) skipped(i int) bool { return s.failed[i] || s.ctx.Err() != nil }

// work executes tasks until the queue is closed.
func (s *schedule) work() {
	for tk := range s.tasks {
		run := s.runs[tk.run]
		s.mu.Lock()
		if s.skipped(tk.run) {
			s.done++
			rec := s.finish(tk.run)
			s.mu.Unlock()
			if run.Exclusive {
				s.takeTurn(tk, func() {})
			}
			s.report(rec)
			continue
		}
		s.mu.Unlock()
		if run.Exclusive {
			s.takeTurn(tk, s.excl.Lock)
		} else {
			s.excl.RLock()
		}
		res := s.execute(tk)
		if run.Exclusive {
			s.excl.Unlock()
		} else {
			s.excl.RUnlock()
		}
		s.mu.Lock()
		s.done++
		if res != nil {
			n := s.env.executing.Add(-1)
			s.trials[tk.run][tk.trial] = res
			if res.Err != nil {
				s.failed[tk.run] = true
			}
			s.r.progress(Event{Kind: RunFinished, Run: run, Trial: res.Trial, Result: res, Done: s.done, Total: s.total, Running: int(n)})
		}
		rec := s.finish(tk.run)
		s.mu.Unlock()
		s.report(rec)
	}
}

// execute executes the trial tk, whose turn it is, unless its run is to be
// skipped now; then it returns nil.
func (s *schedule) execute(tk task) *model.Result {
	run := s.runs[tk.run]
	s.mu.Lock()
	if s.skipped(tk.run) {
		s.mu.Unlock()
		return nil
	}
	n := s.env.executing.Add(1)
	s.r.progress(Event{Kind: RunStarted, Run: run, Trial: tk.trial + 1, Done: s.done, Total: s.total, Running: int(n)})
	s.mu.Unlock()
	if run.Exclusive {
		// Alone means alone: what earlier runs left is removed first,
		// and no namespaces are made for later ones meanwhile.
		s.env.cleaning.Wait()
		if s.env.pool != nil {
			s.env.pool.pause()
			defer s.env.pool.resume()
		}
	}
	res := s.r.executeRun(s.ctx, run, s.env, s.budgets[tk.run])
	res.Trial = tk.trial + 1
	if res.Err != nil && run.Trials > 1 {
		res.Err.Msg = fmt.Sprintf("trial %d of %d: %s", res.Trial, run.Trials, res.Err.Msg)
	}
	return res
}

// finish counts a trial of run i as ended; when it was the last, it
// returns the run's record, for report to hand to Done outside mu. mu is
// held.
func (s *schedule) finish(i int) *model.Record {
	s.left[i]--
	if s.left[i] > 0 {
		return nil
	}
	var ran []*model.Result
	for _, res := range s.trials[i] {
		if res != nil {
			ran = append(ran, res)
		}
	}
	if s.ctx.Err() != nil && !s.failed[i] && len(ran) < len(s.trials[i]) {
		return nil // interrupted: an incomplete record is no record
	}
	rec := &model.Record{Run: s.runs[i], GoVersion: s.goVersion, Machine: s.env.machine, Trials: ran, Fresh: true}
	if len(ran) > 0 {
		rec.FS = ran[0].FS
	}
	s.records[i] = rec
	return rec
}

// report queues a complete record for Done.
func (s *schedule) report(rec *model.Record) {
	if rec == nil || s.r.Done == nil {
		return
	}
	s.reportMu.Lock()
	s.reports = append(s.reports, rec)
	s.reportMu.Unlock()
	s.reportCond.Signal()
}

// reporter hands every queued record to Done, one at a time, until
// closeReports was called and the queue is empty; then it closes reported.
func (s *schedule) reporter() {
	defer close(s.reported)
	for {
		s.reportMu.Lock()
		for len(s.reports) == 0 && !s.closed {
			s.reportCond.Wait()
		}
		if len(s.reports) == 0 {
			s.reportMu.Unlock()
			return
		}
		rec := s.reports[0]
		s.reports = s.reports[1:]
		s.reportMu.Unlock()
		if s.r.Done != nil {
			s.r.Done(rec)
		}
	}
}

// closeReports says no record will be queued any more, and waits until
// Done has been called with every queued one.
func (s *schedule) closeReports() {
	s.reportMu.Lock()
	s.closed = true
	s.reportMu.Unlock()
	s.reportCond.Signal()
	<-s.reported
}
