package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile is the book's build lock, under its work directory. The lock is
// an flock on it, so the kernel releases it when its holder dies, even by
// kill -9; the file's content only says who holds it.
const lockFile = ".litbook/lock"

// lockPoll is how often a build waiting for the lock tries again.
const lockPoll = 100 * time.Millisecond

// lockBook takes root's build lock, waiting while another litbook holds it
// (saying who, once, on w) until ctx is done. what describes this process
// to the next one that waits. The returned function releases the lock.
func lockBook(ctx context.Context, root, what string, w io.Writer) (func(), error) {
	name := filepath.Join(root, filepath.FromSlash(lockFile))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", name, err)
		}
		if !told {
			holder, _ := os.ReadFile(name)
			h := strings.TrimSpace(string(holder))
			if h == "" {
				h = "another litbook"
			}
			fmt.Fprintf(w, "waiting for %s to finish (lock %s)\n", h, lockFile)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, errors.New("interrupted while waiting for the book's lock: nothing was changed")
		case <-time.After(lockPoll):
		}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = fmt.Fprintf(f, "%s (pid %d, since %s)\n", what, os.Getpid(), time.Now().Format("15:04:05"))
	}
	return func() {
		_ = f.Truncate(0)
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}
