// Command litbook builds books whose code really runs: it compiles the Go
// programs embedded in Markdown chapters, runs their transcripts, and renders
// a static HTML book from the real outputs.
//
// Usage:
//
//	litbook init [dir]
//	litbook build [-d dir] [-j n] [-rerun | -frozen] [-external-links] [book]
//	litbook serve [-addr host:port] [-d dir] [-j n] [-frozen] [book]
//	litbook test [-j n] [-rerun | -frozen] [book]
//	litbook diff [book] [machine-a [machine-b]]
//	litbook merge [-C book] dir...
//	litbook prune [-n] [-stale] [book]
//	litbook clean [book]
//
// Run "litbook help" for what each does; the help text is generated from
// the command table in commands.go, and TestUsageFromTable keeps this list
// honest.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

// stopGrace is how long litbook may take to stop after a signal before it
// exits without finishing its cleanup. Stopping runs and removing their
// directories takes well under a second.
const stopGrace = 10 * time.Second

func main() {
	// The first signal cancels the build. Later ones are caught too, not
	// left to kill litbook: the runs live in process groups of their own,
	// so only litbook can stop them and remove their directories, which
	// takes at most a couple of seconds.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		// Every stage watches ctx, but a read that the kernel never
		// completes (a hung FUSE or NFS mount) watches nothing. Past
		// stopGrace, litbook exits as if killed: the next build removes
		// what it leaves, as after kill -9. After a normal end, main exits
		// long before.
		<-ctx.Done()
		time.Sleep(stopGrace)
		fmt.Fprintf(os.Stderr, "litbook: still not stopped %v after the signal (blocked in the kernel, on a hung file system?): exiting; the next build cleans up what this one left\n", stopGrace)
		os.Exit(exitFail)
	}()
	// The work runs off the main thread (see init).
	result := make(chan int, 1)
	go func() { result <- run(ctx, os.Args[1:], os.Stdout, os.Stderr) }()
	code := <-result
	stop()
	os.Exit(code)
}

// The main goroutine keeps the main thread, and only waits there. The
// kernel hands a signal sent to litbook to its main thread first, and
// wakes it for SIGINT only from a sleep that any signal interrupts; a read
// stuck on a hung FUSE or NFS mount sleeps until a fatal signal. Were the
// main thread in that read, the signal would wait with it, and nothing
// would stop the build (TestSignalStopsBlockedLoad failed so, now and
// then, whenever loading read a chapter on the main thread).
func init() { runtime.LockOSThread() }
