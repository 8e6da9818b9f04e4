package model

import (
	"strconv"
	"strings"
	"time"
)

// Book is a loaded book: its configuration and its chapters in reading
// order. Programs and Runs are the book's programs and run blocks across all
// chapters, in chapter order, so that runners can work on flat lists.
type Book struct {
	Root     string // absolute path of the directory that holds book.toml
	Config   Config
	Chapters []*Chapter
	Programs []*Program
	Runs     []*Run
	// Parts group the chapters under titles, in reading order, when
	// book.toml has [[book.parts]]; nil otherwise. Appendices belong to no
	// part.
	Parts []*Part
}

// Part is a titled group of consecutive chapters ([[book.parts]]).
type Part struct {
	Title    string
	Chapters []*Chapter
}

// Config is book.toml. Keys follow mdBook's where they overlap.
type Config struct {
	Title       string
	Authors     []string
	Language    string
	Description string
	BuildDir    string // relative to Root unless absolute; default "book"
	// SiteURL is where the site is published ("/my-book/" or
	// "https://example.org/my-book/", ending in a slash), or "": the
	// not-found page, which a server shows at any missing path, finds the
	// site's assets from it.
	SiteURL string
	// GoMod is the go.mod (with its go.sum beside it) whose requirements the
	// book's programs are built with, relative to Root. Default: Root's
	// go.mod if there is one; otherwise programs may import only the
	// standard library.
	GoMod string
	// Timeout is the default time limit of a run; a run block's timeout=
	// overrides it. Default 60 s.
	Timeout time.Duration
	// OutputLimit caps the output each run keeps, in bytes: all its
	// commands, streams and trials together.
	// Default 1 MiB.
	OutputLimit int64
	// FileSizeLimit is the largest file a run may write (RLIMIT_FSIZE), in
	// bytes. Default 1 GiB.
	FileSizeLimit int64
	// ProcessLimit bounds the processes and threads of a run, where a pids
	// cgroup can be made for it. Default 4096.
	ProcessLimit int64
	// RecordHostname records the machine's hostname in its results,
	// which are committed and published. Default false.
	RecordHostname bool
}

// Defaults of Config, for keys that book.toml leaves out. This is their
// only home: the loader fills them in, and the runner falls back on them
// for a Book made without the loader.
const (
	DefaultBuildDir = "book"
	// DefaultTimeout is long enough for the slowest experiment of a
	// tutorial, short enough that a hung program is noticed.
	DefaultTimeout = 60 * time.Second
	// DefaultOutputLimit keeps transcripts readable and litbook's memory
	// bounded.
	DefaultOutputLimit = 1 << 20
	// DefaultFileSizeLimit is generous: it stops a runaway program from
	// filling the disk, not an experiment.
	DefaultFileSizeLimit = 1 << 30
	// DefaultProcessLimit bounds a fork bomb, and leaves room for a
	// transcript of many Go programs with many threads each.
	DefaultProcessLimit = 4096
)

// Chapter is one Markdown file of the book.
type Chapter struct {
	Path  string // relative to the book root, slash-separated: chapters/02-append.md
	Slug  string // file name without extension: 02-append; the page is Slug + ".html"
	Title string // text of the first level-1 heading, or Slug
	// Appendix is set for the chapters of book.toml's appendices: they
	// come after the others and are lettered, not numbered.
	Appendix bool
	// Number is the chapter's number as the book shows it: "2" for the
	// second chapter, "A" for the first appendix.
	Number string
	// Part is the part the chapter belongs to, or nil.
	Part   *Part
	Source []byte
	// Labels are the chapter's numbered figures and tables, in source
	// order: what cross-references ([](#fig-race)) point at.
	Labels []*Label
	// Programs and Runs defined in this chapter, in source order.
	Programs []*Program
	Runs     []*Run
}

// Program is a Go main package assembled from one or more fenced go blocks
// that carry the same program= name.
type Program struct {
	Name    string // the command name on PATH during runs; unique in the book
	Chapter *Chapter
	Pos     Pos     // the first block's fence line
	Files   []*File // in order of first appearance
	// Modules are the modules of the book's go.mod that the program's
	// imports resolve to, as "path version" (and " => replacement"),
	// sorted: a run's key covers them, so that bumping a dependency
	// reruns the runs whose programs use it. Packages of the book's own
	// module that it imports, directly or not, are there too, as
	// "path (book) sha256:DIGEST" of their directory's files.
	Modules []string
	// BookPackages are the import paths of the packages of the book's own
	// module that the program imports, directly or not, sorted.
	BookPackages []string
}

// File is one file of a program: a Go source file, or any other file the
// program's directory holds (a data file, a template, testdata/...).
// Several blocks naming the same file are concatenated in order; Lines maps
// each line of the assembled file back to the line it came from.
type File struct {
	Name   string // relative to the program's directory: main.go, testdata/in.txt
	Source []byte
	Lines  []int // Lines[i] is the line file line i+1 comes from
	// From names, per line, the file of the book that line comes from when
	// it is not the chapter (code included with include=); nil, or "" for
	// a line, means the chapter.
	From []string
}

// IsGo reports whether f is a Go source file of the program's package
// (not one under a subdirectory such as testdata/).
func (f *File) IsGo() bool {
	return strings.HasSuffix(f.Name, ".go") && !strings.Contains(f.Name, "/")
}

// ChapterLine returns the position of line n (1-based) of f in the book: a
// line of the chapter, or of the file it was included from; or the
// program's position if n is out of range.
func (p *Program) ChapterLine(f *File, n int) Pos {
	if n >= 1 && n <= len(f.Lines) {
		file := p.Chapter.Path
		if n <= len(f.From) && f.From[n-1] != "" {
			file = f.From[n-1]
		}
		return Pos{File: file, Line: f.Lines[n-1]}
	}
	return p.Pos
}

// Run is a run block: a shell transcript whose commands are executed by
// /bin/sh in a fresh directory with the book's programs on PATH.
type Run struct {
	ID      string // unique in the book: "<chapter slug>/<name>"
	Name    string // from run=NAME, or "run-N" for the chapter's N-th unnamed run
	Chapter *Chapter
	Pos     Pos // the fence line
	// Commands in transcript order.
	Commands []*Command
	// Options from the info string.
	Timeout   time.Duration // 0: the book's default
	Exit      int           // expected exit status of the last foreground command
	Exclusive bool          // run alone: nothing else runs at the same time
	// Trials is how many times the run executes, each time in a fresh
	// directory: its values become distributions. At least 1.
	Trials int
	// Block is the run block as written (info string and transcript); it
	// is part of the run's cache key, so that any edit re-runs it.
	Block []byte
	// Calls are the command names the transcript invokes, found by a
	// shallow scan of each command (see loader); the runner checks that each
	// is a program of the book or a command on the run's PATH.
	Calls []Call
	// Programs lists the chapter's programs whose name appears as a word
	// in the transcript (so also those started through xargs or sh -c),
	// sorted by name. The run's cache key covers them.
	Programs []*Program
	// FS is the filesystem the run's directory is on, from fs= on its
	// block: one of FSTypes. "" (no fs=) runs in a directory of the
	// runner's TempDir, on whatever filesystem that is.
	FS string
	// Base is the name written on the block (run=race, or run-N). It
	// equals Name except for a block with fs=, which is one run per
	// filesystem, named Base[FS]: race[xfs].
	Base string
	// Dir names the program whose source directory the run starts in
	// (in=NAME): the run directory holds a copy of the program's module,
	// so that go test and go run work there. "" for an empty directory.
	Dir string
	// Uses are programs of other chapters that the run may call, as the
	// block's uses= names them (uses=02-append/appender).
	Uses []*Program
	// Family lists the runs of a block with fs=, one per filesystem in
	// the order fs= names them; every run of the block shares the slice.
	// It is nil for a block without fs=.
	Family []*Run
	// Stdin is the file of the book that is the run's standard input
	// (stdin=), or nil: then standard input is /dev/null.
	Stdin *Input
	// Files are the files and directories of the book copied into the
	// run's directory before its first command (files=).
	Files []Input
	// Env holds the variables that env= adds to the run's environment,
	// as NAME=VALUE, in the order written.
	Env []string
	// Network is set by the network attribute: the run shares the
	// machine's network. Without it a run has a network of its own with
	// only a loopback interface, where the machine allows it.
	Network bool
}

// Input is a file or directory of the book that a run reads: its stdin=
// or one of its files=. Its content is part of the run's key.
type Input struct {
	Path string // relative to the book's root, slash-separated: chapters/data/in.txt
	Name string // where files= puts it in the run directory: in.txt; "" for stdin=
	Dir  bool   // a directory, copied with everything in it
	// Digest is the SHA-256 of the content: of a directory, of every
	// name, mode and file content under it.
	Digest string
}

// FSTypes are the filesystems a run block can ask for with fs=, as the
// kernel names them in /proc/self/mountinfo: litbook makes each as a
// scratch filesystem in the run's own mount namespace (loop images for
// ext4, xfs and btrfs; an overlay whose upper layer is in the runner's
// TempDir).
var FSTypes = []string{"ext4", "xfs", "btrfs", "tmpfs", "overlay"}

// Call is a command name invoked by a transcript, at the line that calls it.
type Call struct {
	Name string
	Pos  Pos
}

// Command is one `$ ` line of a transcript (with its continuation lines).
type Command struct {
	Text       string // the command as written, without "$ " and without a trailing "&"
	Pos        Pos    // the line of the "$ "
	Background bool   // written with a trailing "&": runs while later commands do
	// Waits is set when the command runs a bare "wait", which collects the
	// exit status of every background command started before it.
	Waits bool
	// OwnJobs is set when the command manages jobs itself (wait with
	// operands, jobs, fg, bg); litbook then leaves background statuses to
	// the transcript rather than collect them behind its back.
	OwnJobs bool
	// Exit is the status the command is expected to exit with, from a
	// "# exit N" comment on it (0 without one; the last foreground
	// command may also take the run's exit=).
	Exit int
	// HereDocAt is the offset in Text of the newline after which the
	// lines of the command's here-documents start, or 0 if it has none:
	// a background command's "&" is shown before it, where it was written.
	HereDocAt int
}

// LabelKind says what a label numbers.
type LabelKind int

// The kinds of numbered elements.
const (
	Figure LabelKind = iota // an image, a chart or a timeline
	Table
)

// String returns the word a reference to the kind starts with.
func (k LabelKind) String() string {
	if k == Table {
		return "Table"
	}
	return "Figure"
}

// Label is a numbered, captioned figure or table of a chapter: written as a
// caption paragraph ("Figure: The race. {#fig-race}") after the element.
// Figures and tables are numbered per chapter, each kind on its own:
// Figure 2.1, Figure 2.2, Table 2.1.
type Label struct {
	ID      string // the anchor: fig-race, tbl-locks; empty for an unlabelled caption
	Kind    LabelKind
	Chapter *Chapter
	Index   int    // from 1, among the chapter's labels of its kind
	Caption string // plain text, for tooltips and the search index
	Pos     Pos    // of the caption paragraph
}

// Number returns the label's number: "2.1", or "A.1" in an appendix.
func (l *Label) Number() string {
	n := l.Chapter.Number
	if n == "" {
		n = l.Chapter.Slug
	}
	return n + "." + strconv.Itoa(l.Index)
}

// Name returns how the book refers to the label: "Figure 2.1".
func (l *Label) Name() string { return l.Kind.String() + " " + l.Number() }

// Label returns the chapter's label with id, or nil.
func (ch *Chapter) Label(id string) *Label {
	for _, l := range ch.Labels {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// Name returns how the book refers to the chapter: "Chapter 2", or
// "Appendix A".
func (ch *Chapter) Name() string {
	if ch.Appendix {
		return "Appendix " + ch.Number
	}
	return "Chapter " + ch.Number
}
