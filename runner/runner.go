package runner

import (
	"context"
	"errors"
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

	progressMu sync.Mutex
}

// EventKind says what an Event reports.
type EventKind int

const (
	Compiling   EventKind = iota // go build started; Total programs
	Compiled                     // go build finished
	RunStarted                   // a run started; Run, Done, Total, Running
	RunFinished                  // a run finished; Run, Result, Done, Total, Running
)

// Event reports progress.
type Event struct {
	Kind    EventKind
	Run     *model.Run
	Result  *model.Result
	Done    int // runs finished so far
	Total   int // runs or programs in all
	Running int // runs executing now
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

// Run executes every run of b with the programs that Build produced.
// results[i] belongs to b.Runs[i]; it is nil only for runs that never
// started because ctx was cancelled. Run returns ctx.Err() if cancelled; a
// run that fails is reported in its Result's Err, not in the returned error.
func (r *Runner) Run(ctx context.Context, b *model.Book, progs *Programs) ([]*model.Result, error) {
	jobs := r.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	tmp, err := filepath.Abs(r.tempDir())
	if err != nil {
		return nil, err
	}
	env := execEnv{
		pathDirs:    progs.PathDirs,
		tempDir:     tmp,
		machine:     machine(progs.GoVersion, tmp),
		timeout:     firstPositive(r.Timeout, b.Config.Timeout, 60*time.Second),
		outputLimit: firstPositive(r.OutputLimit, b.Config.OutputLimit, 1<<20),
	}
	becomeSubreaper()
	defer sweepIf(func() bool { return true })
	results := make([]*model.Result, len(b.Runs))
	// Normal runs hold excl for reading, exclusive runs for writing: an
	// exclusive run starts when no other run is executing, and none starts
	// while it does.
	var excl sync.RWMutex
	queue := make(chan int)
	go func() {
		defer close(queue)
		for i := range b.Runs {
			select {
			case queue <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	// Workers take runs in book order, so runs start in the order a
	// reader meets them.
	for range min(jobs, len(b.Runs)) {
		wg.Go(func() {
			for i := range queue {
				run := b.Runs[i]
				if run.Exclusive {
					excl.Lock()
				} else {
					excl.RLock()
				}
				if ctx.Err() == nil {
					mu.Lock()
					n := env.executing.Add(1)
					r.progress(Event{Kind: RunStarted, Run: run, Done: done, Total: len(b.Runs), Running: int(n)})
					mu.Unlock()
					res := r.execute(ctx, run, &env)
					results[i] = res
					mu.Lock()
					n = env.executing.Add(-1)
					done++
					r.progress(Event{Kind: RunFinished, Run: run, Result: res, Done: done, Total: len(b.Runs), Running: int(n)})
					mu.Unlock()
				}
				if run.Exclusive {
					excl.Unlock()
				} else {
					excl.RUnlock()
				}
			}
		})
	}
	wg.Wait()
	return results, ctx.Err()
}

func firstPositive[T int64 | time.Duration](vs ...T) T {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}
