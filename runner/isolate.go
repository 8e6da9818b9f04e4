package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

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
// run waited for it before its shell could start. A threadPool makes
// the threads of the next runs, each in fresh mount and network
// namespaces, while the current runs execute; a run takes one that is
// ready. Every thread still serves one run only and ends with it, so no
// run ever sees what another left in its namespaces.

// nsThread is an OS thread in namespaces of its own, ready for one run.
type nsThread struct {
	err  error       // why its namespaces could not be made
	work chan func() // its one job; closed to end the thread unused
	// What the thread made ahead of the run, if it was given a prepare
	// function: the run's LITBOOK_RUN value token; its cgroups sup, which
	// the thread joined where a thread may join one (see
	// supervise.Run.JoinThread), nil if none; and its base directory, with
	// its work directory in it, which the thread's private /tmp keeps.
	token string
	sup   *supervise.Run
	base  string
}

// do runs f on the thread, which ends after it, and returns f's error.
func (t *nsThread) do(f func() error) error {
	errc := make(chan error, 1)
	t.work <- func() { errc <- f() }
	return <-errc
}

// release ends the thread unused.
func (t *nsThread) release() {
	close(t.work)
}

// discard ends the thread unused and removes what it made for its run.
func (t *nsThread) discard() {
	t.release()
	t.remove()
}

// remove removes what the thread made for its run: its cgroups, once the
// thread has left them, and its base directory.
func (t *nsThread) remove() {
	t.sup.Close()
	if t.base != "" {
		supervise.RemoveAll(t.base)
	}
}

// threadPool keeps up to n threads in fresh run namespaces ready.
type threadPool struct {
	ready chan *nsThread
	// prepare, if set, is called on each thread once its namespaces are
	// made, to make what the run it will serve needs (see nsThread).
	prepare   func(*nsThread) error
	preparing sync.WaitGroup // threads still making their namespaces
	threads   sync.WaitGroup // threads not ended yet
	mu        sync.Mutex
	closed    bool
	left      int // threads still to make: no more than will be taken
}

// newThreadPool starts making n threads in fresh mount and network
// namespaces, each prepared by prepare if it is not nil, and makes no more
// than total in all, the number that will be taken.
func newThreadPool(n, total int, prepare func(*nsThread) error) *threadPool {
	p := &threadPool{ready: make(chan *nsThread, n), prepare: prepare, left: total}
	for range min(n, total) {
		p.spawn()
	}
	return p
}

// spawn starts making one more thread; the pool never holds more than
// the capacity of ready, since each take spawns at most one.
func (p *threadPool) spawn() {
	p.left--
	p.preparing.Add(1)
	p.threads.Add(1)
	goLocked(func() {
		defer p.threads.Done()
		t := &nsThread{work: make(chan func(), 1)}
		if t.err = unshareRun(true); t.err == nil && p.prepare != nil {
			t.err = p.prepare(t)
		}
		p.ready <- t
		p.preparing.Done()
		if f, ok := <-t.work; ok {
			f()
		}
	})
}

// take returns a thread of the pool that is ready, and starts making the
// one that replaces it. alone says that the run it serves must not share
// the machine with the making of namespaces (an exclusive run): take then
// waits until the replacement is ready.
func (p *threadPool) take(alone bool) (*nsThread, error) {
	t := <-p.ready
	p.mu.Lock()
	if !p.closed && p.left > 0 {
		p.spawn()
	}
	p.mu.Unlock()
	if t.err != nil {
		t.discard()
		return nil, t.err
	}
	if alone {
		p.preparing.Wait()
	}
	return t, nil
}

// thread returns a thread in fresh namespaces (a network one too if
// network is set) for one run: from the pool where it can, else made now.
func (env *execEnv) thread(network, alone bool) (*nsThread, error) {
	var t *nsThread
	var err error
	if network && env.pool != nil {
		t, err = env.pool.take(alone)
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

// close ends the threads that are ready and unused, removes their
// cgroups, and waits until every thread of the pool has ended. No thread
// may be taken from the pool after.
func (p *threadPool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.preparing.Wait()
	var unused []*nsThread
	for {
		select {
		case t := <-p.ready:
			t.release()
			unused = append(unused, t)
			continue
		default:
		}
		break
	}
	p.threads.Wait()
	for _, t := range unused {
		t.remove()
	}
}

// privateTmp mounts a fresh tmpfs of at most size bytes on /tmp in the
// calling thread's mount namespace, and mounts back at its path in it each
// directory of keep that is under /tmp: the run's own directory, and the
// directories of the programs and the Go toolchain on its PATH, each by
// its real path (a symbolic link under /tmp would vanish under it). The
// function it returns undoes it all.
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
