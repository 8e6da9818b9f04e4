package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner/supervise"
	"golang.org/x/sys/unix"
)

// Where the machine allows it (root, or CAP_SYS_ADMIN), every run executes
// in namespaces of its own, made as fs.go makes the mount namespace of a
// run with fs=: on a goroutine locked to an OS thread that unshares them
// and never unlocks, so that the thread, and with it litbook's hold on the
// namespaces, ends soon after. The thread mounts the run's /tmp and starts
// its shell; from then on the run's processes hold the namespaces, which
// the kernel tears down, mounts and all, when the last of them is gone.
//
//   - A network namespace whose only interface is the loopback, brought
//     up: two runs can both listen on 127.0.0.1:8090, and a run reaches
//     nothing beyond itself, neither the machine's other services on its
//     loopback nor any other host. A block with the network attribute
//     shares the machine's network instead.
//   - A mount namespace in which /tmp is a fresh tmpfs, private to the run,
//     that holds only the run's own directory (mounted back at its path
//     when it is under /tmp), and TMPDIR is /tmp: a transcript and a
//     program that both use /tmp see the same files, and nothing the run
//     leaves there outlives it.
//
// Where namespaces cannot be made, runs share the machine's network and
// /tmp, TMPDIR is a directory of the run's own, and the build says so once.

// goLocked runs f on a new goroutine locked to an OS thread that ends
// with f, for an f that changes its thread's namespaces or cgroups. Go
// ends a thread whose locked goroutine ends, except the process's main
// thread, which it only parks, for the life of the process, still in those
// namespaces and cgroups (a run cgroup it stays in could never be
// removed). So f never runs on the main thread: a goroutine that finds
// itself there holds it while another, which then cannot be scheduled
// there, takes f.
func goLocked(f func()) {
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			f()
			return // locked: the thread ends
		}
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread() // not the main thread: this one holds it
			close(locked)
			f()
		}()
		<-locked
		runtime.UnlockOSThread() // unchanged: the main thread goes on
	}()
}

// isolation says whether runs can have namespaces of their own on this
// machine, or why not; it is probed once per process.
var isolation = sync.OnceValue(func() error {
	done := make(chan error, 1)
	goLocked(func() {
		if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("unshare: %v", err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			done <- fmt.Errorf("cannot make the mounts of a new mount namespace private: %v", err)
			return
		}
		done <- loopbackUp()
	})
	return <-done
})

// isolationNoted is set once the build said that runs are not isolated.
var isolationNoted atomic.Bool

// isolationNote returns, once per process, what to tell the author when
// runs cannot be isolated, or "".
func isolationNote() string {
	err := isolation()
	if err == nil || !isolationNoted.CompareAndSwap(false, true) {
		return ""
	}
	return fmt.Sprintf("runs share this machine's network and /tmp: %v (as root, or with CAP_SYS_ADMIN, each run gets a network and a /tmp of its own)", err)
}

// unshareRun gives the calling thread, which must be locked and never
// unlocked, a mount namespace whose mounts do not propagate, and unless
// network is false a network namespace with its loopback interface up.
func unshareRun(network bool) error {
	if err := unshareMounts(); err != nil {
		return err
	}
	if !network {
		return nil
	}
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("cannot make a network namespace (unshare: %v)", err)
	}
	return loopbackUp()
}

// loopbackUp brings up the interface lo of the calling thread's network
// namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cannot bring up the loopback interface: %v", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("cannot bring up the loopback interface: %v", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("cannot bring up the loopback interface: %v", err)
	}
	return nil
}

// Making a network namespace costs about half a millisecond of the
// kernel's time (it registers the namespace's sysctls and devices), and a
// run waited for it before its shell could start. A threadPool keeps a
// thread for each worker, a slot, that makes the namespaces (and the
// directories, private /tmp and cgroups, see Runner.prepareRun) of the
// next run while the current runs execute. A slot thread starts a run's
// shell, waits until that run's processes are gone, and leaves its
// namespaces for fresh ones, made for the next run: the shell held the
// namespaces it was started in, and no run ever sees what another left in
// its own. The thread itself lives as long as the pool, so that it joins
// a cgroup v1 pids cgroup once, not once a run (see supervise.Slot).

// nsThread is an OS thread in namespaces made for one run, ready to start
// its shell.
type nsThread struct {
	err  error       // why its namespaces could not be made
	work chan func() // the run's start; closed to give the thread up unused
	// What was made ahead of the run, if the thread is a slot's: the run's
	// LITBOOK_RUN value token; its cgroups sup, nil if none; and its base
	// directory, with its work directory in it, which the thread's private
	// /tmp keeps.
	token string
	sup   *supervise.Run
	base  string
	// ended, for a slot's thread, is closed once the run's processes are
	// gone: the slot's cgroup is the run's until then, and the slot makes
	// no namespaces for another run before.
	ended chan struct{}
}

// do runs f on the thread and returns f's error. The thread then leaves
// the run's namespaces, or ends.
func (t *nsThread) do(f func() error) error {
	errc := make(chan error, 1)
	t.work <- func() { errc <- f() }
	return <-errc
}

// release gives the thread up unused.
func (t *nsThread) release() {
	close(t.work)
}

// discard gives the thread up unused and removes what was made for its
// run.
func (t *nsThread) discard() {
	t.release()
	t.remove()
}

// remove removes what was made for the thread's run: its cgroups (not a
// slot's) and its base directory.
func (t *nsThread) remove() {
	t.sup.Close()
	if t.base != "" {
		supervise.RemoveAll(t.base)
	}
}

// threadPool keeps slot threads for n workers, two each: while a run
// executes, the slot it started from makes nothing for another (see
// nsThread.ended), and the other has namespaces ready for the worker's
// next run.
type threadPool struct {
	ready chan *nsThread
	// newSlot, if set, is called on each slot thread first; prepare, if
	// set, on each thread's fresh namespaces, to make what the run it
	// will start needs (see nsThread), with what newSlot returned.
	newSlot func() *supervise.Slot
	prepare func(*nsThread, *supervise.Slot) error
	threads sync.WaitGroup // slot threads not ended yet

	mu        sync.Mutex
	idle      *sync.Cond // signalled when preparing drops, and by resume and close
	preparing int        // slot threads making namespaces now
	paused    bool       // set while a run has the machine to itself
	closed    bool
	left      int // namespaces still to make: no more than will be taken
	slots     []*supervise.Slot
}

// newThreadPool starts the slot threads of n workers, which make no more
// than total namespaces in all, the number that will be taken.
func newThreadPool(n, total int, newSlot func() *supervise.Slot, prepare func(*nsThread, *supervise.Slot) error) *threadPool {
	slots := min(2*n, total)
	p := &threadPool{ready: make(chan *nsThread, slots), newSlot: newSlot, prepare: prepare, left: total}
	p.idle = sync.NewCond(&p.mu)
	for range slots {
		p.threads.Add(1)
		goLocked(p.slot)
	}
	return p
}

// slot is the life of a slot thread: make namespaces for a run, wait for
// the run's start, again, until the pool is closed or has made enough.
func (p *threadPool) slot() {
	defer p.threads.Done()
	var sl *supervise.Slot
	if p.newSlot != nil {
		sl = p.newSlot()
		p.mu.Lock()
		p.slots = append(p.slots, sl)
		p.mu.Unlock()
	}
	tmp := false // whether the namespaces the thread is in have a private /tmp
	for {
		p.mu.Lock()
		for p.paused && !p.closed {
			p.idle.Wait()
		}
		if p.closed || p.left == 0 {
			// The thread counts as a task of the slot, whose pids.max
			// allows for it, until the last run that started there ends.
			for !p.closed {
				p.idle.Wait()
			}
			p.mu.Unlock()
			return
		}
		p.left--
		p.preparing++
		p.mu.Unlock()
		t := &nsThread{work: make(chan func(), 1), ended: make(chan struct{})}
		if t.err = unshareRun(true); t.err == nil {
			if tmp {
				// The fresh mount namespace is a copy of the last one:
				// the last run's /tmp is not the next run's.
				t.err = unix.Unmount("/tmp", unix.MNT_DETACH)
			}
			tmp = false
			if t.err == nil && p.prepare != nil {
				t.err = p.prepare(t, sl)
				tmp = t.err == nil && t.base != ""
			}
		}
		p.ready <- t // never blocks: a slot has one ready at most
		p.mu.Lock()
		p.preparing--
		p.idle.Broadcast()
		p.mu.Unlock()
		if f, ok := <-t.work; ok {
			f()
			<-t.ended
		}
	}
}

// A slot thread is locked to its goroutine, which runs only on that thread
// and only once the thread has one of GOMAXPROCS's Ps. Woken (its run's
// processes gone, or a worker handing it a start), it waited in the queue
// of a P behind the workers, the streams and the reporter: with one P per
// CPU, 3.5 ms on average after each run's end, longer than the run itself,
// and the workers then waited for the slots (timers on bench/overhead's
// book, 2 CPUs). The slots' goroutines do little between system calls, and
// of a worker's two slots one mostly waits for its run while the other
// works: Run adds a P per worker (no more than the CPUs) while the pool
// runs, and the kernel shares the CPUs. Build time with 0, 1, 2 and 4 Ps
// more: 428, 370, 363 and 375 ms (medians of 11, alternated); more Ps
// spend more CPU looking for work.

// procs counts the Ps that pools added to GOMAXPROCS (see addProcs).
var procs struct {
	sync.Mutex
	base, extra int
	auto        bool // base was the runtime's default, which follows the CPUs
}

// addProcs raises GOMAXPROCS by n until the returned func is called, and
// by no more than it was (the CPUs this process may use) for all the
// pools at once; not at all if the GOMAXPROCS environment variable sets
// it. Calls may overlap; when the last ends, GOMAXPROCS is as before.
func addProcs(n int) (undo func()) {
	if v, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err == nil && v > 0 {
		return func() {}
	}
	procs.Lock()
	defer procs.Unlock()
	if procs.extra == 0 {
		procs.base = runtime.GOMAXPROCS(0)
		// A call to GOMAXPROCS stops the runtime from following the
		// CPUs; the default is restored as such, a value set by code
		// (go test -cpu) as that value.
		runtime.SetDefaultGOMAXPROCS()
		procs.auto = runtime.GOMAXPROCS(0) == procs.base
	}
	procs.extra += n
	runtime.GOMAXPROCS(procs.base + min(procs.extra, procs.base))
	return func() {
		procs.Lock()
		defer procs.Unlock()
		procs.extra -= n
		switch {
		case procs.extra > 0:
			runtime.GOMAXPROCS(procs.base + min(procs.extra, procs.base))
		case procs.auto:
			runtime.SetDefaultGOMAXPROCS()
		default:
			runtime.GOMAXPROCS(procs.base)
		}
	}
}

// take returns a thread of the pool whose namespaces are ready; the slot
// makes the next ones after the run's start.
func (p *threadPool) take() (*nsThread, error) {
	t := <-p.ready
	if t.err != nil {
		t.discard()
		return nil, t.err
	}
	return t, nil
}

// pause waits until no slot thread is making namespaces, and keeps them
// from starting to until resume: for a run that must have the machine to
// itself, and for close.
func (p *threadPool) pause() {
	p.mu.Lock()
	p.paused = true
	for p.preparing > 0 {
		p.idle.Wait()
	}
	p.mu.Unlock()
}

// resume lets slot threads make namespaces again.
func (p *threadPool) resume() {
	p.mu.Lock()
	p.paused = false
	p.idle.Broadcast()
	p.mu.Unlock()
}

// thread returns a thread in fresh namespaces (a network one too if
// network is set) for one run: from the pool where it can, else one made
// now, which ends after the run's start.
func (env *execEnv) thread(network, pooled bool) (*nsThread, error) {
	var t *nsThread
	var err error
	if pooled && env.pool != nil {
		t, err = env.pool.take()
	} else {
		t = &nsThread{work: make(chan func(), 1)}
		err = goOnOwnThread(func() error { return unshareRun(network) }, func() {
			if f, ok := <-t.work; ok {
				f()
			}
		})
	}
	if err != nil {
		return nil, fmt.Errorf("cannot make the namespaces of this run: %v", err)
	}
	return t, nil
}

// pooled says whether a trial of run starts from a thread of the pool:
// one that is isolated in the usual way, and does not need the machine to
// itself.
func pooled(run *model.Run) bool {
	return run.FS == "" && !run.Network && !run.Exclusive
}

// close gives up the threads that are ready and unused, removes what was
// made for them, waits until every slot thread has ended, and removes the
// slots. No thread may be taken from the pool after.
func (p *threadPool) close() {
	p.mu.Lock()
	p.closed = true
	p.idle.Broadcast()
	p.mu.Unlock()
	p.pause()
	// Paused and closed, no slot sends any more.
	var unused []*nsThread
	for len(p.ready) > 0 {
		t := <-p.ready
		t.release()
		unused = append(unused, t)
	}
	p.threads.Wait()
	for _, t := range unused {
		t.remove()
	}
	for _, sl := range p.slots {
		sl.Close()
	}
}

// privateTmp mounts a fresh tmpfs of at most size bytes on /tmp in the
// calling thread's mount namespace, and mounts back at its path in it each
// directory of keep that is under /tmp: the run's own directory, and the
// directories of the programs and the Go toolchain on its PATH, each by
// its real path (a symbolic link under /tmp would vanish under it). A run
// from a slot thread keeps every such directory of the pool's runs
// (allKeep: their chapters' programs, and go's caches for in=), since its
// /tmp is made before it is known which run it serves; only those under /tmp,
// which is where a book or its caches seldom are. The function it returns
// undoes it all.
func privateTmp(keep []string, size int64) (func(), error) {
	type kept struct {
		path string
		f    *os.File
	}
	var binds []kept
	defer func() {
		for _, k := range binds {
			k.f.Close()
		}
	}()
	var paths []string
	for _, p := range keep {
		if p == "" {
			continue
		}
		if rel, err := filepath.Rel("/tmp", p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		if n := len(binds); n > 0 && (p == binds[n-1].path || strings.HasPrefix(p, binds[n-1].path+"/")) {
			continue // inside one that is kept already
		}
		// The directory as it is now: the tmpfs hides its path.
		f, err := os.OpenFile(p, unix.O_PATH|unix.O_DIRECTORY, 0)
		if err != nil {
			return nil, err
		}
		binds = append(binds, kept{p, f})
	}
	if err := unix.Mount("tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=1777", size)); err != nil {
		return nil, fmt.Errorf("cannot mount a private /tmp: %v", err)
	}
	undo := func() { _ = unix.Unmount("/tmp", unix.MNT_DETACH) }
	for _, k := range binds {
		if err := os.MkdirAll(k.path, 0o755); err != nil {
			undo()
			return nil, err
		}
		src := fmt.Sprintf("/proc/self/fd/%d", k.f.Fd())
		if err := unix.Mount(src, k.path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			undo()
			return nil, fmt.Errorf("cannot mount %s in the run's private /tmp: %v", k.path, err)
		}
	}
	return undo, nil
}
