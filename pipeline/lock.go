package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/litbook/litbook/runner"
	"golang.org/x/sys/unix"
)

// lockInfo says who holds the book's build lock. The lock itself is an
// flock on the book's directory: the kernel releases it when its holder
// dies, even by kill -9, and no removal of files (litbook clean, rm -rf
// .litbook) can leave two builds holding two different locks.
const lockInfo = ".litbook/lock"

// lockPoll is how often a build waiting for the lock tries again.
const lockPoll = 100 * time.Millisecond

// Lock takes root's build lock, waiting while another litbook holds it
// (saying who, once, on w) until ctx is done. what describes this process
// to the next one that waits. The returned function releases the lock.
func Lock(ctx context.Context, root, what string, w io.Writer) (func(), error) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	info := filepath.Join(root, filepath.FromSlash(lockInfo))
	told := false
	for polls := 0; ; polls++ {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			unix.Close(fd)
			return nil, fmt.Errorf("locking %s: %w", root, err)
		}
		if !told {
			// A holder writes who it is just after it takes the lock and
			// removes it just before it lets go: between the two, wait a
			// poll or two for it rather than name nobody.
			holder, _ := os.ReadFile(info)
			h := strings.TrimSpace(string(holder))
			if h == "" && polls >= 10 {
				h = "another litbook"
			}
			if h != "" {
				fmt.Fprintf(w, "waiting for %s to finish (lock on the book directory; holder in %s)\n", h, lockInfo)
				told = true
			}
		}
		select {
		case <-ctx.Done():
			unix.Close(fd)
			return nil, fmt.Errorf("%w while waiting for the book's lock: nothing was changed", runner.ErrInterrupted)
		case <-time.After(lockPoll):
		}
	}
	// Only information for the next build that waits: failing to write
	// it changes nothing.
	// It is renamed into place, so that a waiter never reads it half
	// written.
	if err := os.MkdirAll(filepath.Dir(info), 0o755); err == nil {
		tmp := fmt.Sprintf("%s.%d", info, os.Getpid())
		if os.WriteFile(tmp, fmt.Appendf(nil, "%s (pid %d, since %s)\n", what, os.Getpid(), time.Now().Format("15:04:05")), 0o644) == nil {
			_ = os.Rename(tmp, info)
		}
	}
	return func() {
		_ = os.Remove(info)
		_ = unix.Flock(fd, unix.LOCK_UN)
		unix.Close(fd)
	}, nil
}
