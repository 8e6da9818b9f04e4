// Package runner builds a book's programs and executes its run blocks.
//
//	rn := &runner.Runner{Jobs: 4, Supervisor: supervise.New()}
//	progs, err := rn.Build(ctx, book, book.Programs) // progs.Failed: what did not compile
//	records, err := rn.Run(ctx, book, book.Runs, progs) // records[i] is book.Runs[i]'s
//
// (ExampleRunner_Run keeps this compiling.)
//
// Build writes the programs into a generated module under WorkDir (the
// book's .litbook directory) and compiles all of them with a single
// `go build -json -o DIR pkg...`, so the go command shares work between
// them and uses the user's build cache. A broken program stops no other:
// when one fails to load (which stops go build before it compiles
// anything), `go list -e -json` finds those that do and the rest are built
// again. Every error is mapped back to the chapter line of the offending
// program line, or to the line of the book's go.mod, and Programs.Failed
// says which programs failed.
//
// Every run gets a fresh directory (holding copies of its files=), a small
// fixed environment (runEnv, then its env=; EnvNames lists it) whose PATH
// has the chapter's programs and then the Go toolchain that built them,
// its stdin= file as standard input, and is executed as one /bin/sh script
// so that background commands (`cmd &`) and `wait` work across lines. Each
// command's stdout and stderr go to their own FIFO (made on /dev/shm where
// it is a tmpfs, so that no run journals inodes for them), drained by
// litbook and capped at OutputLimit bytes; every read of a command's FIFOs is numbered,
// so that the result says in which order the two streams arrived. The
// script reports when each command starts and ends on a control pipe (fd
// 3), which gives per-command exit statuses and durations without extra
// processes; a command's status is judged against its "# exit N".
//
// Where the machine allows it, each run executes in a network namespace of
// its own with only a loopback interface (unless its block says network)
// and a mount namespace whose /tmp is a private tmpfs (isolate.go); where
// it does not, Run says so once through Note.
//
// Before its first command, the shell waits at a start gate while litbook
// lowers its RLIMIT_FSIZE to FileSizeLimit and, with a Supervisor that may
// make cgroups, moves it into a cgroup of its own whose pids.max is
// ProcessLimit (in cgroup v2 it is born there, with CLONE_INTO_CGROUP, where
// the kernel allows; a cgroup v1 pids cgroup may be a supervise.Slot's,
// which its runs have one after another), so that everything the run
// starts is born limited and inside.
//
// A trial's result is handed over as soon as its processes are gone; its
// directories, streams and cgroups are removed meanwhile, before an
// exclusive run starts and before Run returns. The threads that isolated
// runs start from are made ahead of them (threadPool), while other runs
// execute.
//
// A run ends when its shell exits, its time limit passes, or the context is
// cancelled; then its process group is killed. With a Supervisor (package
// supervise), everything else it started is killed too: its cgroup (at
// once, with cgroup.kill), and every process that carries the run's
// LITBOOK_RUN token in its environment or works in its directory
// (descendants that left the group with setsid or a double fork), and
// orphans that come back to the subreaper. Without one, the runner changes
// no process-wide state and kills nothing it did not start. The run
// directory is removed after the sizes of the files left in it are recorded.
//
// Runs execute concurrently, at most Jobs at a time; an exclusive run waits
// until nothing else runs and runs alone.
package runner
