package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner/internal/procfs"
	"github.com/litbook/litbook/runner/supervise"
	"golang.org/x/sys/unix"
)

// drainGrace is how long captured streams may keep delivering data after a
// run's processes were killed, before litbook stops reading them.
const drainGrace = 2 * time.Second

// execEnv is what every run of one Run call shares.
type execEnv struct {
	pathDirs    map[string]string // chapter path → directory of its programs
	programDirs map[string]string // program name → directory of its link alone (uses=)
	src         string            // the generated module, which in= copies
	module      string            // its module path
	goEnv       *goEnv            // the go command for runs with in=, or nil
	tempDir     string
	machine     model.Machine
	timeout     time.Duration
	outputLimit int64
	// fileSizeLimit is each run's RLIMIT_FSIZE, in bytes; processLimit
	// bounds each run's tasks where the Supervisor makes a cgroup.
	fileSizeLimit int64
	processLimit  int
	scratch       *scratch // makes the filesystems of runs with fs=
	tool          runTool  // runs mkfs, supervised and cancelled with the build
	// executing counts the runs executing now; orphans are swept only
	// when a run ends alone.
	executing atomic.Int32
	// cleaning counts the runs whose leftovers are still being removed
	// (see executeRun).
	cleaning sync.WaitGroup
	// pool makes the threads of isolated runs ahead of them; nil unless
	// runs are isolated.
	pool *threadPool
	// root is the book's directory, where stdin= and files= are read.
	root string
	// goBin is the bin directory of the Go toolchain that built the
	// programs, on PATH after them.
	goBin string
	// isolated is set when runs get namespaces of their own (isolate.go).
	isolated bool
	// realPaths caches realPath.
	realPaths sync.Map
	// allKeep is every directory that the private /tmp of a run from the
	// pool keeps but the run's own (see keep and setAllKeep).
	allKeep []string
	// ioRoot is where runs get the directory of their streams, or "" to
	// have it in their base directory (see ioRoot).
	ioRoot string
	// binDir holds the programs, which the links of pathDirs point to.
	binDir string
}

// systemPath is the part of PATH inside a run after the chapter's programs.
const systemPath = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"

// sandboxPath is PATH inside a run: the chapter's programs first, if it has
// any, then the bin directory of the Go toolchain that built them, if
// known, then the usual system directories.
func sandboxPath(programs, goBin string) string {
	path := systemPath
	if goBin != "" {
		path = goBin + ":" + path
	}
	if programs != "" {
		path = programs + ":" + path
	}
	return path
}

// budget is how many bytes of output a run may still keep, shared by all
// its commands, streams and trials, so that litbook's memory is bounded per
// run whatever their number.
type budget struct{ left atomic.Int64 }

func newBudget(limit int64) *budget {
	b := new(budget)
	b.left.Store(limit)
	return b
}

// take takes up to n bytes from the budget and returns how many it got.
func (b *budget) take(n int64) int64 {
	for {
		left := b.left.Load()
		if left <= 0 || n <= 0 {
			return 0
		}
		got := min(n, left)
		if b.left.CompareAndSwap(left, left-got) {
			return got
		}
	}
}

// capture keeps what its run's budget allows of what is written to it and
// counts the rest.
type capture struct {
	budget *budget
	data   []byte
	total  int64
	// seq numbers the reads of every stream of a run, in the order they
	// happened; chunks records the kept bytes of each read with its
	// number, so that two streams can be merged in the order they arrived.
	seq    *sequence
	chunks []seqChunk
}

// sequence numbers the reads of a run's streams. A stream reads (one
// non-blocking read(2)) and numbers what it read with mu held, so that the
// numbers are the order of the reads themselves, not of the goroutines
// that made them: a write made after litbook took the other stream's
// earlier write out of its pipe is always numbered after it.
type sequence struct {
	mu sync.Mutex
	n  int64
}

// seqChunk is the kept part of one read of a stream.
type seqChunk struct {
	seq int64
	n   int
}

func (c *capture) Write(p []byte) (int, error) {
	c.total += int64(len(p))
	if n := c.budget.take(int64(len(p))); n > 0 {
		c.data = append(c.data, p[:n]...)
		if c.seq != nil { // the caller holds c.seq.mu (see stream.read)
			c.seq.n++
			c.chunks = append(c.chunks, seqChunk{c.seq.n, int(n)})
		}
	}
	return len(p), nil
}

func (c *capture) output() model.Output { return model.Output{Data: c.data, Total: c.total} }

// stream is a pipe or FIFO that litbook drains into a capture, or, for
// the control pipe, into events.
type stream struct {
	r      *os.File
	hold   *os.File // litbook's own write end of a FIFO, so that reads do not see EOF before the shell opens it
	cap    capture
	events *control
	done   chan struct{}
	// mu is held for each read and what it hands on, unless the stream
	// is numbered (see lock); over, set by finish, ends the reads.
	mu   sync.Mutex
	over bool
}

// readBuffers lends read buffers to the streams of every run. A stream
// holds one only while it reads, not while it waits for data, so that
// litbook's memory does not grow with the number of a run's commands, most
// of whose streams are idle at any time.
// (A free list rather than a sync.Pool, which the race detector makes drop
// buffers at random.)
var readBuffers struct {
	sync.Mutex
	free [][]byte
}

func getBuffer() []byte {
	readBuffers.Lock()
	defer readBuffers.Unlock()
	if n := len(readBuffers.free); n > 0 {
		b := readBuffers.free[n-1]
		readBuffers.free = readBuffers.free[:n-1]
		return b
	}
	return make([]byte, 64<<10)
}

func putBuffer(b []byte) {
	readBuffers.Lock()
	readBuffers.free = append(readBuffers.free, b)
	readBuffers.Unlock()
}

// drain reads the stream into its capture until it ends (EOF, an error, or
// a read deadline: see finish).
func (s *stream) drain() {
	defer close(s.done)
	rc, err := s.r.SyscallConn()
	if err != nil {
		return
	}
	for end := false; !end; {
		// One read per call: between calls, the poller checks the
		// deadline, which a writer that never stops must not escape.
		err := rc.Read(func(fd uintptr) bool {
			buf := getBuffer()
			defer putBuffer(buf)
			n, err := s.read(int(fd), buf)
			switch {
			case n > 0:
			case err == unix.EAGAIN:
				return false // wait until readable
			case err == unix.EINTR:
			default:
				end = true // EOF or an error
			}
			return true
		})
		if err != nil {
			return
		}
	}
}

// read makes one read(2) of the stream's descriptor fd into buf and hands
// what it read to the capture, or to events. Reads of a run's numbered
// streams are numbered in the order they happen (see sequence).
func (s *stream) read(fd int, buf []byte) (int, error) {
	lock := s.lock()
	lock.Lock()
	defer lock.Unlock()
	if s.over {
		return 0, nil // as at EOF
	}
	n, err := unix.Read(fd, buf)
	if n > 0 {
		if s.events != nil {
			s.events.feed(buf[:n], time.Now())
		} else {
			_, _ = s.cap.Write(buf[:n])
		}
	}
	return n, err
}

// lock is the lock each read of the stream holds: its run's sequence's
// if the stream is numbered, else its own.
func (s *stream) lock() *sync.Mutex {
	if seq := s.cap.seq; seq != nil {
		return &seq.mu
	}
	return &s.mu
}

// release releases litbook's write end, so that the stream ends once
// what else writes to it is gone.
func (s *stream) release() {
	if s.hold != nil {
		s.hold.Close()
	}
}

// finish reads what is left of the stream, until it ends or until
// deadline while something still writes to it, and ends drain's reads.
// Call it once what wrote to the stream is gone (release, and the run's
// processes killed); sandbox.close closes it.
//
// Waiting for drain to see the end would wait for the scheduler to run
// drain, parked in the poller: a millisecond or more when litbook's
// threads are busy, twice on every run's path (its control pipe, its
// streams). The deadline makes drain return at its next read, whenever
// that is; what is left is read here.
func (s *stream) finish(deadline time.Time) {
	_ = s.r.SetReadDeadline(time.Now())
	if rc, err := s.r.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { s.readRest(int(fd), deadline) })
	}
	lock := s.lock()
	lock.Lock()
	s.over = true
	lock.Unlock()
}

// readRest reads the non-blocking descriptor fd of the stream until EOF or
// an error, waiting for more while it is empty but still has a writer,
// until deadline.
func (s *stream) readRest(fd int, deadline time.Time) {
	buf := getBuffer()
	defer putBuffer(buf)
	for {
		n, err := s.read(fd, buf)
		switch {
		case n > 0 || err == unix.EINTR:
			if n > 0 && time.Now().After(deadline) {
				return // a writer that never stops
			}
		case err == unix.EAGAIN:
			wait := time.Until(deadline)
			if wait <= 0 {
				return
			}
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			_, _ = unix.Poll(pfd, int(min(wait, time.Second)/time.Millisecond)+1)
		default:
			return // EOF or an error
		}
	}
}

// newFIFO makes a FIFO at path and opens it for reading without blocking;
// seq numbers its reads among those of the run's other streams.
func newFIFO(path string, bud *budget, seq *sequence) (*stream, error) {
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
	return &stream{r: r, hold: w, cap: capture{budget: bud, seq: seq}, done: make(chan struct{})}, nil
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

// maxScriptArg is the longest script passed to the shell as an argument;
// Linux takes up to 128 KiB in one.
const maxScriptArg = 100 << 10

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
// failures are in the result's Err. Its captured output takes from bud,
// the budget of all the trials of the run. It sets up the run's sandbox, launches
// its shell, waits for it or kills it, reads what the shell reported on
// its control pipe, and judges the outcome. By then nothing of the run
// is alive; cleanup, which the caller must call (in the run's namespaces
// if t is nil and the run has mounts of its own, fs=), removes what is
// left of it: its directories, mounts and cgroups. The result does not
// wait for that.
//
// t, if not nil, is a thread in the run's namespaces, which starts its
// shell and then leaves them, for another run's or for good (see
// executeRun); execute gives it up in any case. nil means that the
// caller is in the run's namespaces, or that runs have none.
func (r *Runner) execute(ctx context.Context, run *model.Run, env *execEnv, bud *budget, t *nsThread) (_ *model.Result, cleanup func()) {
	res := &model.Result{
		Run:      run,
		Commands: make([]model.CommandResult, len(run.Commands)),
		Exit:     -1,
		Machine:  env.machine,
		Start:    time.Now().UTC(),
	}
	token, base := newToken(), ""
	var sup *supervise.Run // the run's cgroups, if the thread made them
	if t != nil && t.token != "" {
		token, sup, base = t.token, t.sup, t.base
	}
	cleanup = func() {}
	if t != nil {
		cleanup = t.discard
	}
	fail := func(err error) (*model.Result, func()) {
		res.Err = &model.Error{Pos: run.Pos, Msg: err.Error(), Err: err}
		return res, cleanup
	}
	sb, err := newSandbox(run, env, bud, token, base)
	if err != nil {
		return fail(err)
	}
	cleanup = func() { // launch gives t its work, whatever happens
		sup.Close()
		sb.close()
	}
	res.FS = sb.fs
	timeout := env.timeout
	if run.Timeout > 0 {
		timeout = run.Timeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	sb.drain()
	var start time.Time
	var ended chan struct{} // see nsThread.ended
	if t != nil {
		ended = t.ended
	}
	free := func() {
		if ended != nil {
			close(ended)
			ended = nil
		}
	}
	defer free()
	cmd, sup, err := r.launch(run, sb, env, t, sup, &start)
	t = nil // it started the shell, or failed to, and has left
	if err != nil {
		return fail(err)
	}
	end := r.waitOrKill(ctx, rctx, cmd, sup, res)
	res.Duration = end.wait.Sub(start)
	// The shell is gone and no command holds fd 3 (each gets 3>&-), so the
	// control pipe ends at once; the deadline only guards against a
	// program that reopened it through /proc.
	sb.ctl.finish(time.Now().Add(500 * time.Millisecond))
	ev := applyEvents(res, run, sb.ctl.events.done())
	// The transcript is over: nothing it started may outlive it.
	_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
	hitLimit := false
	if r.Supervisor != nil {
		sup.Kill()
		r.Supervisor.SweepOrphans(func() bool { return env.executing.Load() == 1 })
		// Before the slot, whose pids cgroup it may be, is the next run's.
		hitLimit = sup.HitLimit()
	}
	free()
	sb.collect(res)
	setExit(res, end.err)
	// A foreground command that ended the shell (exit N, exec prog, or an
	// error the shell met when it got there) reported no status of its
	// own: the shell's status is its status.
	if l := ev.lastRan; !ev.finished && !end.timedOut && !end.interrupted && l >= 0 && !run.Commands[l].Background {
		if c := &res.Commands[l]; !c.Done {
			c.Done, c.Exit = true, res.Exit
			c.Duration = end.wait.Sub(ev.begun[l]).Round(time.Millisecond)
		}
	}
	if !end.interrupted {
		res.Files, res.FilesOmitted, res.FilesPartial = filesLeft(sb.work)
	}
	res.Err = verdict(run, res, end, ev, timeout)
	if !end.interrupted && res.Err != nil {
		explainLimits(res.Err, run, res, env, hitLimit)
	}
	return res, cleanup
}

// sandbox is what one run executes in: its directory base (holding work,
// the run's own directory, and tmp, its TMPDIR unless it has a /tmp of
// its own), the directory io of litbook's streams and script (on a tmpfs
// where the machine has one, see ioRoot, else base itself), the streams
// that capture each command's output, the shell's own output, and the
// control and start-gate pipes. close releases all of it.
type sandbox struct {
	base, work, io, tmp string
	dir                 string // where the shell starts: work, or work/NAME for in=NAME
	token               string
	script              string // the script's name, and its file if inFile
	text                []byte // the script
	inFile              bool
	streams             []*stream // stdout then stderr of each command
	shOut, shErr        *pipe
	ctl                 *stream // the shell reports on fd 3, ctlW
	ctlW                *os.File
	draining            bool     // drain started reading the streams
	gateR, gateW        *os.File // the shell waits on fd 4
	// stdin is the shell's standard input; nil is /dev/null, which every
	// run has until a run block can say otherwise.
	stdin *os.File
	// fs is the filesystem of a run with fs= (fs.go), unmounted by
	// unmount.
	fs      *model.Filesystem
	unmount func()
	// untmp unmounts the run's private /tmp (isolate.go); nil if it has
	// none.
	untmp func()
	// seq numbers the reads of the commands' streams.
	seq sequence
}

// ioRoot returns the directory in which a run's streams (FIFOs) and script
// are made: /dev/shm where it is a tmpfs that litbook may write, else "".
// On a disk filesystem each FIFO costs a journalled inode, made and
// removed on every run; on a tmpfs it costs next to nothing, and a FIFO
// carries its data through the kernel's pipe buffers wherever it lives.
var ioRoot = sync.OnceValue(func() string {
	const shm = "/dev/shm"
	var st unix.Statfs_t
	if unix.Statfs(shm, &st) != nil || st.Type != unix.TMPFS_MAGIC || unix.Access(shm, unix.W_OK) != nil {
		return ""
	}
	return shm
})

// newSandbox makes the run's directories, its FIFOs and pipes, whose
// captures share bud, and writes its script.
//
// base, if not "", is the run's base directory, made ahead with its work
// directory in it (see prepareRun).
func newSandbox(run *model.Run, env *execEnv, bud *budget, token, base string) (_ *sandbox, err error) {
	made := base != ""
	if !made {
		if base, err = os.MkdirTemp(env.tempDir, supervise.Prefix(os.Getpid())); err != nil {
			return nil, err
		}
	}
	sb := &sandbox{base: base, work: filepath.Join(base, "work"), io: base, token: token}
	defer func() {
		if err != nil {
			sb.close()
		}
	}()
	if !env.isolated { // else its /tmp is its own (isolate.go)
		sb.tmp = filepath.Join(base, "tmp")
	}
	for _, d := range []string{sb.work, sb.tmp} {
		if d == "" || d == sb.work && made {
			continue
		}
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, err
		}
	}
	if env.ioRoot != "" {
		if sb.io, err = os.MkdirTemp(env.ioRoot, supervise.Prefix(os.Getpid())); err != nil {
			sb.io = base
			return nil, err
		}
	}
	if run.FS != "" { // fs=: a filesystem of its own (fs.go)
		if sb.fs, sb.unmount, err = env.mountRunFS(run, base, sb.work); err != nil {
			return nil, err
		}
	}
	if sb.dir, err = env.prepareDir(run, sb.work); err != nil {
		return nil, err
	}
	if err := copyInputs(run, env.root, sb.dir); err != nil {
		return nil, err
	}
	if run.Stdin != nil {
		if sb.stdin, err = openInput(run, env.root, sb.base); err != nil {
			return nil, err
		}
	}
	for i := range run.Commands {
		for _, ext := range []string{".out", ".err"} {
			s, err := newFIFO(filepath.Join(sb.io, strconv.Itoa(i)+ext), bud, &sb.seq)
			if err != nil {
				return nil, err
			}
			sb.streams = append(sb.streams, s)
		}
	}
	// The shell gets its script as an argument ($0 still names the script,
	// as dash's messages do): one file fewer to write and remove on every
	// run. A script too long for an argument goes in that file.
	sb.script = filepath.Join(sb.io, "script.sh")
	sb.text = script(run, sb.io)
	if len(sb.text) > maxScriptArg {
		if err := os.WriteFile(sb.script, sb.text, 0o644); err != nil {
			return nil, err
		}
		sb.inFile = true
	}
	if sb.shOut, err = newPipe(bud); err != nil {
		return nil, err
	}
	if sb.shErr, err = newPipe(bud); err != nil {
		return nil, err
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	sb.ctl, sb.ctlW = &stream{r: ctlR, events: &control{n: len(run.Commands)}, done: make(chan struct{})}, ctlW
	if sb.gateR, sb.gateW, err = os.Pipe(); err != nil {
		return nil, err
	}
	return sb, nil
}

// close closes every file of the sandbox (closing one twice is harmless
// here), waits for the goroutines that drained its streams, and removes
// its directory.
func (sb *sandbox) close() {
	for _, s := range sb.streams {
		s.hold.Close()
		s.r.Close()
	}
	for _, p := range []*pipe{sb.shOut, sb.shErr} {
		if p != nil {
			p.close()
		}
	}
	if sb.ctl != nil {
		sb.ctl.r.Close()
	}
	for _, f := range []*os.File{sb.ctlW, sb.gateR, sb.gateW, sb.stdin} {
		if f != nil {
			f.Close()
		}
	}
	if sb.draining {
		// Closed, each drain returns if it has not yet (see finish).
		for _, s := range sb.all() {
			<-s.done
		}
	}
	// The private /tmp first: it holds a copy of the mount of fs=, which
	// the unmount of fs= then finds at its own path again.
	if sb.untmp != nil {
		sb.untmp()
	}
	if sb.unmount != nil {
		sb.unmount()
	}
	sb.remove()
}

// remove removes the sandbox's directory: litbook's own files by name, the
// run's directories (usually empty, removed at once) with all they hold,
// then the directory itself, and anything else that is left.
func (sb *sandbox) remove() {
	for i := range len(sb.streams) / 2 {
		for _, ext := range []string{".out", ".err"} {
			_ = unix.Unlink(filepath.Join(sb.io, strconv.Itoa(i)+ext))
		}
	}
	if sb.inFile {
		_ = unix.Unlink(sb.script)
	}
	dirs := []string{sb.work, sb.tmp}
	if sb.io != sb.base {
		dirs = append(dirs, sb.io)
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if err := unix.Rmdir(d); err != nil && err != unix.ENOENT {
			supervise.RemoveAll(d)
		}
	}
	if err := unix.Rmdir(sb.base); err != nil && err != unix.ENOENT {
		supervise.RemoveAll(sb.base)
	}
}

// dirs returns the directories that hold everything of the run.
func (sb *sandbox) dirs() []string {
	if sb.io == sb.base {
		return []string{sb.base}
	}
	return []string{sb.base, sb.io}
}

// command returns the run's shell, with a small fixed environment, in a
// session of its own (and so its own process group) that has no
// controlling terminal: whether litbook runs on a terminal or not, no
// run can write to it around the capture, wait on it for a password, or
// push input into it, and /dev/tty gives ENXIO in every run.
func (sb *sandbox) command(run *model.Run, env *execEnv) *exec.Cmd {
	cmd := exec.Command("/bin/sh", "-c", string(sb.text), sb.script)
	if sb.inFile {
		cmd = exec.Command("/bin/sh", sb.script)
	}
	cmd.Dir = sb.dir
	tmp := sb.tmp
	if tmp == "" {
		tmp = "/tmp" // the run's own (isolate.go)
	}
	cmd.Env = runEnv(env.runPath(run), sb.work, tmp, sb.token)
	// in= adds the go command's caches and settings (gorun.go).
	cmd.Env = append(cmd.Env, env.goRunEnv(run, tmp)...)
	// env= adds to it, and may change LANG, TZ and TERM: exec keeps the
	// last value of a name.
	cmd.Env = append(cmd.Env, run.Env...)
	if sb.stdin != nil {
		cmd.Stdin = sb.stdin
	}
	cmd.Stdout, cmd.Stderr = sb.shOut.w, sb.shErr.w
	cmd.ExtraFiles = []*os.File{sb.ctlW, sb.gateR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// all returns every stream of the sandbox, its control pipe last.
func (sb *sandbox) all() []*stream {
	return append(slices.Clip(sb.streams), sb.shOut.s, sb.shErr.s, sb.ctl)
}

// drain starts reading every stream of the sandbox.
func (sb *sandbox) drain() {
	sb.draining = true
	for _, s := range sb.all() {
		go s.drain()
	}
}

// collect stops reading the streams, once what is left of the run has been
// killed, and puts what they captured in res.
func (sb *sandbox) collect(res *model.Result) {
	// Every stream is released first, then finished: they end together.
	deadline := time.Now().Add(drainGrace)
	all := sb.all()
	all = all[:len(all)-1] // the control pipe was finished before
	for _, s := range all {
		s.release()
	}
	for _, s := range all {
		s.finish(deadline)
	}
	// dash names the script and its line ("/tmp/…/script.sh: 13:"),
	// which mean nothing to the author and name litbook's internal paths:
	// say "sh:" as a terminal would, in the shell's own output and in each
	// command's (where a command's group sends "not found" or "Cannot
	// fork").
	for i := range res.Commands {
		c := &res.Commands[i]
		out, errs := &sb.streams[2*i].cap, &sb.streams[2*i+1].cap
		c.Stdout = sb.unscript(out.output())
		c.Stderr = sb.unscript(errs.output())
		c.Order = sb.order(out, errs, c.Stdout, c.Stderr)
	}
	res.Shell = sb.unscript(model.Output{
		Data:  append(sb.shOut.s.cap.data, sb.shErr.s.cap.data...),
		Total: sb.shOut.s.cap.total + sb.shErr.s.cap.total,
	})
}

// unscript replaces the prefix dash gives its messages, the script's path
// and line, with "sh: ", at the start of every line of o. Total shrinks
// with the data.
func (sb *sandbox) unscript(o model.Output) model.Output {
	prefix := []byte(sb.script + ": ")
	if !bytes.Contains(o.Data, prefix) {
		return o
	}
	var out []byte
	for line := range bytes.SplitAfterSeq(o.Data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, prefix); ok {
			digits := 0
			for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
				digits++
			}
			if after, ok := bytes.CutPrefix(rest[digits:], []byte(": ")); ok && digits > 0 {
				line = append([]byte("sh: "), after...)
			}
		}
		out = append(out, line...)
	}
	return model.Output{Data: out, Total: o.Total - int64(len(o.Data)-len(out))}
}

// launch gives the run a /tmp of its own where runs are isolated, and
// starts its shell in the run's namespaces (on t, if not nil, which ends
// after that), setting *start just before. The shell waits at its start
// gate while litbook confines it (through the Supervisor, if any, in sup
// if t made it: the shell is born in its cgroups where the kernel allows,
// see supervise.StartIn) and limits the size of its files, then opens the
// gate. The supervision it returns is nil without a Supervisor.
func (r *Runner) launch(run *model.Run, sb *sandbox, env *execEnv, t *nsThread, sup *supervise.Run, start *time.Time) (*exec.Cmd, *supervise.Run, error) {
	if r.Supervisor != nil && sup == nil {
		sup = r.Supervisor.Prepare(sb.token, env.processLimit)
	}
	var cmd *exec.Cmd
	begin := func() error {
		if env.isolated && (t == nil || t.base == "") { // else the thread made it (prepareRun)
			// A /tmp of its own (isolate.go), once the book's files are
			// read. On a thread that ends after this, it lasts as long as
			// the namespace, which the run's processes hold, and no
			// unmount is needed (nor possible: that thread is gone).
			untmp, err := privateTmp(append(env.keep(run), sb.base), env.fileSizeLimit)
			if err != nil {
				return err
			}
			if t == nil {
				sb.untmp = untmp
			}
		}
		*start = time.Now()
		var err error
		if r.Supervisor != nil {
			cmd, err = r.Supervisor.StartIn(sup, func() *exec.Cmd { return sb.command(run, env) })
		} else {
			cmd = sb.command(run, env)
			err = cmd.Start()
		}
		return err
	}
	var err error
	if t != nil {
		err = t.do(begin)
	} else {
		err = begin()
	}
	// The shell has its own copies of the write ends; litbook's must go,
	// or the streams would never end.
	sb.ctlW.Close()
	sb.gateR.Close()
	sb.shOut.w.Close()
	sb.shErr.w.Close()
	if err != nil {
		sup.Close()
		return nil, nil, err
	}
	pgid := cmd.Process.Pid
	if r.Supervisor != nil {
		r.Supervisor.Confine(sup, pgid, sb.dirs())
	}
	limitFileSize(pgid, env.fileSizeLimit)
	_, _ = sb.gateW.Write([]byte("go\n"))
	sb.gateW.Close()
	return cmd, sup, nil
}

// prepareRun makes, on a slot thread of the pool and ahead of the
// isolated run it will start, what the run needs before its shell starts:
// its token, its cgroups (its cgroup v1 pids cgroup is the slot's, sl, if
// not nil), its base and work directories, and its private /tmp, which
// keeps every directory that a run of this Run needs kept (allKeep).
func (r *Runner) prepareRun(env *execEnv, t *nsThread, sl *supervise.Slot) error {
	t.token = newToken()
	if r.Supervisor != nil {
		t.sup = r.Supervisor.PrepareIn(sl, t.token, env.processLimit)
	}
	base, err := os.MkdirTemp(env.tempDir, supervise.Prefix(os.Getpid()))
	if err != nil {
		return err
	}
	t.base = base
	if err := os.Mkdir(filepath.Join(base, "work"), 0o755); err != nil {
		return err
	}
	_, err = privateTmp(append(slices.Clone(env.allKeep), base), env.fileSizeLimit)
	return err
}

// keep returns the directories that the private /tmp of run must keep at
// their paths, by their real paths, but its own directory: those on its
// PATH, and what uses= and in= use.
func (env *execEnv) keep(run *model.Run) []string {
	keep := append([]string{env.pathDirs[run.Chapter.Path], env.binDir}, env.keepDirs(run)...)
	if env.goBin != "" {
		keep = append(keep, filepath.Dir(env.goBin)) // GOROOT, all of it
	}
	for i, p := range keep {
		keep[i] = env.realPath(p)
	}
	return keep
}

// setAllKeep sets allKeep to what the private /tmp of any of runs keeps
// (see keep), once env is complete.
func (env *execEnv) setAllKeep(runs []*model.Run) {
	for _, run := range runs {
		env.allKeep = append(env.allKeep, env.keep(run)...)
	}
	slices.Sort(env.allKeep)
	env.allKeep = slices.Compact(env.allKeep)
}

// realPath returns p with its symbolic links resolved, or p if that fails;
// the answer for each path is looked up once per Run.
func (env *execEnv) realPath(p string) string {
	if p == "" {
		return ""
	}
	if real, ok := env.realPaths.Load(p); ok {
		return real.(string)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return p
	}
	env.realPaths.Store(p, real)
	return real
}

// ending is how a run's shell ended.
type ending struct {
	err         error // from Wait
	wait        time.Time
	timedOut    bool
	interrupted bool // ctx was cancelled
}

// waitOrKill waits for the shell until it exits, or kills its process
// group (and its cgroup) when rctx, the run's time limit within ctx, ends.
func (r *Runner) waitOrKill(ctx, rctx context.Context, cmd *exec.Cmd, sup *supervise.Run, res *model.Result) ending {
	waitDone := make(chan error, 1)
	go func() { waitDone <- r.wait(cmd) }()
	var e ending
	select {
	case e.err = <-waitDone:
	case <-rctx.Done():
		// Decide now: the time spent cleaning up below is not the run's.
		e.interrupted = ctx.Err() != nil
		e.timedOut = !e.interrupted
		sup.Stop()
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		e.err = <-waitDone
	}
	e.wait = time.Now()
	return e
}

// ctlEvent is a line the script wrote on its control pipe.
type ctlEvent struct {
	kind byte // 'B'egin, 'P'id of a background command, 'E'nd, 'X': the script's end
	i    int
	n    int // pid or exit status
	at   time.Time
}

// control parses what a run's script writes on its control pipe: a line
// per event, each timed when litbook read it.
type control struct {
	n       int // the run's commands
	events  []ctlEvent
	partial []byte // the start of a line not yet ended
}

// maxCtlLine bounds a control line; the script writes short ones.
const maxCtlLine = 4096

// feed parses the lines that data, read at at, completes.
func (c *control) feed(data []byte, at time.Time) {
	for len(data) > 0 {
		line, rest, ended := bytes.Cut(data, []byte("\n"))
		if len(c.partial)+len(line) <= maxCtlLine {
			c.partial = append(c.partial, line...)
		}
		if !ended {
			return
		}
		c.parse(string(c.partial), at)
		c.partial, data = c.partial[:0], rest
	}
}

func (c *control) parse(line string, at time.Time) {
	f := strings.Fields(line)
	if len(f) < 2 || len(f[0]) != 1 {
		return
	}
	i, err := strconv.Atoi(f[1])
	if err != nil || i < 0 || i >= c.n {
		return
	}
	e := ctlEvent{kind: f[0][0], i: i, at: at}
	if len(f) == 3 {
		e.n, _ = strconv.Atoi(f[2])
	}
	c.events = append(c.events, e)
}

// done returns the events, the last one parsed even if its line did not
// end.
func (c *control) done() []ctlEvent {
	if len(c.partial) > 0 {
		c.parse(string(c.partial), time.Now())
		c.partial = c.partial[:0]
	}
	return c.events
}

// progressOf is what the control events say of how far a script got.
type progressOf struct {
	begun    []time.Time // when each command began
	lastRan  int         // the last command that began, or -1
	finished bool        // the script reached its end
}

// applyEvents records in res which commands ran, their pids, statuses and
// durations, as the control events report them.
func applyEvents(res *model.Result, run *model.Run, events []ctlEvent) progressOf {
	p := progressOf{begun: make([]time.Time, len(run.Commands)), lastRan: -1}
	for _, e := range events {
		c := &res.Commands[e.i]
		switch e.kind {
		case 'B':
			c.Ran, p.begun[e.i] = true, e.at
			p.lastRan = e.i
		case 'P':
			// Still running now, it is about to be killed.
			c.Pid, c.Killed = e.n, procfs.Running(e.n)
		case 'E':
			c.Done, c.Exit = true, e.n
			c.Duration = e.at.Sub(p.begun[e.i]).Round(time.Millisecond)
		case 'X':
			p.finished = true
		}
	}
	return p
}

// setExit sets res.Exit from the shell's wait error.
func setExit(res *model.Result, waitErr error) {
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
}

// verdict is the error of a run that ended as e, or nil if it went as its
// block declares.
func verdict(run *model.Run, res *model.Result, e ending, p progressOf, timeout time.Duration) *model.Error {
	switch {
	case e.interrupted:
		return &model.Error{Pos: run.Pos, Msg: "interrupted", Err: ErrInterrupted}
	case e.timedOut:
		res.TimedOut = true
		return timeoutError(run, res, timeout)
	case !p.finished && p.lastRan >= 0 && run.Commands[p.lastRan].Background:
		// The shell stopped while starting a background command: a
		// syntax error, say.
		l := p.lastRan
		return &model.Error{Pos: run.Commands[l].Pos, Msg: fmt.Sprintf("the shell stopped at this command with status %d", res.Exit), Detail: tail(res.Commands[l], res)}
	}
	return judge(run, res)
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
// tasks as its cgroup allows (hitLimit, read before its cgroups could be
// another run's).
func explainLimits(e *model.Error, run *model.Run, res *model.Result, env *execEnv, hitLimit bool) {
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
	if !hitLimit {
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

func newPipe(bud *budget) (*pipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &pipe{w: w, s: &stream{r: r, cap: capture{budget: bud}, done: make(chan struct{})}}, nil
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
// command exits with the status its "# exit N" declares (0 without one),
// and the last one with the run's exit= if it has one. Background commands
// may fail; their statuses are recorded and shown.
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
		want := c.Exit
		if i == last && run.Exit != 0 {
			want = run.Exit
		}
		switch {
		case !cr.Ran:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command never ran: the shell exited with status %d before it", res.Exit), Detail: tail(cr, res)}
		case !cr.Done:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command did not finish: the shell exited with status %d", res.Exit), Detail: tail(cr, res)}
		case cr.Exit != want && i == last && run.Exit != 0:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command exited with status %d, but the run declares exit=%d", cr.Exit, run.Exit), Detail: tail(cr, res)}
		case cr.Exit != want && c.Exit != 0:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command exited with status %d, but it declares \"# exit %d\"", cr.Exit, c.Exit), Detail: tail(cr, res)}
		case cr.Exit != want && i == last:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command exited with status %d (add exit=%d to the run block, or end the command with \"# exit %d\", if that is intended)", cr.Exit, cr.Exit, cr.Exit), Detail: tail(cr, res)}
		case cr.Exit != want:
			return &model.Error{Pos: c.Pos, Msg: fmt.Sprintf("command exited with status %d (end the command with \"# exit %d\" if that is intended)", cr.Exit, cr.Exit), Detail: tail(cr, res)}
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
