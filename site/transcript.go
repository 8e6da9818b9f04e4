package site

import (
	"fmt"
	"strings"
	"time"

	"github.com/litbook/litbook/internal/inert"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/naming"
)

// runView is what the "run" template draws: a transcript with its outputs,
// the files the run left, and where and when it was measured. Every string
// in it is plain text; the template escapes it.
type runView struct {
	ID    string // the figure's id: run-NAME
	Spans []span // the terminal's content, in order
	// Failure is why the run failed, empty if it did not.
	Failure string
	NotRun  bool
	Files   *filesView
	// Provenance; empty when not run.
	Measured  []string  // machine parts: "Linux 6.18 (amd64)", "ext4 at /tmp", ...
	Start     time.Time // zero if unknown
	Duration  string
	Exclusive bool
	Trial     string // "trial 1 of 5", for a run with several trials
	// Also names the other filesystems of a block with fs=, whose runs
	// the page does not draw: "also run on xfs, btrfs and tmpfs".
	Also string
}

// span is a piece of the terminal: text in one of the classes prompt, cmd,
// out, err, status, note or shell; or, with no class, a bare newline.
type span struct {
	Class, Text string
}

// filesView is the table of files a run left in its directory.
type filesView struct {
	Summary string // "2 files (4,096 bytes), 1 directory"
	Rows    []fileRow
	Open    bool // short enough to show unfolded
}

type fileRow struct {
	Name string
	Kind string // "" for a regular file; "dir", "symlink", "other"
	Size string
}

// filesOpenMax is the longest file list shown unfolded.
const filesOpenMax = 8

// newRunView lays out run with its result; res may be nil (not run).
func newRunView(run *model.Run, res *model.Result) *runView {
	v := &runView{ID: naming.RunID(run), Exclusive: run.Exclusive}
	var t terminal
	for i, c := range run.Commands {
		t.command(c)
		if res == nil {
			continue
		}
		var cr model.CommandResult
		if i < len(res.Commands) {
			cr = res.Commands[i]
		}
		t.outputs(cr)
		if s := commandStatus(c, cr, res); s != "" {
			t.line("status", s)
		}
	}
	if res == nil {
		v.NotRun = true
		v.Spans = t.spans
		return v
	}
	t.output("err shell", res.Shell)
	v.Spans = t.spans
	if res.Err != nil {
		v.Failure = cleanText([]byte(res.Err.Error()))
	}
	v.Files = newFilesView(res.Files, res.FilesOmitted, res.FilesPartial)
	v.Measured = measuredParts(res.Machine, res.FS)
	v.Start = res.Start.UTC()
	if run.Trials > 1 && res.Trial > 0 {
		v.Trial = fmt.Sprintf("trial %d of %d shown", res.Trial, run.Trials)
	}
	if res.Duration > 0 {
		v.Duration = formatDuration(res.Duration)
	}
	if len(run.Family) > 1 {
		var others []string
		for _, o := range run.Family {
			if o != run {
				others = append(others, o.FS)
			}
		}
		v.Also = "the same transcript also ran on " + joinAnd(others)
	}
	return v
}

// commandStatus is the line shown after a command's output when it did not
// simply succeed: "[exit 1]", or why it has no status.
func commandStatus(c *model.Command, cr model.CommandResult, res *model.Result) string {
	switch {
	case !cr.Ran:
		return "[not reached]"
	case !cr.Done && res.TimedOut:
		return "[killed at the time limit]"
	case !cr.Done && c.Background && cr.Killed:
		return "[still running when the run ended: killed]"
	case !cr.Done && c.Background:
		return "[finished; exit status not recorded]"
	case !cr.Done:
		return "[did not finish]"
	case cr.Exit != 0:
		return fmt.Sprintf("[exit %d]", cr.Exit)
	}
	return ""
}

// terminal accumulates the spans of a transcript, keeping every prompt at
// the start of a line.
type terminal struct {
	spans   []span
	midLine bool // the last span did not end with a newline
}

func (t *terminal) add(class, text string) {
	if text == "" {
		return
	}
	t.spans = append(t.spans, span{class, text})
	t.midLine = !strings.HasSuffix(text, "\n")
}

// newline ends the current line if something is on it.
func (t *terminal) newline() {
	if t.midLine {
		t.add("", "\n")
	}
}

// command shows a command as typed, after its prompt.
func (t *terminal) command(c *model.Command) {
	t.newline()
	text := c.Text
	switch {
	case c.Background && c.HereDocAt > 0 && c.HereDocAt <= len(text):
		text = text[:c.HereDocAt] + " &" + text[c.HereDocAt:]
	case c.Background:
		text += " &"
	}
	t.add("prompt", "$ ")
	t.add("cmd", text)
	t.add("", "\n")
}

// output shows a captured stream in class, with a marker after it if
// bytes were dropped.
func (t *terminal) output(class string, o model.Output) {
	if len(o.Data) > 0 {
		t.newline()
		t.add(class, cleanText(o.Data))
	}
	if o.Truncated() {
		t.line("note", fmt.Sprintf("[output truncated: %s of %s bytes shown]", formatCount(int64(len(o.Data))), formatCount(o.Total)))
	}
}

// outputs shows a command's two streams: in the order they arrived, when
// the result recorded it, else standard output first.
func (t *terminal) outputs(cr model.CommandResult) {
	if len(cr.Order) == 0 {
		t.output("out", cr.Stdout)
		t.output("err", cr.Stderr)
		return
	}
	// Each stream is cleaned whole, cut where the chunks end: a chunk
	// boundary inside a character or an escape sequence of one stream
	// does not break it in two (inert.Pieces).
	var cuts [2][]int
	var off [2]int
	for _, c := range cr.Order {
		k, o := 0, cr.Stdout
		if c.Stderr {
			k, o = 1, cr.Stderr
		}
		off[k] = min(off[k]+c.Len, len(o.Data))
		cuts[k] = append(cuts[k], off[k])
	}
	pieces := [2][]string{inert.Pieces(cr.Stdout.Data, cuts[0]), inert.Pieces(cr.Stderr.Data, cuts[1])}
	var next [2]int
	for _, c := range cr.Order {
		k, class := 0, "out"
		if c.Stderr {
			k, class = 1, "err"
		}
		// A chunk continues the line it arrived on, as on a terminal.
		t.add(class, pieces[k][next[k]])
		next[k]++
	}
	for _, o := range []model.Output{cr.Stdout, cr.Stderr} {
		if o.Truncated() {
			t.line("note", fmt.Sprintf("[output truncated: %s of %s bytes shown]", formatCount(int64(len(o.Data))), formatCount(o.Total)))
		}
	}
}

// line shows text on a line of its own.
func (t *terminal) line(class, text string) {
	t.newline()
	t.add(class, text)
	t.add("", "\n")
}

func newFilesView(files []model.FileInfo, omitted int, partial string) *filesView {
	if len(files) == 0 && omitted == 0 && partial == "" {
		return nil
	}
	v := &filesView{Open: len(files) <= filesOpenMax}
	var total int64
	var nfiles, ndirs, nother int
	for _, f := range files {
		r := fileRow{Name: cleanText([]byte(f.Name))}
		switch f.Mode {
		case "file", "":
			r.Size = formatCount(f.Size)
			total += f.Size
			nfiles++
		case "dir":
			r.Name += "/"
			r.Kind = "dir"
			ndirs++
		default:
			r.Kind = f.Mode
			r.Size = formatCount(f.Size)
			nother++
		}
		v.Rows = append(v.Rows, r)
	}
	var counts []string
	if nfiles > 0 {
		counts = append(counts, plural(nfiles, "file", "files")+" ("+formatBytes(total)+")")
	}
	if ndirs > 0 {
		counts = append(counts, plural(ndirs, "directory", "directories"))
	}
	if nother > 0 {
		counts = append(counts, plural(nother, "other", "others"))
	}
	switch {
	case partial != "":
		counts = append(counts, "at least "+plural(omitted, "more not recorded", "more not recorded")+" ("+cleanText([]byte(partial))+")")
	case omitted > 0:
		counts = append(counts, plural(omitted, "more not recorded", "more not recorded"))
	}
	v.Summary = strings.Join(counts, ", ")
	return v
}
