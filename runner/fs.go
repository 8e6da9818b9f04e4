package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner/supervise"
	"golang.org/x/sys/unix"
)

// A run whose block asks for a filesystem (fs=xfs) gets a fresh one for
// each trial, made in a mount namespace of its own so that no mount
// outlives the run:
//
//   - The trial executes on a goroutine locked to an OS thread that has
//     unshared its mount namespace (unshare(CLONE_NEWNS)) and made every
//     mount in it private, so that nothing it mounts propagates back. The
//     goroutine never unlocks: when it ends, Go ends the thread, and with
//     it litbook's hold on the namespace. The run's shell is forked from
//     that thread, so it and everything it starts are in the namespace.
//   - ext4, xfs and btrfs are loop devices over a sparse copy of a
//     pristine image, made once with mkfs and kept in .litbook/fs/. The
//     loop device is set to clear itself when its last user goes
//     (LO_FLAGS_AUTOCLEAR): the mount, which ends when litbook unmounts it
//     after the trial, or when the namespace dies with its last process,
//     even after kill -9 of litbook.
//   - tmpfs needs nothing; overlay gets an empty lower layer and its upper
//     and work directories in the run's base directory, on the filesystem
//     of the runner's TempDir.
//
// The mount covers the run's work directory before the shell starts, and
// its type is checked with statfs(2) before any command runs: a run never
// measures another filesystem than the one it asked for.

// imageSize is the size of the loop images: sparse, so it costs only what
// is written, and more than the 300 MiB that mkfs.xfs requires.
const imageSize = 512 << 20

// fsMagic is statfs(2)'s f_type of each filesystem litbook makes.
var fsMagic = map[string]int64{
	"ext4":    0xEF53,
	"xfs":     0x58465342,
	"btrfs":   0x9123683E,
	"tmpfs":   0x01021994,
	"overlay": 0x794c7630,
}

// mkfsArgs are the options of each mkfs: quiet, force, no discard (the
// image is a fresh sparse file), and for ext4 inode tables and journal
// written now rather than by the kernel in the background while a run
// measures.
var mkfsArgs = map[string][]string{
	"ext4":  {"-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0,nodiscard"},
	"xfs":   {"-q", "-f", "-K"},
	"btrfs": {"-q", "-f", "-K"},
}

// mkfsPackage names the Debian package of each mkfs, for messages.
var mkfsPackage = map[string]string{"ext4": "e2fsprogs", "xfs": "xfsprogs", "btrfs": "btrfs-progs"}

// scratch makes the filesystems of the runs of one book. The zero value
// is not usable: see scratchFor.
type scratch struct {
	dir    string // .litbook/fs: the pristine images
	mu     sync.Mutex
	images map[string]*image
	probed map[string]error // the filesystems a probe could make
}

// image is a pristine loop image, or why it could not be made (a failure
// is tried again on the next use).
type image struct {
	path string
	how  string // "512 MiB loop image, mkfs.xfs 6.1.0"
	err  error
}

var (
	scratchMu sync.Mutex
	scratches = map[string]*scratch{}
)

// scratchFor returns the scratch of the book whose work directory is
// workDir: one per directory, so that images are made once per process.
func scratchFor(workDir string) *scratch {
	scratchMu.Lock()
	defer scratchMu.Unlock()
	dir := filepath.Join(workDir, "fs")
	s := scratches[dir]
	if s == nil {
		s = &scratch{dir: dir, images: map[string]*image{}, probed: map[string]error{}}
		scratches[dir] = s
	}
	return s
}

// Filesystems reports, for each filesystem of fsTypes, why litbook cannot
// make it on this machine for b's runs, or nil if it can: it makes the
// pristine image if needed and mounts it once in a throwaway mount
// namespace, in the runner's TempDir. A filesystem that could be made is
// not probed again by this process.
// Cancelling ctx kills the mkfs it may be running.
func (r *Runner) Filesystems(ctx context.Context, b *model.Book, fsTypes []string) map[string]error {
	tmp, _ := filepath.Abs(r.tempDir())
	s := scratchFor(r.workDir(b))
	run := func(name string, args ...string) ([]byte, error) {
		return r.output(r.command(ctx, name, args...), true)
	}
	out := map[string]error{}
	for _, t := range fsTypes {
		out[t] = s.probe(t, tmp, run)
	}
	return out
}

// runTool runs the command name with args as Runner.command makes it (under
// the Supervisor, killed when the build is cancelled or litbook dies) and
// returns its standard output and error.
type runTool func(name string, args ...string) ([]byte, error)

// probe mounts a filesystem of type t on a temporary directory of tempDir
// in a throwaway mount namespace. A success is remembered for the life of
// the process; a failure is tried again at the next build (litbook serve
// may outlive the installation of a missing mkfs).
func (s *scratch) probe(t, tempDir string, run runTool) error {
	s.mu.Lock()
	_, done := s.probed[t]
	s.mu.Unlock()
	if done {
		return nil
	}
	err := inMountNamespace(func() error {
		base, err := os.MkdirTemp(tempDir, supervise.Prefix(os.Getpid()))
		if err != nil {
			return err
		}
		defer supervise.RemoveAll(base)
		work := filepath.Join(base, "work")
		if err := os.Mkdir(work, 0o755); err != nil {
			return err
		}
		_, undo, err := s.mount(t, base, work, run)
		if err != nil {
			return err
		}
		undo()
		return nil
	})
	if err == nil {
		s.mu.Lock()
		s.probed[t] = nil
		s.mu.Unlock()
	}
	return err
}

// inMountNamespace calls f on a new OS thread in a mount namespace of its
// own, where every mount is private; the thread ends after f.
func inMountNamespace(f func() error) error { return onOwnThread(unshareMounts, f) }

// goOnOwnThread starts f on an OS thread of its own, once unshare has
// given that thread its namespaces, and returns unshare's error without
// waiting for f. The thread ends after f.
func goOnOwnThread(unshare func() error, f func()) error {
	ready := make(chan error, 1)
	goLocked(func() {
		err := unshare()
		ready <- err
		if err == nil {
			f()
		}
	})
	return <-ready
}

// onOwnThread runs f on an OS thread of its own, after unshare has given
// that thread its namespaces.
func onOwnThread(unshare, f func() error) error {
	done := make(chan error, 1)
	// The thread ends with f, so that no other goroutine ever runs in its
	// namespaces.
	goLocked(func() {
		if err := unshare(); err != nil {
			done <- err
			return
		}
		done <- f()
	})
	return <-done
}

// unshareMounts gives the calling thread a mount namespace of its own in
// which no mount propagates to or from the one it came from.
func unshareMounts() error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("cannot make a mount namespace (unshare: %v): fs= needs root, or CAP_SYS_ADMIN", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("cannot make the mounts of a new mount namespace private: %v", err)
	}
	return nil
}

// executeRun executes one trial of run: in a directory of the runner's
// TempDir, in namespaces of its own where runs are isolated (isolate.go),
// or for a run with fs= on a filesystem of its own in a mount namespace of
// its own (see the top of this file). It returns the trial's result as
// soon as the run has ended; what is left of the run is removed after
// that, meanwhile, and env.cleaning counts it until then.
//
// An isolated run needs its namespaces only to start its shell in them:
// the shell and its children hold them from then on, and what litbook
// does for the run afterwards (waiting, reading, killing, removing) needs
// none. Only that start goes to a thread in the run's namespaces, which
// then leaves them for the next run's (a slot thread of the pool) or ends.
// A run with fs= keeps its thread to the end: its files are read, and its
// filesystem unmounted, in its mount namespace.
func (r *Runner) executeRun(ctx context.Context, run *model.Run, env *execEnv, bud *budget) *model.Result {
	env.cleaning.Add(1)
	if run.FS == "" {
		var t *nsThread
		if env.isolated {
			var err error
			if t, err = env.thread(!run.Network, pooled(run)); err != nil {
				env.cleaning.Done()
				return &model.Result{
					Run: run, Commands: make([]model.CommandResult, len(run.Commands)), Exit: -1,
					Machine: env.machine, Start: time.Now().UTC(),
					Err: &model.Error{Pos: run.Pos, Msg: err.Error(), Err: err},
				}
			}
		}
		res, cleanup := r.execute(ctx, run, env, bud, t)
		go func() {
			defer env.cleaning.Done()
			cleanup()
		}()
		return res
	}
	// The thread cleans up after it has handed the result over, then
	// ends, and the namespaces with it.
	done := make(chan *model.Result, 1)
	job := func() {
		defer env.cleaning.Done()
		res, cleanup := r.execute(ctx, run, env, bud, nil)
		done <- res
		cleanup()
	}
	if err := goOnOwnThread(func() error { return unshareRun(env.isolated && !run.Network) }, job); err != nil {
		env.cleaning.Done()
		return &model.Result{
			Run: run, Commands: make([]model.CommandResult, len(run.Commands)), Exit: -1,
			Machine: env.machine, Start: time.Now().UTC(),
			Err: &model.Error{Pos: run.Pos, Msg: fmt.Sprintf("cannot make the %s filesystem of this run: %v", run.FS, err), Err: err},
		}
	}
	return <-done
}

// mountRunFS covers the work directory of a run with fs= with a fresh
// filesystem of its type; it must be called in the run's mount namespace,
// on the thread that starts the run's shell. undo unmounts it.
func (env *execEnv) mountRunFS(run *model.Run, base, work string) (*model.Filesystem, func(), error) {
	fs, undo, err := env.scratch.mount(run.FS, base, work, env.tool)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot make the %s filesystem of this run: %w", run.FS, err)
	}
	return fs, undo, nil
}

// mount mounts a fresh filesystem of type t on work, using base (the
// run's base directory) for its image or layers, and checks its type.
func (s *scratch) mount(t, base, work string, run runTool) (*model.Filesystem, func(), error) {
	fs := &model.Filesystem{Type: t}
	switch t {
	case "tmpfs":
		fs.How = "in memory"
		if err := unix.Mount("tmpfs", work, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", imageSize)); err != nil {
			return nil, nil, fmt.Errorf("mount tmpfs: %v", err)
		}
	case "overlay":
		var layers []string
		for _, d := range []string{"lower", "upper", "ovlwork"} {
			p := filepath.Join(base, "overlay", d)
			if err := os.MkdirAll(p, 0o755); err != nil {
				return nil, nil, err
			}
			layers = append(layers, p)
		}
		fs.How = "empty lower layer, upper layer on " + fsType(filepath.Dir(base))
		opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", layers[0], layers[1], layers[2])
		if err := unix.Mount("overlay", work, "overlay", 0, opts); err != nil {
			return nil, nil, fmt.Errorf("mount overlay: %v", err)
		}
	case "ext4", "xfs", "btrfs":
		img := s.image(t, run)
		if img.err != nil {
			return nil, nil, img.err
		}
		fs.How = img.how
		copyPath := filepath.Join(base, t+".img")
		if err := copySparse(img.path, copyPath); err != nil {
			return nil, nil, fmt.Errorf("copying the %s image: %v", t, err)
		}
		dev, loop, err := attachLoop(copyPath)
		if err != nil {
			return nil, nil, err
		}
		err = unix.Mount(dev, work, t, 0, "")
		// The mount holds the device now; when it goes, the device clears
		// itself (LO_FLAGS_AUTOCLEAR).
		loop.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("mount %s (%s): %v", dev, t, err)
		}
		if t == "ext4" {
			// mkfs.ext4 makes lost+found; a run's directory starts empty.
			_ = os.Remove(filepath.Join(work, "lost+found"))
		}
	default:
		return nil, nil, fmt.Errorf("litbook cannot make a %q filesystem (it makes %s)", t, strings.Join(model.FSTypes, ", "))
	}
	undo := func() { _ = unix.Unmount(work, unix.MNT_DETACH) }
	var st unix.Statfs_t
	if err := unix.Statfs(work, &st); err != nil {
		undo()
		return nil, nil, err
	}
	if int64(st.Type) != fsMagic[t] {
		undo()
		return nil, nil, fmt.Errorf("the directory is on a filesystem of type %#x after mounting %s, not %s's %#x", st.Type, t, t, fsMagic[t])
	}
	return fs, undo, nil
}

// image returns the pristine image of type t, making it on first use
// with mkfs, which run runs.
func (s *scratch) image(t string, run runTool) *image {
	s.mu.Lock()
	defer s.mu.Unlock()
	if img := s.images[t]; img != nil && img.err == nil {
		if _, err := os.Stat(img.path); err == nil {
			return img
		}
		// Removed meanwhile (litbook clean): make it again.
	}
	img := &image{path: filepath.Join(s.dir, t+".img")}
	img.how, img.err = makeImage(t, img.path, run)
	s.images[t] = img
	return img
}

// makeImage makes the pristine image of type t at path unless it exists
// with its description beside it (path + ".how"), and returns the
// description. run runs mkfs.
func makeImage(t, path string, run runTool) (string, error) {
	howPath := path + ".how"
	if how, err := os.ReadFile(howPath); err == nil {
		if _, err := os.Stat(path); err == nil {
			return string(how), nil
		}
	}
	tool := "mkfs." + t
	bin := lookSystem(tool)
	if bin == "" {
		return "", fmt.Errorf("%s not found (Debian package %s)", tool, mkfsPackage[t])
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+t+".img.tmp-")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = f.Truncate(imageSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	out, err := run(bin, append(slices.Clone(mkfsArgs[t]), tmp)...)
	if err != nil {
		return "", fmt.Errorf("%s: %v: %s", tool, err, lastLine(out))
	}
	how := fmt.Sprintf("%d MiB loop image, %s", imageSize>>20, toolVersion(bin, tool, run))
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	if err := os.WriteFile(howPath, []byte(how), 0o644); err != nil {
		return "", err
	}
	return how, nil
}

// mkfsDirs are where litbook looks for the mkfs tools after its own PATH,
// which may lack /sbin.
var mkfsDirs = filepath.SplitList(systemPath)

// lookSystem finds a command on PATH or in mkfsDirs.
func lookSystem(name string) string {
	dirs := append(filepath.SplitList(os.Getenv("PATH")), mkfsDirs...)
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

var versionRE = regexp.MustCompile(`v?(\d+\.\d+(\.\d+)?)`)

// toolVersion returns "mkfs.xfs 6.1.0", or the tool's name if it does not
// say its version.
func toolVersion(bin, tool string, run runTool) string {
	out, _ := run(bin, "-V")
	if m := versionRE.FindSubmatch(out); m != nil {
		return tool + " " + string(m[1])
	}
	return tool
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// copySparse copies the file src to dst, leaving holes where src has holes
// or blocks of zeros: a fresh image is mostly zeros (a zeroed journal or
// log), and a copy of its data alone takes milliseconds.
func copySparse(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	size := fi.Size()
	buf := make([]byte, 1<<20)
	zero := make([]byte, 4096)
	fd := int(in.Fd())
	for off := int64(0); off < size; {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // only a hole is left
		}
		if err != nil {
			return err
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		for pos := data; pos < hole; {
			n, err := in.ReadAt(buf[:min(int64(len(buf)), hole-pos)], pos)
			if n == 0 && err != nil {
				if err == io.EOF {
					break
				}
				return err
			}
			for b := 0; b < n; b += len(zero) {
				blk := buf[b:min(b+len(zero), n)]
				if bytes.Equal(blk, zero[:len(blk)]) {
					continue
				}
				if _, err := out.WriteAt(blk, pos+int64(b)); err != nil {
					return err
				}
			}
			pos += int64(n)
		}
		off = hole
	}
	if err := out.Truncate(size); err != nil {
		return err
	}
	return out.Close()
}

// attachLoop attaches the file at path to a free loop device that clears
// itself on its last close, and returns the device's path and an open
// file of it, which the caller closes once the device is mounted.
func attachLoop(path string) (string, *os.File, error) {
	backing, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return "", nil, err
	}
	defer backing.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return "", nil, fmt.Errorf("no loop devices: %v", err)
	}
	defer ctl.Close()
	for range 50 {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", nil, fmt.Errorf("no free loop device: %v", err)
		}
		dev := fmt.Sprintf("/dev/loop%d", n)
		f, err := os.OpenFile(dev, os.O_RDWR, 0)
		if err != nil {
			return "", nil, fmt.Errorf("opening %s: %v", dev, err)
		}
		cfg := unix.LoopConfig{Fd: uint32(backing.Fd())}
		cfg.Info.Flags = unix.LO_FLAGS_AUTOCLEAR
		err = unix.IoctlLoopConfigure(int(f.Fd()), &cfg)
		if errors.Is(err, unix.EBUSY) {
			f.Close() // another process took it first
			continue
		}
		if err != nil {
			f.Close()
			return "", nil, fmt.Errorf("configuring %s: %v", dev, err)
		}
		return dev, f, nil
	}
	return "", nil, errors.New("no free loop device: every one was taken before it could be configured")
}
