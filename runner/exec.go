package runner

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/litbook/litbook/model"
	"golang.org/x/sys/unix"
)

// maxFilesLeft bounds how many entries of a run directory a result records;
// maxFilesCounted bounds how many more are counted before litbook stops
// looking, so that a run leaving millions of files does not stall the build.
const (
	maxFilesLeft    = 1000
	maxFilesCounted = 100000
)

// drainGrace is how long captured streams may keep delivering data after a
// run's processes were killed, before litbook stops reading them.
const drainGrace = 2 * time.Second

// execEnv is what every run of one Run call shares.
type execEnv struct {
	pathDirs    map[string]string // chapter path → directory of its programs
	tempDir     string
	machine     model.Machine
	timeout     time.Duration
	outputLimit int64
	// fileSizeLimit is each run's RLIMIT_FSIZE, in bytes; processLimit
	// bounds each run's tasks where a cgroup can (see cgroup.go).
	fileSizeLimit int64
	processLimit  int
	cgroups       cgroupDirs
	scratch       *scratch // makes the filesystems of runs with fs=
	// executing counts the runs executing now; orphans are swept only
	// when a run ends alone.
	executing atomic.Int32
}

// systemPath is the part of PATH inside a run after the chapter's programs.
const systemPath = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"

// sandboxPath is PATH inside a run: the chapter's programs first, if it has
// any, then the usual system directories.
func sandboxPath(programs string) string {
	if programs == "" {
		return systemPath
	}
	return programs + ":" + systemPath
}

// capture keeps the first limit bytes written to it and counts the rest.
type capture struct {
	limit int64
	data  []byte
	total int64
}

func (c *capture) Write(p []byte) (int, error) {
	c.total += int64(len(p))
	if room := c.limit - int64(len(c.data)); room > 0 {
		c.data = append(c.data, p[:min(room, int64(len(p)))]...)
	}
	return len(p), nil
}

func (c *capture) output() model.Output { return model.Output{Data: c.data, Total: c.total} }

// stream is a pipe or FIFO that litbook drains into a capture.
type stream struct {
	r    *os.File
	hold *os.File // litbook's own write end of a FIFO, so that reads do not see EOF before the shell opens it
	cap  capture
	done chan struct{}
}

func (s *stream) drain() {
	defer close(s.done)
	buf := make([]byte, 32<<10)
	_, _ = io.CopyBuffer(&s.cap, s.r, buf)
}

// finish releases litbook's write end and waits for the stream to end, at
// most until deadline; then it stops reading.
func (s *stream) finish(deadline time.Time) {
	if s.hold != nil {
		s.hold.Close()
	}
	_ = s.r.SetReadDeadline(deadline)
	<-s.done
	s.r.Close()
}

// newFIFO makes a FIFO at path and opens it for reading without blocking.
func newFIFO(path string, limit int64) (*stream, error) {
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return nil, &os.PathError{Op: "mkfifo", Path: path, Err: err}
	}
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &stream{r: r, hold: w, cap: capture{limit: limit}, done: make(chan struct{})}, nil
}

// script returns the shell script for run.
//
// Each foreground command runs in a brace group (so cd and variables carry
// over to later commands) with its output sent to its own FIFOs, and
// reports its start and exit status on fd 3. A background command is
// started as the shell would start it, so that $! is its pid (kill -9 $!
// must hit the program, not a wrapper); it reports that pid, and its status
// is collected just before the next command that runs a bare wait, unless
// the transcript manages jobs itself. The last line reports that the shell
// reached the end.
//
// litbook's own lines are wrapped in { ...; } 2>/dev/null so that set -x in
// a transcript traces the author's commands, not litbook's.
func script(run *model.Run, iodir string) []byte {
	var b bytes.Buffer
	quiet := func(format string, args ...any) {
		fmt.Fprintf(&b, "{ "+format+"; } 2>/dev/null\n", args...)
	}
	fmt.Fprintf(&b, "# litbook: %s (%s)\n", run.ID, run.Pos)
	// The start gate: litbook puts the shell in its cgroups and sets its
	// limits before any command starts, then writes a line on fd 4.
	quiet("read -r litbook_go <&4; exec 4<&-")
	quiet("litbook_status=0")
	collect := true
	for _, c := range run.Commands {
		if c.OwnJobs {
			collect = false
		}
	}
	var pending []int // background commands whose status is not collected yet
	for i, c := range run.Commands {
		out := shellQuote(filepath.Join(iodir, strconv.Itoa(i)+".out"))
		errf := shellQuote(filepath.Join(iodir, strconv.Itoa(i)+".err"))
		quiet("command printf 'B %d\\n' >&3", i)
		if c.Background {
			fmt.Fprintf(&b, "{ %s%s\n} >%s 2>%s 3>&- &\n", dashGuard, c.Text, out, errf)
			quiet("litbook_pid_%d=$!; command printf 'P %d %%d\\n' $! >&3", i, i)
			pending = append(pending, i)
			continue
		}
		if c.Waits && collect {
			for _, k := range pending {
				// if/else keeps set -e from ending the shell here.
				quiet("if wait $litbook_pid_%d; then litbook_status=0; else litbook_status=$?; fi; command printf 'E %d %%d\\n' $litbook_status >&3", k, k)
			}
			pending = nil
		}
		fmt.Fprintf(&b, "{ %s%s\n} >%s 2>%s 3>&-\n", dashGuard, c.Text, out, errf)
		quiet("litbook_status=$?; command printf 'E %d %%d\\n' $litbook_status >&3", i)
	}
	// The shell's status is the last foreground command's.
	quiet("command printf 'X 0\\n' >&3; exit $litbook_status")
	return b.Bytes()
}

// dashGuard starts every command's group. dash (0.5.12, Debian's
// /bin/sh) drops the redirection of a subshell that is the first command
// of a redirected group: in { (echo a) >f
// } >out, f is never created. Any command before it avoids that; this one
// does nothing, cannot fail, and traces nowhere under set -x. The last
// command of the group is still the author's, so its status is the
// group's, and in the background dash still execs it, so $! is its pid.
const dashGuard = "{ :; } 2>/dev/null; "

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// execute runs one run block in a fresh directory and returns its result;
// failures are in the result's Err.
func (r *Runner) execute(ctx context.Context, run *model.Run, env *execEnv) *model.Result {
	res := &model.Result{
		Run:      run,
		Commands: make([]model.CommandResult, len(run.Commands)),
		Exit:     -1,
		Machine:  env.machine,
		Start:    time.Now().UTC(),
	}
	fail := func(err error) *model.Result {
		res.Err = &model.Error{Pos: run.Pos, Msg: err.Error(), Err: err}
		return res
	}
	base, err := os.MkdirTemp(env.tempDir, runPrefix(os.Getpid()))
	if err != nil {
		return fail(err)
	}
	defer removeAll(base)
	work, iodir, tmp := filepath.Join(base, "work"), filepath.Join(base, "io"), filepath.Join(base, "tmp")
	for _, d := range []string{work, iodir, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fail(err)
		}
	}
	if run.FS != "" { // fs=: a filesystem of its own (fs.go)
		fs, undo, err := env.mountRunFS(run, base, work)
		if err != nil {
			return fail(err)
		}
		defer undo()
		res.FS = fs
	}
	token := newToken()

	var streams []*stream
	defer func() {
		for _, s := range streams {
			s.hold.Close()
			s.r.Close()
		}
	}()
	for i := range run.Commands {
		for _, ext := range []string{".out", ".err"} {
			s, err := newFIFO(filepath.Join(iodir, strconv.Itoa(i)+ext), env.outputLimit)
			if err != nil {
				return fail(err)
			}
			streams = append(streams, s)
		}
	}
	scriptPath := filepath.Join(iodir, "script.sh")
	if err := os.WriteFile(scriptPath, script(run, iodir), 0o644); err != nil {
		return fail(err)
	}
	shOut, err := newPipe(env.outputLimit)
	if err != nil {
		return fail(err)
	}
	defer shOut.close()
	shErr, err := newPipe(env.outputLimit)
	if err != nil {
		return fail(err)
	}
	defer shErr.close()
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	defer ctlR.Close()
	defer ctlW.Close()
	gateR, gateW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	defer gateR.Close()
	defer gateW.Close()

	timeout := env.timeout
	if run.Timeout > 0 {
		timeout = run.Timeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command("/bin/sh", scriptPath)
	cmd.Dir = work
	cmd.Env = []string{
		"PATH=" + sandboxPath(env.pathDirs[run.Chapter.Path]),
		"HOME=" + work,
		"TMPDIR=" + tmp,
		"LANG=C.UTF-8",
		"TZ=UTC",
		"TERM=dumb",
		"LITBOOK_RUN=" + token,
	}
	cmd.Stdout, cmd.Stderr = shOut.w, shErr.w
	cmd.ExtraFiles = []*os.File{ctlW, gateR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	for _, s := range streams {
		go s.drain()
	}
	go shOut.s.drain()
	go shErr.s.drain()
	type ctlEvent struct {
		kind byte // 'B'egin, 'P'id of a background command, 'E'nd, 'X': the script's end
		i    int
		n    int // pid or exit status
		at   time.Time
	}
	// The reader owns events until ctlDone is closed.
	var events []ctlEvent
	ctlDone := make(chan struct{})
	go func() {
		defer close(ctlDone)
		sc := bufio.NewScanner(ctlR)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 || len(f[0]) != 1 {
				continue
			}
			i, err := strconv.Atoi(f[1])
			if err != nil || i < 0 || i >= len(run.Commands) {
				continue
			}
			e := ctlEvent{kind: f[0][0], i: i, at: time.Now()}
			if len(f) == 3 {
				e.n, _ = strconv.Atoi(f[2])
			}
			events = append(events, e)
		}
	}()

	start := time.Now()
	err = startTracked(cmd)
	// The shell has its own copies of the write ends; litbook's must go,
	// or the streams would never end.
	ctlW.Close()
	gateR.Close()
	shOut.w.Close()
	shErr.w.Close()
	if err != nil {
		return fail(err)
	}
	pgid := cmd.Process.Pid
	defer untrack(pgid)
	cg := env.cgroups.join(pgid, token, env.processLimit)
	defer cg.remove()
	limitFileSize(pgid, env.fileSizeLimit)
	_, _ = gateW.Write([]byte("go\n"))
	gateW.Close()
	waitDone := make(chan error, 1)
	go func() { waitDone <- cmd.Wait() }()
	var waitErr error
	timedOut, interrupted := false, false
	select {
	case waitErr = <-waitDone:
	case <-rctx.Done():
		// Decide now: the time spent cleaning up below is not the run's.
		interrupted = ctx.Err() != nil
		timedOut = !interrupted
		cg.kill()
		_ = unix.Kill(-pgid, unix.SIGKILL)
		waitErr = <-waitDone
	}
	res.Duration = time.Since(start)
	end := time.Now()
	// The shell is gone and no command holds fd 3 (each gets 3>&-), so the
	// control pipe ends at once; the deadline only guards against a
	// program that reopened it through /proc.
	_ = ctlR.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	<-ctlDone
	begun := make([]time.Time, len(run.Commands))
	lastRan, finished := -1, false
	for _, e := range events {
		c := &res.Commands[e.i]
		switch e.kind {
		case 'B':
			c.Ran, begun[e.i] = true, e.at
			lastRan = e.i
		case 'P':
			// Still running now, it is about to be killed below.
			c.Pid, c.Killed = e.n, running(e.n)
		case 'E':
			c.Done, c.Exit = true, e.n
			c.Duration = e.at.Sub(begun[e.i]).Round(time.Millisecond)
		case 'X':
			finished = true
		}
	}
	// The transcript is over: nothing it started may outlive it.
	cg.kill()
	killRun(pgid, token, base)
	sweepIf(func() bool { return env.executing.Load() == 1 })
	deadline := time.Now().Add(drainGrace)
	for _, s := range streams {
		s.finish(deadline)
	}
	shOut.s.finish(deadline)
	shErr.s.finish(deadline)

	for i := range res.Commands {
		res.Commands[i].Stdout = streams[2*i].cap.output()
		res.Commands[i].Stderr = streams[2*i+1].cap.output()
	}
	// dash names the script and its line ("/tmp/…/script.sh: 13:"), which
	// mean nothing to the author: say "sh:" as a terminal would.
	shell := append(shOut.s.cap.data, shErr.s.cap.data...)
	kept := scriptLineRE.ReplaceAll(shell, []byte("sh: "))
	res.Shell = model.Output{Data: kept, Total: shOut.s.cap.total + shErr.s.cap.total - int64(len(shell)-len(kept))}
	var exitErr *exec.ExitError
	switch {
	case waitErr == nil:
		res.Exit = 0
	case errors.As(waitErr, &exitErr):
		res.Exit = exitErr.ExitCode()
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Exit = 128 + int(ws.Signal()) // as the shell reports it
		}
	}
	// A foreground command that ended the shell (exit N, exec prog, or an
	// error the shell met when it got there) reported no status of its
	// own: the shell's status is its status.
	if !finished && !timedOut && !interrupted && lastRan >= 0 && !run.Commands[lastRan].Background {
		if c := &res.Commands[lastRan]; !c.Done {
			c.Done, c.Exit = true, res.Exit
			c.Duration = end.Sub(begun[lastRan]).Round(time.Millisecond)
		}
	}
	if !interrupted {
		res.Files, res.FilesOmitted = filesLeft(work)
	}
	switch {
	case interrupted:
		res.Err = &model.Error{Pos: run.Pos, Msg: "interrupted", Err: ErrInterrupted}
	case timedOut:
		res.TimedOut = true
		res.Err = timeoutError(run, res, timeout)
	case !finished && lastRan >= 0 && run.Commands[lastRan].Background:
		// The shell stopped while starting a background command: a
		// syntax error, say.
		res.Err = &model.Error{Pos: run.Commands[lastRan].Pos, Msg: fmt.Sprintf("the shell stopped at this command with status %d", res.Exit), Detail: tail(res.Commands[lastRan], res)}
	default:
		res.Err = judge(run, res)
	}
	if !interrupted && res.Err != nil {
		explainLimits(res.Err, run, res, env, cg)
	}
	return res
}

// limitFileSize lowers the soft RLIMIT_FSIZE of process pid to limit
// bytes, never raising it. The hard limit stays, so that a program may
// lower its own limit and raise it again (the limit guards against
// accidents, not against the program).
func limitFileSize(pid int, limit int64) {
	var old unix.Rlimit
	if limit <= 0 || unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &old) != nil {
		return
	}
	if uint64(limit) >= old.Cur {
		return
	}
	_ = unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: uint64(limit), Max: old.Max}, nil)
}

// explainLimits says so in e when the failure it reports met one of the
// run's limits: the command it is about died of SIGXFSZ or failed a write
// with EFBIG, or a fork of the run failed because the run had as many
// tasks as its cgroup allows.
func explainLimits(e *model.Error, run *model.Run, res *model.Result, env *execEnv, cg *runCgroup) {
	for i, c := range run.Commands {
		cr := res.Commands[i]
		if c.Pos != e.Pos || !cr.Done {
			continue
		}
		killed := cr.Exit == 128+int(unix.SIGXFSZ)
		if killed || bytes.Contains(bytes.ToLower(cr.Stderr.Data), []byte("file too large")) {
			// The limit is the cause: the hint to declare exit= is not.
			how := fmt.Sprintf("exited with status %d", cr.Exit)
			if killed {
				how = "was killed by SIGXFSZ"
			}
			// A program may lower its own limit (the book's write-loop
			// chapter does), so name litbook's without blaming it.
			e.Msg = fmt.Sprintf("command %s: it reached a file size limit (litbook's is %s, file-size-limit in book.toml's [build]; a program may set a lower one)", how, sizeString(env.fileSizeLimit))
		}
	}
	if !cg.hitLimit() {
		return
	}
	note := fmt.Sprintf("the run reached its limit of %d processes and threads, and a fork failed (process-limit in book.toml's [build])", env.processLimit)
	for i, c := range run.Commands {
		if cr := res.Commands[i]; c.Pos == e.Pos && cr.Done && !errors.Is(e, ErrTimeout) {
			e.Msg = fmt.Sprintf("command exited with status %d: %s", cr.Exit, note)
			return
		}
	}
	e.Msg += ": " + note
}

// sizeString prints n bytes in the largest binary unit that divides it.
func sizeString(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// scriptLineRE matches the prefix dash gives its own messages.
var scriptLineRE = regexp.MustCompile(`(?m)^\S*script\.sh: \d+: `)

// pipe is an os.Pipe whose read end litbook drains.
type pipe struct {
	w *os.File
	s *stream
}

// close closes both ends; closing an end twice is harmless here.
func (p *pipe) close() {
	p.w.Close()
	p.s.r.Close()
}

func newPipe(limit int64) (*pipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &pipe{w: w, s: &stream{r: r, cap: capture{limit: limit}, done: make(chan struct{})}}, nil
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// timeoutError reports a run killed at its limit, at the command that was
// running then.
func timeoutError(run *model.Run, res *model.Result, limit time.Duration) *model.Error {
	pos, detail := run.Pos, ""
	for i := len(res.Commands) - 1; i >= 0; i-- {
		if c := res.Commands[i]; c.Ran && !c.Done {
			pos, detail = run.Commands[i].Pos, tail(c, res)
			break
		}
	}
	return &model.Error{Pos: pos, Msg: fmt.Sprintf("timed out after %s (set timeout= on the run block to allow longer)", limit), Detail: detail, Err: ErrTimeout}
}

// judge checks a finished run against its declaration: every foreground
// command exits 0, except the last, which exits with the declared status.
// Background commands may fail; their statuses are recorded and shown.
func judge(run *model.Run, res *model.Result) *model.Error {
	last := -1
	for i, c := range run.Commands {
		if !c.Background {
			last = i
		}
	}
	for i, c := range run.Commands {
		if c.Background {
			continue
		}
		cr := res.Commands[i]
		want := 0
		if i == last {
			want = run.Exit
		}
		switch {
		case !cr.Ran:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command never ran: the shell exited with status %d before it", res.Exit), Detail: tail(cr, res)}
		case !cr.Done:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command did not finish: the shell exited with status %d", res.Exit), Detail: tail(cr, res)}
		case cr.Exit != want && i == last && run.Exit != 0:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command exited with status %d, but the run declares exit=%d", cr.Exit, run.Exit), Detail: tail(cr, res)}
		case cr.Exit != want && i == last:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command exited with status %d (add exit=%d to the run block if that is intended)", cr.Exit, cr.Exit), Detail: tail(cr, res)}
		case cr.Exit != want:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command exited with status %d (only the last command of a run may fail, with exit=N)", cr.Exit), Detail: tail(cr, res)}
		}
	}
	return nil
}

// tail returns the last lines of what explains a command's failure: its
// stderr, else its stdout, else what the shell itself printed.
func tail(c model.CommandResult, res *model.Result) string {
	data := c.Stderr.Data
	if len(bytes.TrimSpace(data)) == 0 {
		data = c.Stdout.Data
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = res.Shell.Data
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return strings.ToValidUTF8(strings.Join(lines, "\n"), "\uFFFD")
}

// filesLeft lists what a run left in its directory.
func filesLeft(dir string) ([]model.FileInfo, int) {
	var files []model.FileInfo
	omitted := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		if len(files) >= maxFilesLeft {
			omitted++
			if omitted >= maxFilesCounted {
				return fs.SkipAll
			}
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		fi := model.FileInfo{Name: filepath.ToSlash(rel)}
		switch t := d.Type(); {
		case t.IsDir():
			fi.Mode = "dir"
		case t&fs.ModeSymlink != 0:
			fi.Mode = "symlink"
		case t.IsRegular():
			fi.Mode = "file"
			if info, err := d.Info(); err == nil {
				fi.Size = info.Size()
			}
		default:
			fi.Mode = "other"
		}
		files = append(files, fi)
		return nil
	})
	return files, omitted
}

// removeAll removes a run's base directory, making directories that a
// program made unwritable writable first.
func removeAll(dir string) {
	if os.RemoveAll(dir) == nil {
		return
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
}
