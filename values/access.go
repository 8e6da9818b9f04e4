package values

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/litbook/litbook/model"
)

// record returns the record of r's run.
func (ev *evaluator) record(r *refNode) (*model.Record, error) {
	if rec, ok := ev.recs[r.run]; ok {
		return rec, nil
	}
	var rec *model.Record
	if ev.lookup != nil {
		rec = ev.lookup(r.run)
	}
	switch {
	case rec == nil:
		return nil, ev.errorf(r.off, "run %s has no results", r.run)
	case len(rec.Trials) == 0:
		return nil, ev.errorf(r.off, "run %s has no trials", r.run)
	}
	for i, t := range rec.Trials {
		if t == nil {
			return nil, ev.errorf(r.off, "trial %d of run %s has no result", i+1, r.run)
		}
	}
	ev.recs[r.run] = rec
	return rec, nil
}

// commands returns how many commands a run has.
func commands(rec *model.Record) int {
	if rec.Run != nil {
		return len(rec.Run.Commands)
	}
	n := 0
	for _, t := range rec.Trials {
		n = max(n, len(t.Commands))
	}
	return n
}

// background reports whether command i (0-based) of the run is a
// background command.
func background(rec *model.Record, i int) bool {
	return rec.Run != nil && i < len(rec.Run.Commands) && rec.Run.Commands[i] != nil && rec.Run.Commands[i].Background
}

// command returns the result of command i (0-based) in a trial; a command
// missing from the result did not run.
func command(res *model.Result, i int) model.CommandResult {
	if i < len(res.Commands) {
		return res.Commands[i]
	}
	return model.CommandResult{}
}

// ref evaluates a run reference: one element per trial (R.trials is a
// scalar).
func (ev *evaluator) ref(r *refNode) (Value, error) {
	rec, err := ev.record(r)
	if err != nil {
		return Value{}, err
	}
	if r.acc == "trials" {
		return Value{kind: Number, nums: []float64{float64(len(rec.Trials))}}, nil
	}
	if r.cmd > 0 {
		if n := commands(rec); r.cmd > n {
			return Value{}, ev.errorf(r.cmdOff, "%s has %s, so cmd(%d) does not exist", r.run, plural(n, "command"), r.cmd)
		}
	}
	v := Value{perTrial: true, run: r.run}
	one := len(rec.Trials) == 1
	var texts []string
	for i, res := range rec.Trials {
		trial := ""
		if !one {
			trial = fmt.Sprintf(" in trial %d", i+1)
		}
		switch r.acc {
		case "exit":
			x, err := ev.exit(r, rec, res, trial)
			if err != nil {
				return Value{}, err
			}
			v.kind, v.nums = Number, append(v.nums, x)
		case "time":
			d := res.Duration
			if r.cmd > 0 {
				cr := command(res, r.cmd-1)
				if !cr.Ran {
					return Value{}, ev.errorf(r.accOff, "the shell never reached %s%s, so it has no time", r.name(), trial)
				}
				d = cr.Duration
			}
			v.kind, v.nums = Duration, append(v.nums, float64(d))
		case "size":
			x, err := ev.size(r, res, trial)
			if err != nil {
				return Value{}, err
			}
			v.kind, v.nums = Number, append(v.nums, x)
		default:
			s, err := ev.textOf(r, rec, res, trial)
			if err != nil {
				return Value{}, err
			}
			texts = append(texts, s)
		}
	}
	if texts != nil {
		w := typeTexts(texts)
		v.kind, v.nums, v.strs = w.kind, w.nums, w.strs
	}
	return v, nil
}

// exit returns the exit status of r in one trial.
func (ev *evaluator) exit(r *refNode, rec *model.Record, res *model.Result, trial string) (float64, error) {
	if r.cmd == 0 {
		for i := len(res.Commands) - 1; i >= 0; i-- {
			if cr := res.Commands[i]; cr.Done && !background(rec, i) {
				return float64(cr.Exit), nil
			}
		}
		return 0, ev.errorf(r.accOff, "no foreground command of %s finished%s, so it has no exit status", r.run, trial)
	}
	cr := command(res, r.cmd-1)
	switch {
	case cr.Done:
		return float64(cr.Exit), nil
	case !cr.Ran:
		return 0, ev.errorf(r.accOff, "the shell never reached %s%s, so it has no exit status", r.name(), trial)
	case cr.Killed:
		return 0, ev.errorf(r.accOff, "%s was still running when the transcript ended%s (it was killed), so it has no exit status", r.name(), trial)
	case background(rec, r.cmd-1):
		return 0, ev.errorf(r.accOff, "%s runs in the background and no wait collected its exit status%s", r.name(), trial)
	}
	return 0, ev.errorf(r.accOff, "%s did not finish%s, so it has no exit status", r.name(), trial)
}

// size returns the size of the file r names in one trial.
func (ev *evaluator) size(r *refNode, res *model.Result, trial string) (float64, error) {
	var names []string
	for _, f := range res.Files {
		if f.Name == r.arg {
			return float64(f.Size), nil
		}
		names = append(names, strconv.Quote(f.Name))
	}
	left := "no files"
	if len(names) > 0 {
		left = joinMore(names, 10)
	}
	switch {
	case res.FilesPartial != "":
		left += fmt.Sprintf(" (and at least %d files not recorded: %s)", res.FilesOmitted, res.FilesPartial)
	case res.FilesOmitted > 0:
		left += fmt.Sprintf(" (and %d files not recorded)", res.FilesOmitted)
	}
	return 0, ev.errorf(r.argOff, "%s left no file %q%s; it left %s", r.run, r.arg, trial, left)
}

// stream is the captured output a text accessor reads.
type stream struct {
	data      string
	truncated bool
	kept      int
	total     int64
}

// streams joins the given stream (stdout or stderr) of r's commands in one
// trial.
func streams(r *refNode, res *model.Result, stderr bool) stream {
	var s stream
	var b strings.Builder
	for i := range res.Commands {
		if r.cmd > 0 && i != r.cmd-1 {
			continue
		}
		o := res.Commands[i].Stdout
		if stderr {
			o = res.Commands[i].Stderr
		}
		b.Write(o.Data)
		s.kept += len(o.Data)
		s.total += max(o.Total, int64(len(o.Data)))
		if o.Total > int64(len(o.Data)) {
			s.truncated = true
		}
	}
	s.data = b.String()
	return s
}

// cut describes a truncated stream: "the stdout of seek was cut at the
// output limit in trial 3, keeping 4 KiB of 1 MiB".
func cut(r *refNode, name string, s stream, trial string) string {
	return fmt.Sprintf("the %s of %s was cut at the output limit%s, keeping %s of %s",
		name, r.name(), trial, strings.ReplaceAll(formatBytes(float64(s.kept)), nbsp, " "), strings.ReplaceAll(formatBytes(float64(s.total)), nbsp, " "))
}

// textOf returns the text a text accessor (stdout, stderr, line, match,
// value) reads in one trial.
func (ev *evaluator) textOf(r *refNode, rec *model.Record, res *model.Result, trial string) (string, error) {
	switch r.acc {
	case "stdout", "stderr":
		s := streams(r, res, r.acc == "stderr")
		if s.truncated {
			return "", ev.errorf(r.accOff, "%s, so its whole text is unknown", cut(r, r.acc, s, trial))
		}
		t := strings.TrimSuffix(s.data, "\n")
		return strings.TrimSuffix(t, "\r"), nil
	case "line":
		s := streams(r, res, false)
		text := strings.TrimSuffix(s.data, "\n")
		var lines []string
		if s.data != "" {
			lines = strings.Split(text, "\n")
		}
		i := r.line - 1
		if r.line < 0 {
			if s.truncated {
				return "", ev.errorf(r.argOff, "%s, so its last lines are unknown", cut(r, "stdout", s, trial))
			}
			i = len(lines) + r.line
		}
		if i < 0 || i >= len(lines) {
			printed := "nothing"
			if len(lines) > 0 {
				printed = plural(len(lines), "line")
			}
			msg := fmt.Sprintf("%s printed %s to stdout%s, so line(%d) does not exist", r.name(), printed, trial, r.line)
			if s.truncated {
				msg += "; " + cut(r, "stdout", s, "")
			}
			return "", ev.errorf(r.argOff, "%s", msg)
		}
		return strings.TrimSpace(lines[i]), nil
	case "match":
		truncated := false
		for i := range res.Commands {
			if r.cmd > 0 && i != r.cmd-1 {
				continue
			}
			for _, o := range []model.Output{res.Commands[i].Stdout, res.Commands[i].Stderr} {
				if o.Total > int64(len(o.Data)) {
					truncated = true
				}
				m := r.re.FindSubmatchIndex(o.Data)
				if m == nil {
					continue
				}
				if len(m) > 2 {
					m = m[2:4]
				}
				if m[0] < 0 {
					return "", nil // the group did not take part in the match
				}
				return string(o.Data[m[0]:m[1]]), nil
			}
		}
		msg := fmt.Sprintf("no match for %s in the output of %s%s", quoteRegexp(r.re.String()), r.name(), trial)
		if truncated {
			msg += " (its output was cut at the output limit)"
		}
		return "", ev.errorf(r.argOff, "%s", msg)
	}
	// A named value: the last NAME=VALUE token of stdout.
	s := streams(r, res, false)
	if s.truncated {
		return "", ev.errorf(r.argOff, "%s, so its last %s= is unknown", cut(r, "stdout", s, trial), r.arg)
	}
	prefix := r.arg + "="
	var names []string
	found, value := false, ""
	for _, tok := range strings.Fields(s.data) {
		if strings.HasPrefix(tok, prefix) {
			found, value = true, tok[len(prefix):]
		} else if i := strings.IndexByte(tok, '='); i > 0 && !slices.Contains(names, tok[:i]) {
			names = append(names, tok[:i])
		}
	}
	if found {
		return value, nil
	}
	if len(names) == 0 {
		return "", ev.errorf(r.argOff, "%s reported no value %s%s: its stdout has no NAME=VALUE tokens", r.name(), r.arg, trial)
	}
	return "", ev.errorf(r.argOff, "%s reported no value %s%s; it reported %s", r.name(), r.arg, trial, joinMore(names, 10))
}

// quoteRegexp quotes a regexp as it would be written, with backquotes
// unless it holds one.
func quoteRegexp(re string) string {
	if strings.ContainsAny(re, "`\n") {
		return strconv.Quote(re)
	}
	return "`" + re + "`"
}

// typeText types one text from output by its content: a number if it
// parses as one, else a duration if time.ParseDuration accepts it, else a
// string. x is the number, or the duration in nanoseconds.
func typeText(s string) (kind ValueKind, x float64) {
	t := strings.TrimSpace(s)
	if x, ok := parseNumber(t); ok {
		return Number, x
	}
	if d, err := time.ParseDuration(t); err == nil {
		return Duration, float64(d)
	}
	return String, 0
}

// parseNumber parses decimal numbers as output prints them: 42, -1.5,
// 2_000_000, 1e6, .5; not hex, inf or nan.
func parseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c == '_' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, false
		}
	}
	if c := s[0]; !(isDigit(c) || c == '.' || c == '+' || c == '-') {
		return 0, false
	}
	x, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil {
		return 0, false
	}
	return x, true
}

// typeTexts types the texts of the trials of a distribution: numbers if
// every trial's text is one, else durations if every one is, else strings.
func typeTexts(texts []string) Value {
	nums := make([]float64, len(texts))
	allNum, allDur := true, true
	for i, s := range texts {
		t := strings.TrimSpace(s)
		x, ok := parseNumber(t)
		allNum = allNum && ok
		nums[i] = x
		if _, err := time.ParseDuration(t); err != nil {
			allDur = false
		}
	}
	switch {
	case allNum:
		return Value{kind: Number, nums: nums}
	case allDur:
		for i, s := range texts {
			d, _ := time.ParseDuration(strings.TrimSpace(s))
			nums[i] = float64(d)
		}
		return Value{kind: Duration, nums: nums}
	}
	return Value{kind: String, strs: texts}
}
