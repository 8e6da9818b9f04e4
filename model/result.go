package model

import (
	"strings"
	"time"
)

// Record is what a run block produced: one Result per trial, with what
// identifies the inputs they were measured from. The results store keeps
// records between builds.
type Record struct {
	Run *Run
	// Key identifies everything the results depend on: Sources, the Go
	// version and the machine fingerprint. A stored record whose Key
	// matches is reused instead of running again.
	Key string
	// Sources identifies the run's inputs that do not depend on the
	// machine: the run block, the programs it calls and litbook's result
	// format. A record from another machine with the same Sources is a
	// measurement of the same experiment.
	Sources   string
	GoVersion string
	Machine   Machine
	// FS is the scratch filesystem the run's directory was on, for a run
	// with fs=; nil otherwise (the directory was on Machine.FS).
	FS     *Filesystem
	Trials []*Result // in trial order; Trials[0] is the one shown on the page
	// Path is where the record is stored, slash-separated and relative to
	// the book's root ("" if not stored); Fresh is set when it was measured
	// by this build rather than read from the store.
	Path  string
	Fresh bool
}

// Err returns the error of the first trial that failed, or nil.
func (r *Record) Err() *Error {
	for _, t := range r.Trials {
		if t.Err != nil {
			return t.Err
		}
	}
	return nil
}

// Result is what one execution (one trial) of a Run produced.
type Result struct {
	Run      *Run
	Trial    int             // 1-based
	Commands []CommandResult // parallel to Run.Commands
	// Shell holds what /bin/sh itself printed outside any command, such as
	// a syntax error in the transcript.
	Shell    Output
	Exit     int           // exit status of /bin/sh, -1 if it was killed
	TimedOut bool          // killed at its time limit
	Start    time.Time     // when the run started (UTC)
	Duration time.Duration // wall time of the whole run
	Files    []FileInfo    // every file left in the run directory, sorted by name
	// FilesOmitted counts files left beyond the recorded limit.
	FilesOmitted int
	// FilesPartial says why FilesOmitted is only a lower bound (litbook
	// stopped counting, or could not read a directory), or is "" if the
	// count is exact.
	FilesPartial string
	Machine      Machine
	// FS is the scratch filesystem the run's directory was on, for a run
	// with fs= (each trial has a fresh one); nil otherwise.
	FS *Filesystem
	// Err is why the run failed, positioned at the run or at the failing
	// command; nil if it ran as declared.
	Err *Error
}

// CommandResult is what one command of a transcript did.
type CommandResult struct {
	Ran      bool          // the shell reached this command
	Exit     int           // exit status; meaningful only when Done
	Done     bool          // the command finished and reported its status
	Duration time.Duration // from start to exit, as seen by litbook (ms precision)
	// For a background command: its pid ($! in the transcript), and
	// whether it was still running when the transcript ended and so was
	// killed. Its status is known (Done) only if a later "wait" collected it.
	Pid    int
	Killed bool
	Stdout Output
	Stderr Output
	// Order says in which order the kept bytes of Stdout and Stderr
	// arrived, as a terminal would have shown them: consecutive chunks of
	// one stream, whose lengths add up to len(Data) of each. It is nil
	// when only one stream has kept bytes (the order is then plain), and
	// for results stored before litbook recorded it.
	Order []Chunk
}

// Chunk is a run of bytes of one stream of a command's output.
type Chunk struct {
	Stderr bool // from standard error; otherwise standard output
	Len    int
}

// Output is a captured stream: the first Limit bytes, and how many were
// written in all.
type Output struct {
	Data  []byte
	Total int64 // bytes written to the stream, including those not kept
}

// Truncated reports whether bytes were dropped.
func (o Output) Truncated() bool { return o.Total > int64(len(o.Data)) }

// FileInfo describes a file left in a run directory.
type FileInfo struct {
	Name string // slash-separated, relative to the run directory
	Size int64
	Mode string // "file", "dir", "symlink" or "other"
}

// Machine is where a result was measured. The fields that plausibly change
// what a run measures make its fingerprint (the rule is written in package
// store's documentation); the others are recorded so that a reader can
// tell, and are not keyed.
type Machine struct {
	OS       string // runtime.GOOS: Linux
	Kernel   string // uname release: 6.18.44-fc-v769; only KernelVersion is keyed
	Arch     string // runtime.GOARCH: amd64
	CPUs     int    // usable CPUs
	CPUModel string // /proc/cpuinfo's model name: Intel(R) Xeon(R) Processor
	FS       string // filesystem type of the run directory: ext4, tmpfs, ...
	// Shells identifies the shells the book's runs use, /bin/sh first:
	// "sh=dash@sha256:1a2b3c4d bash=bash 5.2.15(1)-release".
	Shells    string
	GoVersion string // of the toolchain that built the programs: go1.26.8
	// Unisolated is set when runs shared the machine's network and /tmp,
	// because litbook could not make namespaces for them (no root, no
	// CAP_SYS_ADMIN): a run then sees the machine's other services and
	// files, and may measure what an isolated one would not. Only this
	// state enters the key, so that records measured isolated, the
	// default, keep theirs.
	Unisolated bool

	// Recorded, not keyed.
	Hostname   string  // only where the book asks for it (record-hostname)
	RunDirRoot string  // where run directories were made, e.g. /tmp
	Load       float64 // the 1-minute load average when the build started
	Litbook    string  // the litbook that measured: its version or VCS revision
}

// KernelVersion returns the kernel release without its local build
// suffix: "6.18.44" for "6.18.44-fc-v1147". A kernel rebuilt from the same
// release by the same recipe measures what it measured before.
func KernelVersion(release string) string {
	end, dots := 0, 0
	for end < len(release) {
		c := release[end]
		if c == '.' && end > 0 && release[end-1] != '.' && dots < 2 {
			dots++
		} else if c < '0' || c > '9' {
			break
		}
		end++
	}
	v := strings.TrimSuffix(release[:end], ".")
	if v == "" {
		return release
	}
	return v
}

// Filesystem is a scratch filesystem that litbook made for a run whose
// block asks for one with fs=: the run's directory is its root.
type Filesystem struct {
	Type string // as mountinfo names it: ext4, xfs, btrfs, tmpfs, overlay
	// How says how it was made, for the reader: "512 MiB loop image,
	// mkfs.xfs 6.1.0", "upper layer on ext4".
	How string
}
