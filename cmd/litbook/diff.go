package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/litbook/litbook/claims"
	"github.com/litbook/litbook/internal/inert"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/pipeline"
	"github.com/litbook/litbook/store"
	"github.com/litbook/litbook/values"
)

var cmdDiff = &command{
	Name:      "diff",
	UsageLine: "diff [book] [machine-a [machine-b]]",
	Short:     "compare two machines' results, run by run",
	Long: `
Diff compares the results two machines stored for the book, run by run: the
runs' trials and times, then every value and claim of the prose evaluated
against each machine's results side by side. It runs nothing.

Its header names what differs between the machines: the attributes of the
fingerprint (CPU model, filesystem, kernel version, shells...), then the
exact kernel build and the load average when the runs started, which
explain timings. A value is "changed" only when the trials say so: exact
values (every trial of a side agrees) that differ, or trial distributions
that a two-sided Mann-Whitney U test tells apart at p < 0.05, which needs
4 trials a side; a noisy value with fewer trials is reported as too few to
tell. Claims that hold on one machine and fail on the other are listed
with their lines.

A machine is named by its directory under results/ or any part of it that
is unique (arm64, 8cpu, tmpfs). With one machine, the other is this one;
with none, this machine and the only other one. Results measured from
earlier sources than the book's are compared too, marked (earlier sources).

The book is the current directory, or the first argument when that is a
book's directory (one with a book.toml), as for every other command; -C dir
names it too, as it did before.`,
	Flags: func(fs *flag.FlagSet) *options {
		o := &options{jobs: 1}
		fs.StringVar(&o.book, "C", "", "the book's `dir`ectory (deprecated: name the book first, as for other commands)")
		return o
	},
	MaxArgs:   3, // the book and two machines
	BookFirst: true,
	Run: func(ctx context.Context, e *env, o *options, bookDir string) error {
		b, err := loader.LoadContext(ctx, bookDir)
		if err != nil {
			return err
		}
		ix, err := store.Load(b.Root)
		if err != nil {
			return err
		}
		for _, prob := range ix.Problems {
			fmt.Fprintf(e.stderr, "litbook: %s\n", prob)
		}
		// The fingerprint needs no Go version: diff needs no toolchain.
		here, err := (&pipeline.Builder{}).Machine(ctx, b)
		if err != nil {
			return err
		}
		a, bm, err := pickMachines(ix.Machines(), o.args, here)
		if err != nil {
			return err
		}
		writeDiff(e.stdout, b, ix, a, bm)
		return nil
	},
}

// pickMachines chooses the two machines to compare.
func pickMachines(ms []store.MachineInfo, args []string, here model.Machine) (a, b store.MachineInfo, err error) {
	var dirs []string
	for _, m := range ms {
		dirs = append(dirs, m.Dir)
	}
	available := "machines with results: " + strings.Join(dirs, ", ")
	if len(ms) == 0 {
		available = "no results are stored yet"
	}
	find := func(name string) (store.MachineInfo, error) {
		var found []store.MachineInfo
		for _, m := range ms {
			if m.Dir == name {
				return m, nil
			}
			if strings.Contains(m.Dir, name) {
				found = append(found, m)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			return store.MachineInfo{}, &usageError{fmt.Sprintf("no machine matches %q (%s)", name, available)}
		}
		var names []string
		for _, m := range found {
			names = append(names, m.Dir)
		}
		return store.MachineInfo{}, &usageError{fmt.Sprintf("%q matches several machines: %s", name, strings.Join(names, ", "))}
	}
	thisOne := func() (store.MachineInfo, bool) {
		for _, m := range ms {
			if store.SameMachine(m.Machine, here) {
				return m, true
			}
		}
		return store.MachineInfo{}, false
	}
	switch len(args) {
	case 2:
		if a, err = find(args[0]); err != nil {
			return
		}
		b, err = find(args[1])
	case 1:
		var ok bool
		if a, ok = thisOne(); !ok {
			return a, b, &usageError{fmt.Sprintf("this machine has no results to compare with: name two machines (%s)", available)}
		}
		b, err = find(args[0])
	default:
		var ok bool
		if a, ok = thisOne(); !ok || len(ms) != 2 {
			return a, b, &usageError{fmt.Sprintf("name the machines to compare (%s)", available)}
		}
		b = ms[0]
		if b.Dir == a.Dir {
			b = ms[1]
		}
	}
	if err == nil && a.Dir == b.Dir {
		err = &usageError{fmt.Sprintf("%s is compared with itself: name two machines (%s)", a.Dir, available)}
	}
	return
}

// side is one machine's records for the book's runs.
type side struct {
	info    store.MachineInfo
	records []*model.Record // parallel to the book's runs; nil: none stored
	stale   []bool          // measured from earlier sources
}

func newSide(b *loader.Parsed, ix *store.Index, m store.MachineInfo) *side {
	records, stale := claims.MachineRecords(b, ix, m)
	return &side{info: m, records: records, stale: stale}
}

// writeDiff prints the comparison of machines a and b as tables.
func writeDiff(w io.Writer, bk *loader.Parsed, ix *store.Index, a, b store.MachineInfo) {
	sa, sb := newSide(bk, ix, a), newSide(bk, ix, b)
	fmt.Fprintf(w, "A  %s  %s\nB  %s  %s\n", a.Dir, describe(a), b.Dir, describe(b))
	if d := differences(a.Machine, b.Machine); len(d) > 0 {
		fmt.Fprintf(w, "They differ in: %s.\n", strings.Join(d, "; "))
	}
	changed, split := 0, 0
	var untested, splitAt []string
	for ci, ch := range bk.Chapters {
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		fmt.Fprintf(w, "\n%s\n", ch.Path)
		fmt.Fprintf(tw, "\tline\twhat\tA\tB\t\n")
		for i, run := range bk.Runs {
			if run.Chapter != ch {
				continue
			}
			fmt.Fprintf(tw, "\t%d\trun %s\t%s\t%s\t\n", run.Pos.Line, run.Name, runSummary(sa, i), runSummary(sb, i))
		}
		for _, x := range bk.Exprs {
			if x.Chapter != bk.Chapters[ci] || x.Expr.IsChart() {
				continue
			}
			va, outa := evalSide(bk, x, sa)
			vb, outb := evalSide(bk, x, sb)
			oka, okb := outa != nil, outb != nil
			mark := ""
			switch {
			case !oka && !okb:
				mark = "measured on neither"
			case !okb:
				mark = "measured on A only"
			case !oka:
				mark = "measured on B only"
			case x.Expr.IsClaim() && outa.Holds != outb.Holds:
				mark = "claim holds on one machine only"
				split++
				splitAt = append(splitAt, x.Pos.String())
			case va == vb:
			default:
				c := values.Compare(outa.Value, outb.Value)
				switch c.Verdict {
				case values.Changed:
					mark = "changed (" + c.Why + ")"
					changed++
				case values.Untested:
					mark = "differs, too few trials to tell from noise"
					untested = append(untested, x.Pos.String())
				default:
					mark = "same within noise (" + c.Why + ")"
				}
			}
			// Values may be text that programs printed: make it inert,
			// and keep the table's tabs and lines its own.
			flat := func(s string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(inert.String(s)) }
			fmt.Fprintf(tw, "\t%d\t=%s\t%s\t%s\t%s\n", x.Pos.Line, flat(x.Expr.Src), flat(va), flat(vb), mark)
		}
		tw.Flush()
	}
	holds := "s hold"
	if split == 1 {
		holds = " holds"
	}
	fmt.Fprintf(w, "\n%d value%s changed; %d claim%s on one machine only\n", changed, plural(changed), split, holds)
	if len(splitAt) > 0 {
		fmt.Fprintf(w, "The prose states what one machine refutes at %s: say where it holds, or measure why.\n", strings.Join(splitAt, ", "))
	}
	if len(untested) > 0 {
		fmt.Fprintf(w, "%d value%s differ%s but have fewer than %d trials on a side, too few to tell a change from noise (%s): give their runs trials=%d or more.\n",
			len(untested), plural(len(untested)), map[bool]string{true: "s", false: ""}[len(untested) == 1], values.MinTrials, strings.Join(untested, ", "), values.MinTrials)
	}
	fmt.Fprintf(w, "A value changed when each side's trials agree on different values, or a two-sided Mann–Whitney U test of the trials gives p < %.2f.\n", values.Alpha)
}

// differences names the attributes in which machines a and b differ, the
// keyed ones first, then what is only recorded (the exact kernel build and
// the load when the runs started), which explains timings.
func differences(a, b model.Machine) []string {
	var out []string
	add := func(name, x, y string) {
		if x != y {
			out = append(out, fmt.Sprintf("%s (%s / %s)", name, orNone(x), orNone(y)))
		}
	}
	add("OS", a.OS, b.OS)
	add("architecture", a.Arch, b.Arch)
	add("CPU model", a.CPUModel, b.CPUModel)
	add("CPUs", fmt.Sprint(a.CPUs), fmt.Sprint(b.CPUs))
	add("filesystem", a.FS, b.FS)
	add("kernel version", model.KernelVersion(a.Kernel), model.KernelVersion(b.Kernel))
	add("shells", a.Shells, b.Shells)
	isolated := func(m model.Machine) string {
		if m.Unisolated {
			return "not isolated"
		}
		return "isolated"
	}
	add("runs", isolated(a), isolated(b))
	add("Go", a.GoVersion, b.GoVersion)
	if model.KernelVersion(a.Kernel) == model.KernelVersion(b.Kernel) {
		add("kernel build", a.Kernel, b.Kernel)
	}
	if a.Load != b.Load && (a.Load != 0 || b.Load != 0) {
		out = append(out, fmt.Sprintf("load when measured (%.2f / %.2f)", a.Load, b.Load))
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func describe(m store.MachineInfo) string {
	return fmt.Sprintf("(%s, %d CPUs, %s; %s; last %s)", strings.TrimSpace(m.Machine.OS+" "+m.Machine.Kernel+" "+m.Machine.Arch), m.Machine.CPUs, m.Machine.FS,
		strings.Join(m.GoVersions, ", "), m.Last.UTC().Format("2006-01-02 15:04 UTC"))
}

func runSummary(s *side, i int) string {
	rec := s.records[i]
	if rec == nil {
		return "not measured"
	}
	var total time.Duration
	for _, t := range rec.Trials {
		total += t.Duration
	}
	out := fmt.Sprintf("%d trial%s, %s each", len(rec.Trials), plural(len(rec.Trials)), (total / time.Duration(len(rec.Trials))).Round(10*time.Millisecond))
	if s.stale[i] {
		out += " (earlier sources)"
	}
	return out
}

// evalSide evaluates x against one machine's records: the text to show,
// and the outcome, nil if it could not be evaluated.
func evalSide(b *loader.Parsed, x *loader.Expr, s *side) (text string, out *values.Outcome) {
	out, err := claims.Evaluate(b, x, s.records)
	if err != nil {
		return "—", nil
	}
	// One line per value, so that the table holds.
	text = strings.NewReplacer("\n", "⏎", "\t", " ", "\r", "").Replace(out.Value.String())
	if out.Claim {
		if out.Holds {
			text += " ✓"
		} else {
			text += " ✗ FAILS"
		}
	}
	return text, out
}
