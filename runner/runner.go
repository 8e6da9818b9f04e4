package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner/supervise"
	"golang.org/x/sys/unix"
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
	// OutputLimit caps the output each run keeps, in bytes: all its
	// commands, streams and trials together; the rest is counted. Default:
	// the book's [build] output-limit, or 1 MiB.
	OutputLimit int64
	// FileSizeLimit is the largest file a run's processes may write
	// (RLIMIT_FSIZE, soft), in bytes. Default: the book's [build]
	// file-size-limit, or 1 GiB.
	FileSizeLimit int64
	// ProcessLimit bounds the processes and threads of each run, where
	// the Supervisor can make a pids cgroup for it. Default: the
	// book's [build] process-limit, or 4096.
	ProcessLimit int64
	// WorkDir holds the generated programs module and the binaries.
	// Default: .litbook in the book's root.
	WorkDir string
	// TempDir is where run directories are made. Default: os.TempDir().
	TempDir string
	// Go is the go command. Default: "go" on PATH.
	Go string
	// Hashes, if set, identifies by program name what each program
	// compiles from (its sources, the module and the toolchain), as the
	// caller hashes them. Build records the hash beside each binary it
	// makes, and keeps the binary of a program it is not asked to compile
	// when that matches, so that running again needs no relink.
	Hashes map[string]string
	// Progress, if set, is called as work starts and finishes. Calls are
	// serialized.
	Progress func(Event)
	// Done, if set, is called by Run with each run's record once all its
	// trials ended, from one goroutine of its own, in the order records
	// complete, while later runs go on; Run returns after the last call.
	Done func(*model.Record)
	// Note, if set, is told what the author should know about how runs
	// execute on this machine, such as that they cannot be isolated
	// (once per process).
	Note func(string)
	// Supervisor, if set, watches over every process the runner starts:
	// it finds and kills what a run left running however it escaped its
	// process group, bounds runs with cgroups, and removes what a killed
	// litbook left behind (see package supervise). Without it, each run
	// is its own process group, killed as a group when it ends, times out
	// or is cancelled, and the runner changes no process-wide state.
	Supervisor *supervise.Supervisor

	progressMu sync.Mutex
	goRootMu   sync.Mutex
	goRoot     string // see GoRoot
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

// start starts cmd, through the Supervisor if there is one.
func (r *Runner) start(cmd *exec.Cmd) error {
	if r.Supervisor != nil {
		return r.Supervisor.Start(cmd)
	}
	return cmd.Start()
}

// wait waits for cmd, which start started.
func (r *Runner) wait(cmd *exec.Cmd) error {
	err := cmd.Wait()
	if r.Supervisor != nil {
		r.Supervisor.Exited(cmd.Process.Pid)
	}
	return err
}

// command returns the command name with args, to start with start or
// runCmd as a child that litbook owns, as it owns go: in a process group of
// its own, killed with everything it started when ctx is cancelled, and by
// the kernel when litbook dies (Pdeathsig). (Pdeathsig follows the thread
// that starts the child, and Go ends a thread when a goroutine locked to
// it ends: litbook's locked threads are those of runs' namespaces, which
// start such a child only on their own thread and wait for it (fs=), and
// slot threads, which start none; a thread that once started one and was
// locked later would take the child with it when it ends. See
// golang.org/issue/27505.) Through the Supervisor, no sweep takes it for a
// run's orphan.
func (r *Runner) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGKILL) }
	cmd.WaitDelay = time.Second
	return cmd
}

// output runs cmd, made by command, and returns its standard output, and
// its standard error too if combined.
func (r *Runner) output(cmd *exec.Cmd, combined bool) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	if combined {
		cmd.Stderr = &out
	}
	err := r.runCmd(cmd)
	return out.Bytes(), err
}

// runCmd starts cmd and waits for it.
func (r *Runner) runCmd(cmd *exec.Cmd) error {
	if err := r.start(cmd); err != nil {
		return err
	}
	return r.wait(cmd)
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
	// A run uses real paths: a private /tmp (isolate.go) keeps only the
	// directories it binds by their real path, and a TMPDIR that is a
	// symbolic link under /tmp would vanish under it.
	if real, err := filepath.EvalSymlinks(tmp); err == nil {
		tmp = real
	}
	env := &execEnv{
		pathDirs:      progs.PathDirs,
		programDirs:   progs.ProgramDirs,
		src:           progs.Src,
		module:        progs.Module,
		tempDir:       tmp,
		machine:       machine(progs.GoVersion, tmp),
		timeout:       firstPositive(r.Timeout, b.Config.Timeout, model.DefaultTimeout),
		outputLimit:   firstPositive(r.OutputLimit, b.Config.OutputLimit, model.DefaultOutputLimit),
		fileSizeLimit: firstPositive(r.FileSizeLimit, b.Config.FileSizeLimit, model.DefaultFileSizeLimit),
		processLimit:  int(firstPositive(r.ProcessLimit, b.Config.ProcessLimit, model.DefaultProcessLimit)),
		scratch:       scratchFor(r.workDir(b)),
		root:          b.Root,
		binDir:        progs.BinDir,
		isolated:      isolation() == nil,
		ioRoot:        ioRoot(),
	}
	env.tool = func(name string, args ...string) ([]byte, error) {
		return r.output(r.command(ctx, name, args...), true)
	}
	if note := isolationNote(); note != "" && r.Note != nil {
		r.Note(note)
	}
	if goRoot, err := r.GoRoot(ctx, b); err == nil {
		env.goBin = filepath.Join(goRoot, "bin")
	} else if r.Note != nil {
		r.Note(fmt.Sprintf("the runs' PATH lacks the Go toolchain: %v", err))
	}
	for _, run := range runs {
		if run.Dir != "" {
			if env.goEnv, err = r.lookGoEnv(ctx); err != nil {
				return nil, err
			}
			break
		}
	}
	if r.Supervisor != nil {
		r.Supervisor.RemoveStale(tmp, env.ioRoot) // "" has no entries
		defer r.Supervisor.SweepOrphans(func() bool { return true })
	}
	s := newSchedule(ctx, r, runs, progs.GoVersion, env)
	workers := min(jobs, s.total)
	inPool := 0 // trials that start from a thread of the pool
	var poolRuns []*model.Run
	for i, run := range runs {
		if pooled(run) {
			inPool += len(s.trials[i])
			poolRuns = append(poolRuns, run)
		}
	}
	if env.isolated && inPool > 0 {
		env.setAllKeep(poolRuns)
		var newSlot func() *supervise.Slot
		if r.Supervisor != nil {
			newSlot = func() *supervise.Slot { return r.Supervisor.NewSlot(env.processLimit) }
		}
		env.pool = newThreadPool(workers, inPool, newSlot, func(t *nsThread, sl *supervise.Slot) error { return r.prepareRun(env, t, sl) })
		defer addProcs(workers)()
	}
	go s.queue()
	go s.reporter()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(s.work)
	}
	wg.Wait()
	env.cleaning.Wait()
	if env.pool != nil {
		env.pool.close()
	}
	s.closeReports()
	return s.records, ctx.Err()
}

func firstPositive[T int64 | time.Duration](vs ...T) T {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}
