package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/litbook/litbook/model"
)

// ErrTimeout is wrapped by the error of a run killed at its time limit.
var ErrTimeout = errors.New("timed out")

// ErrInterrupted is wrapped by the error of a run stopped because the build
// was cancelled (Ctrl-C).
var ErrInterrupted = errors.New("interrupted")

// Runner builds and runs a book's programs. The zero value is ready to use:
// every field has a default.
type Runner struct {
	// Jobs bounds how many runs execute at once. Default: runtime.NumCPU().
	Jobs int
	// Timeout limits each run that sets no timeout= of its own.
	// Default: the book's [build] timeout, or 60 s.
	Timeout time.Duration
	// OutputLimit caps each captured stream, in bytes. Default: the book's
	// [build] output-limit, or 1 MiB.
	OutputLimit int64
	// FileSizeLimit is the largest file a run's processes may write
	// (RLIMIT_FSIZE, soft), in bytes. Default: the book's [build]
	// file-size-limit, or 1 GiB.
	FileSizeLimit int64
	// ProcessLimit bounds the processes and threads of each run, where
	// litbook can make a pids cgroup for it (see cgroup.go). Default: the
	// book's [build] process-limit, or 4096.
	ProcessLimit int64
	// WorkDir holds the generated programs module and the binaries.
	// Default: .litbook in the book's root.
	WorkDir string
	// TempDir is where run directories are made. Default: os.TempDir().
	TempDir string
	// Go is the go command. Default: "go" on PATH.
	Go string
	// Progress, if set, is called as work starts and finishes. Calls are
	// serialized.
	Progress func(Event)
	// Done, if set, is called by Run with each run's record as soon as
	// all its trials ended. Calls are serialized.
	Done func(*model.Record)

	progressMu sync.Mutex
}

// EventKind says what an Event reports.
type EventKind int

const (
	Compiling   EventKind = iota // go build started; Total programs
	Compiled                     // go build finished
	RunStarted                   // a trial started; Run, Trial, Done, Total, Running
	RunFinished                  // a trial finished; Run, Trial, Result, Done, Total, Running
)

// Event reports progress.
type Event struct {
	Kind    EventKind
	Run     *model.Run
	Result  *model.Result
	Trial   int // 1-based
	Done    int // trials finished (or skipped) so far
	Total   int // trials or programs in all
	Running int // trials executing now
}

func (r *Runner) progress(e Event) {
	if r.Progress == nil {
		return
	}
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	r.Progress(e)
}

func (r *Runner) goCmd() string {
	if r.Go != "" {
		return r.Go
	}
	return "go"
}

func (r *Runner) workDir(b *model.Book) string {
	if r.WorkDir != "" {
		return r.WorkDir
	}
	return filepath.Join(b.Root, ".litbook")
}

func (r *Runner) tempDir() string {
	if r.TempDir != "" {
		return r.TempDir
	}
	return os.TempDir()
}

// Run executes runs, which belong to b, with the programs that Build
// produced: each run Trials times, each trial in a fresh directory.
// records[i] belongs to runs[i]; it is nil only for a run that did not
// finish because ctx was cancelled. Done, if set, is called with each
// record as soon as its last trial ends, so that it can be stored before
// the others finish. Run returns ctx.Err() if cancelled; a trial that
// fails is reported in its Result's Err, and the run's remaining trials
// are skipped.
func (r *Runner) Run(ctx context.Context, b *model.Book, runs []*model.Run, progs *Programs) ([]*model.Record, error) {
	jobs := r.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	tmp, err := filepath.Abs(r.tempDir())
	if err != nil {
		return nil, err
	}
	env := execEnv{
		pathDirs:      progs.PathDirs,
		tempDir:       tmp,
		machine:       machine(progs.GoVersion, tmp),
		timeout:       firstPositive(r.Timeout, b.Config.Timeout, model.DefaultTimeout),
		outputLimit:   firstPositive(r.OutputLimit, b.Config.OutputLimit, model.DefaultOutputLimit),
		fileSizeLimit: firstPositive(r.FileSizeLimit, b.Config.FileSizeLimit, model.DefaultFileSizeLimit),
		processLimit:  int(firstPositive(r.ProcessLimit, b.Config.ProcessLimit, model.DefaultProcessLimit)),
		cgroups:       findCgroups(),
		scratch:       scratchFor(r.workDir(b)),
	}
	becomeSubreaper()
	removeStale(tmp, env.cgroups)
	defer sweepIf(func() bool { return true })

	// A task is one trial of one run; tasks go out in book order, a run's
	// trials one after the other. Exclusive tasks carry their place among
	// the exclusive ones, turn, so that they also start in that order: two
	// workers waiting for excl would otherwise take it in either order, and
	// trial 3 of a race would run, and be reported, before trial 2.
	type task struct{ run, trial, turn int }
	records := make([]*model.Record, len(runs))
	trials := make([][]*model.Result, len(runs))
	left := make([]int, len(runs)) // trials not yet ended
	failed := make([]bool, len(runs))
	total := 0
	for i, run := range runs {
		n := max(run.Trials, 1)
		trials[i] = make([]*model.Result, n)
		left[i] = n
		total += n
	}
	// Normal trials hold excl for reading, exclusive ones for writing: an
	// exclusive trial starts when nothing else is executing, and nothing
	// starts while it does.
	var excl sync.RWMutex
	var turnMu sync.Mutex
	turnCond := sync.NewCond(&turnMu)
	turn := 0 // the next exclusive task to take excl
	// takeTurn waits until it is task tk's turn among the exclusive tasks,
	// runs take (which takes excl, or skips), and passes the turn on.
	takeTurn := func(tk task, take func()) {
		turnMu.Lock()
		for turn != tk.turn {
			turnCond.Wait()
		}
		turnMu.Unlock()
		take()
		turnMu.Lock()
		turn++
		turnCond.Broadcast()
		turnMu.Unlock()
	}
	queue := make(chan task)
	go func() {
		defer close(queue)
		turns := 0
		for i := range runs {
			for t := range trials[i] {
				tk := task{run: i, trial: t, turn: -1}
				if runs[i].Exclusive {
					tk.turn = turns
					turns++
				}
				select {
				case queue <- tk:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	var mu sync.Mutex // guards done, left, failed, trials, records
	done := 0
	// finish counts a trial of run i as ended; when it was the last, it
	// returns the run's record, for report to hand to Done outside mu.
	finish := func(i int) *model.Record {
		// mu is held.
		left[i]--
		if left[i] > 0 {
			return nil
		}
		var ran []*model.Result
		for _, res := range trials[i] {
			if res != nil {
				ran = append(ran, res)
			}
		}
		if ctx.Err() != nil && !failed[i] && len(ran) < len(trials[i]) {
			return nil // interrupted: an incomplete record is no record
		}
		rec := &model.Record{Run: runs[i], GoVersion: progs.GoVersion, Machine: env.machine, Trials: ran, Fresh: true}
		if len(ran) > 0 {
			rec.FS = ran[0].FS
		}
		records[i] = rec
		return rec
	}
	// Done may store the record (and sync it to disk): it is called
	// outside mu, so that other trials start and end meanwhile.
	var doneMu sync.Mutex
	report := func(rec *model.Record) {
		if rec == nil || r.Done == nil {
			return
		}
		doneMu.Lock()
		defer doneMu.Unlock()
		r.Done(rec)
	}
	var wg sync.WaitGroup
	for range min(jobs, total) {
		wg.Go(func() {
			for tk := range queue {
				run := runs[tk.run]
				mu.Lock()
				skip := failed[tk.run] || ctx.Err() != nil
				var rec *model.Record
				if skip {
					done++
					rec = finish(tk.run)
				}
				mu.Unlock()
				if skip {
					if run.Exclusive {
						takeTurn(tk, func() {})
					}
					report(rec)
					continue
				}
				if run.Exclusive {
					takeTurn(tk, excl.Lock)
				} else {
					excl.RLock()
				}
				mu.Lock()
				skip = failed[tk.run] || ctx.Err() != nil
				var n int32
				if !skip {
					n = env.executing.Add(1)
					r.progress(Event{Kind: RunStarted, Run: run, Trial: tk.trial + 1, Done: done, Total: total, Running: int(n)})
				}
				mu.Unlock()
				var res *model.Result
				if !skip {
					res = r.executeRun(ctx, run, &env)
					res.Trial = tk.trial + 1
					if res.Err != nil && run.Trials > 1 {
						res.Err.Msg = fmt.Sprintf("trial %d of %d: %s", res.Trial, run.Trials, res.Err.Msg)
					}
				}
				if run.Exclusive {
					excl.Unlock()
				} else {
					excl.RUnlock()
				}
				mu.Lock()
				done++
				if res != nil {
					n = env.executing.Add(-1)
					trials[tk.run][tk.trial] = res
					if res.Err != nil {
						failed[tk.run] = true
					}
					r.progress(Event{Kind: RunFinished, Run: run, Trial: res.Trial, Result: res, Done: done, Total: total, Running: int(n)})
				}
				rec = finish(tk.run)
				mu.Unlock()
				report(rec)
			}
		})
	}
	wg.Wait()
	return records, ctx.Err()
}

func firstPositive[T int64 | time.Duration](vs ...T) T {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}
