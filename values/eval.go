package values

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/litbook/litbook/model"
)

// EvalError is a problem found while evaluating an expression against the
// results of its runs: a file the run did not leave, a regexp without a
// match, durations compared with numbers. Off is the byte offset of the
// sub-expression at fault in Expr.Src.
type EvalError struct {
	Off int
	Msg string
}

func (e *EvalError) Error() string { return e.Msg }

// Outcome is what an expression evaluated to.
type Outcome struct {
	// Value is the value prose shows: the expression's value, or for a
	// claim its left-hand side (for a chain or between, the operand in the
	// middle), unless that is a literal and another operand is not (in
	// 0 < seek.lost, seek.lost). It is the zero Value for a chart.
	Value Value
	Claim bool
	// Holds reports whether a claim holds.
	Holds bool
	// Detail says, for a claim, what was measured and what was claimed:
	// "seek.lost was 0 in trials 3 and 7 of 20; claimed > 0 in every
	// trial" for a claim that does not hold, a summary such as "holds in
	// 20 of 20 trials (min 812,334, median 901,002, max 1,002,001)" for one
	// that does.
	Detail   string
	Chart    *Chart
	Timeline *Timeline
	// Items are the values and claims of machines(...), evaluated
	// against one machine's records.
	Items []Item
	// Runs are the runs the expression refers to, each once, in order of
	// first appearance: what the value came from, for links.
	Runs []string
}

// Item is one argument of machines(...) as one machine measured it.
type Item struct {
	Src   string // the argument as written
	Off   int    // its offset in the expression
	Value Value
	Claim bool
	Holds bool
	// Detail is a claim's detail (see Outcome); Err, when not nil, says
	// why the item could not be evaluated against these records (a run
	// this machine did not measure).
	Detail string
	Err    *EvalError
}

// Chart is the data of a chart(...): one series per argument, all of the
// same kind.
type Chart struct {
	// Kind is Number, Percent, Bytes or Duration; a chart mixing Number,
	// Percent and Bytes has Kind Number.
	Kind   ValueKind
	Series []Series
	// Title is the author's title (title="..."), or "".
	Title string
	// Axis names what the values measure, for the title of their axis:
	// the author's (axis= of chart, y= of sweep), else the accessor every
	// series reads ("time", "size", "exit status", or a reported value's
	// name such as "lost"), else what the kind says ("time", "size",
	// "share", "value"). The unit is the renderer's to add.
	Axis string
	// Sweep is set for sweep(...): each series has its place X on an x
	// axis named XAxis ("parameter" unless x= names it), and series of
	// one label form one line.
	Sweep bool
	XAxis string
}

// Series is one row of a chart: one value per trial of Run, or a single
// value (Run is then ""). In a sweep it is one point of the x axis, and
// the series of one Label (empty for those written without "as") form a
// line.
type Series struct {
	Label string
	// Values are in the chart's unit: numbers as they are, durations in
	// seconds, percentages in percent.
	Values []float64
	Run    string
	// X is the series' place on a sweep's x axis.
	X float64
}

// Timeline is the data of a timeline(RUN): the events that the commands
// of the run's first trial (the one its page shows) printed, one lane per
// command that printed any.
type Timeline struct {
	Run   string
	Lanes []Lane
	// Span is the time from the first event to the last, in seconds.
	Span float64
	// Trials is how many trials the run has; the events are the first's.
	Trials int
}

// Lane is the events of one command, in the order it printed them.
type Lane struct {
	Label  string // the command as written
	Events []Event
}

// Event is one event line: "t=DURATION label". At is in seconds from the
// earliest event of the timeline.
type Event struct {
	At    float64
	Label string
}

// Evaluate evaluates e against the results of its runs. lookup returns the
// record of a run of the chapter by name, or nil if it has none. Errors are
// *EvalError. A claim that does not hold is not an error: its Outcome says
// so.
func Evaluate(e *Expr, lookup func(run string) *model.Record) (*Outcome, error) {
	if e == nil || e.root == nil {
		return nil, &EvalError{Msg: "no expression to evaluate"}
	}
	ev := &evaluator{src: e.Src, lookup: lookup, recs: map[string]*model.Record{}}
	out := &Outcome{}
	for _, r := range e.refs {
		if !slices.Contains(out.Runs, r.Run) {
			out.Runs = append(out.Runs, r.Run)
		}
	}
	var err error
	switch n := e.root.(type) {
	case *chartNode:
		out.Chart, err = ev.chart(n)
	case *timelineNode:
		out.Timeline, err = ev.timeline(n)
	case *machinesNode:
		out.Items = ev.items(n)
	case *cmpNode:
		out.Claim = true
		out.Value, out.Holds, out.Detail, err = ev.claim(n)
	default:
		out.Value, err = ev.eval(n)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// items evaluates each argument of machines(...) on its own: one that
// cannot be evaluated against these records says why, and the others
// still are.
func (ev *evaluator) items(n *machinesNode) []Item {
	out := make([]Item, len(n.items))
	for i, x := range n.items {
		it := &out[i]
		it.Src, it.Off = ev.text(x), offOf(x)
		var err error
		if c, ok := x.(*cmpNode); ok {
			it.Claim = true
			it.Value, it.Holds, it.Detail, err = ev.claim(c)
		} else {
			it.Value, err = ev.eval(x)
		}
		if err != nil {
			var ee *EvalError
			if !errors.As(err, &ee) {
				ee = &EvalError{Off: it.Off, Msg: err.Error()}
			}
			it.Err = ee
		}
	}
	return out
}

type evaluator struct {
	src    string
	lookup func(run string) *model.Record
	recs   map[string]*model.Record
}

func (ev *evaluator) errorf(off int, format string, args ...any) error {
	return &EvalError{Off: off, Msg: fmt.Sprintf(format, args...)}
}

// text returns the source of n.
func (ev *evaluator) text(n node) string {
	off, end := n.span()
	return strings.TrimSpace(ev.src[off:end])
}

func offOf(n node) int { off, _ := n.span(); return off }

// inTrial returns " in trial N" for element i of a distribution of several
// trials, "" otherwise.
func inTrial(v Value, i int) string {
	if v.perTrial && v.Len() > 1 {
		return fmt.Sprintf(" in trial %d", i+1)
	}
	return ""
}

// at returns the index of v's element for element i of a result: scalars
// broadcast.
func at(v Value, i int) int {
	if v.Len() == 1 {
		return 0
	}
	return i
}

func (ev *evaluator) eval(n node) (Value, error) {
	switch n := n.(type) {
	case *literal:
		return n.val, nil
	case *refNode:
		return ev.ref(n)
	case *negNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return Value{}, err
		}
		if x.kind == String {
			return Value{}, ev.errorf(n.off, "cannot negate a string: %s is text%s", ev.text(n.x), sample(x))
		}
		out := x
		out.nums = make([]float64, len(x.nums))
		for i, v := range x.nums {
			out.nums[i] = -v
		}
		return out, nil
	case *binNode:
		return ev.binary(n)
	case *callNode:
		return ev.call(n)
	case *cmpNode:
		return Value{}, ev.errorf(n.off, "a comparison can only be the claim itself or the argument of count() or percent()")
	case *chartNode:
		return Value{}, ev.errorf(n.off, "chart(...) must be the whole expression")
	}
	return Value{}, ev.errorf(0, "cannot evaluate %T", n)
}

// shape is the shape of an elementwise result: n elements, one per trial
// of run (perTrial), or a single scalar.
type shape struct {
	n        int
	perTrial bool
	run      string
}

// zip checks that the values of operands can be combined elementwise: all
// scalars, or distributions of one run (with scalars broadcast). Trials of
// different runs are not paired, except single trials. off is where an
// error points; verb and op say what the operands were for, for its
// message.
func (ev *evaluator) zip(off int, op string, operands []node, vals []Value) (shape, error) {
	s := shape{n: 1}
	first := -1
	for i, v := range vals {
		if !v.perTrial {
			continue
		}
		if first < 0 {
			first = i
			s = shape{n: v.Len(), perTrial: true, run: v.run}
			continue
		}
		if v.run == s.run && v.run != "" && v.Len() == s.n {
			continue
		}
		if v.Len() == 1 && s.n == 1 {
			s.run = "" // single trials of several runs: nothing to pair
			continue
		}
		a, b := ev.text(operands[first]), ev.text(operands[i])
		verb := "compare"
		if !strings.ContainsAny(op, "<>=!") {
			verb = "combine"
		}
		return s, ev.errorf(off, "%s and %s come from different runs (their trials are not paired): %s summaries such as median(%s) %s median(%s)",
			a, b, verb, a, op, b)
	}
	return s, nil
}

// arithKind returns the kind of x op y, or an error at the operator.
func (ev *evaluator) arithKind(n *binNode, x, y Value) (ValueKind, error) {
	if x.kind == String || y.kind == String {
		verb := "divide"
		switch n.op {
		case tPlus:
			verb = "add"
		case tMinus:
			verb = "subtract"
		case tStar:
			verb = "multiply"
		}
		s, v := n.x, x
		if y.kind == String && x.kind != String {
			s, v = n.y, y
		}
		return 0, ev.errorf(n.opOff, "cannot %s text: %s is a string%s", verb, ev.text(s), sample(v))
	}
	kx, ky := x.kind, y.kind
	switch {
	case kx.numeric() && ky.numeric():
		switch n.op {
		case tPlus, tMinus:
			switch {
			case kx == ky:
				return kx, nil
			case kx == Number:
				return ky, nil
			case ky == Number:
				return kx, nil
			}
		case tStar:
			switch {
			case kx == Number:
				return ky, nil
			case ky == Number:
				return kx, nil
			}
		case tSlash:
			if ky == Number {
				return kx, nil
			}
		}
		return Number, nil
	case kx == Duration && ky == Duration:
		switch n.op {
		case tPlus, tMinus:
			return Duration, nil
		case tSlash:
			return Number, nil
		}
		return 0, ev.errorf(n.opOff, "cannot multiply two durations")
	case kx == Duration: // and a number
		if n.op == tStar || n.op == tSlash {
			return Duration, nil
		}
		what := "add a number to"
		if n.op == tMinus {
			what = "subtract a number from"
		}
		return 0, ev.errorf(n.opOff, "cannot %s a duration%s", what, durationHint(n.y))
	default: // a number and a duration
		switch n.op {
		case tStar:
			return Duration, nil
		case tSlash:
			return 0, ev.errorf(n.opOff, "cannot divide a number by a duration")
		}
		what := "add a duration to"
		if n.op == tMinus {
			what = "subtract a duration from"
		}
		return 0, ev.errorf(n.opOff, "cannot %s a number%s", what, durationHint(n.x))
	}
}

// textHint explains why the operand n, of value v, is text where a number
// or a duration was expected.
func (ev *evaluator) textHint(n node, v Value) string {
	lit, ok := n.(*literal)
	if !ok {
		return fmt.Sprintf(": %s is text%s", ev.text(n), sample(v))
	}
	if k, _ := typeText(lit.val.strs[0]); k != String {
		return fmt.Sprintf(": write %s, not %s", lit.val.strs[0], lit.text)
	}
	return fmt.Sprintf(": %s is text", lit.text)
}

// durationHint suggests writing a number literal as a duration.
func durationHint(n node) string {
	if lit, ok := n.(*literal); ok && lit.val.kind == Number {
		return fmt.Sprintf(": write %ss, not %s", lit.text, lit.text)
	}
	return ""
}

// sample shows what a string value holds, for messages about text where a
// number was expected: ` ("n/a" in trial 3)`.
func sample(v Value) string {
	if v.kind != String || len(v.strs) == 0 {
		return ""
	}
	i := 0
	for j, s := range v.strs {
		if k, _ := typeText(s); k == String {
			i = j
			break
		}
	}
	s := v.strs[i]
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf(" (%q%s)", s, inTrial(v, i))
}

func (ev *evaluator) binary(n *binNode) (Value, error) {
	x, err := ev.eval(n.x)
	if err != nil {
		return Value{}, err
	}
	y, err := ev.eval(n.y)
	if err != nil {
		return Value{}, err
	}
	kind, err := ev.arithKind(n, x, y)
	if err != nil {
		return Value{}, err
	}
	s, err := ev.zip(n.opOff, tokText[n.op], []node{n.x, n.y}, []Value{x, y})
	if err != nil {
		return Value{}, err
	}
	out := Value{kind: kind, perTrial: s.perTrial, run: s.run, nums: make([]float64, s.n)}
	for i := range out.nums {
		a, b := x.nums[at(x, i)], y.nums[at(y, i)]
		var r float64
		switch n.op {
		case tPlus:
			r = a + b
		case tMinus:
			r = a - b
		case tStar:
			r = a * b
		case tSlash:
			if b == 0 {
				if _, lit := n.y.(*literal); lit {
					return Value{}, ev.errorf(n.opOff, "division by zero")
				}
				return Value{}, ev.errorf(n.opOff, "division by zero: %s is 0%s", ev.text(n.y), inTrial(y, i))
			}
			r = a / b
		}
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return Value{}, ev.errorf(n.opOff, "%s overflows%s", ev.text(n), inTrial(out, i))
		}
		out.nums[i] = r
	}
	return out, nil
}

// compare evaluates the comparisons of c: for each trial (or for the
// scalars), whether they all hold; vals are the operands' values.
func (ev *evaluator) compare(c *cmpNode) (holds []bool, vals []Value, s shape, err error) {
	vals = make([]Value, len(c.operands))
	for i, o := range c.operands {
		if vals[i], err = ev.eval(o); err != nil {
			return nil, nil, s, err
		}
	}
	for i, op := range c.ops {
		x, y := vals[i], vals[i+1]
		switch {
		case x.kind.numeric() && y.kind.numeric(), x.kind == Duration && y.kind == Duration:
		case x.kind == String && y.kind == String:
			if op != tEq && op != tNe {
				return nil, nil, s, ev.errorf(c.opOffs[i], "cannot order strings with %s: only == and != compare text", ev.opText(c, i))
			}
		default:
			msg := fmt.Sprintf("cannot compare %s with %s", x.kind.a(), y.kind.a())
			switch {
			case x.kind == Duration:
				msg += durationHint(c.operands[i+1])
			case y.kind == Duration:
				msg += durationHint(c.operands[i])
			case x.kind == String:
				msg += ev.textHint(c.operands[i], x)
			case y.kind == String:
				msg += ev.textHint(c.operands[i+1], y)
			}
			return nil, nil, s, ev.errorf(c.opOffs[i], "%s", msg)
		}
	}
	op := tokText[c.ops[0]]
	if c.between {
		op = "<="
	}
	if s, err = ev.zip(c.opOffs[0], op, c.operands, vals); err != nil {
		return nil, nil, s, err
	}
	holds = make([]bool, s.n)
	for t := range holds {
		holds[t] = true
		for i, op := range c.ops {
			x, y := vals[i], vals[i+1]
			var d int
			if x.kind == String {
				d = strings.Compare(x.strs[at(x, t)], y.strs[at(y, t)])
			} else {
				d = cmp.Compare(x.nums[at(x, t)], y.nums[at(y, t)])
			}
			var ok bool
			switch op {
			case tEq:
				ok = d == 0
			case tNe:
				ok = d != 0
			case tLt:
				ok = d < 0
			case tLe:
				ok = d <= 0
			case tGt:
				ok = d > 0
			case tGe:
				ok = d >= 0
			}
			holds[t] = holds[t] && ok
		}
	}
	return holds, vals, s, nil
}

// opText returns the i-th operator of c as written.
func (ev *evaluator) opText(c *cmpNode, i int) string {
	if c.between {
		return "between"
	}
	return tokText[c.ops[i]]
}

// claim evaluates a claim.
func (ev *evaluator) claim(c *cmpNode) (v Value, holds bool, detail string, err error) {
	hs, vals, s, err := ev.compare(c)
	if err != nil {
		return Value{}, false, "", err
	}
	q := c.quant
	if q.explicit && !s.perTrial {
		return Value{}, false, "", ev.errorf(q.off, "%s compares single values, not the trials of a run: drop %q", ev.src[c.off:c.claimEnd], strings.TrimSpace(ev.src[q.off:c.end]))
	}
	k, n := 0, len(hs)
	for _, h := range hs {
		if h {
			k++
		}
	}
	switch q.kind {
	case qEvery:
		holds = k == n
	case qAny:
		holds = k > 0
	case qNone:
		holds = k == 0
	case qAtLeast:
		holds = float64(k)*100 >= q.pct*float64(n)
	case qAtMost:
		holds = float64(k)*100 <= q.pct*float64(n)
	}
	return vals[c.value], holds, ev.detail(c, hs, vals, s, holds), nil
}

// detail explains the outcome of a claim; see Outcome.Detail.
func (ev *evaluator) detail(c *cmpNode, hs []bool, vals []Value, s shape, holds bool) string {
	n := len(hs)
	var pass, fail []int
	for i, h := range hs {
		if h {
			pass = append(pass, i)
		} else {
			fail = append(fail, i)
		}
	}
	v := vals[c.value]
	vn := c.operands[c.value]
	if holds {
		if !s.perTrial || n == 1 {
			if _, lit := vn.(*literal); lit {
				return "holds"
			}
			return fmt.Sprintf("holds (%s was %s)", ev.text(vn), v.quoted())
		}
		if c.quant.kind == qNone {
			return fmt.Sprintf("holds in 0 of %d trials, as claimed (%s)", n, summary(v))
		}
		return fmt.Sprintf("holds in %d of %d trials (%s)", len(pass), n, summary(v))
	}
	claimed := strings.TrimSpace(ev.src[c.off:c.claimEnd])
	rest := claimed
	if off, end := vn.span(); off == c.off {
		rest = strings.TrimSpace(ev.src[end:c.claimEnd])
	}
	if !s.perTrial || n == 1 {
		m := ev.measured(c, vals, []int{0})
		if m == "" {
			return claimed + " is false"
		}
		return fmt.Sprintf("%s; claimed %s", m, rest)
	}
	switch c.quant.kind {
	case qEvery:
		return fmt.Sprintf("%s in %s; claimed %s in every trial", ev.measured(c, vals, fail), ev.trials(v, fail, n), rest)
	case qAny:
		return fmt.Sprintf("%s in all %d trials; claimed %s in at least one trial", ev.measured(c, vals, fail), n, rest)
	case qNone:
		return fmt.Sprintf("%s in %s; claimed %s in no trial", ev.measured(c, vals, pass), ev.trials(v, pass, n), rest)
	}
	share := formatPercent(100 * float64(len(pass)) / float64(n))
	bound := "at least"
	if c.quant.kind == qAtMost {
		bound = "at most"
	}
	return fmt.Sprintf("%s held in %d of %d trials (%s); claimed in %s %s of trials", claimed, len(pass), n, share, bound, formatPercent(c.quant.pct))
}

// summary describes a distribution for a holding claim: "always 0" or
// "min …, median …, max …".
func summary(v Value) string {
	if v.allEqual() {
		return "always " + v.quoted()
	}
	if v.kind == String {
		return v.quoted()
	}
	lo, hi := minMax(v.nums)
	return fmt.Sprintf("min %s, median %s, max %s", v.formatNum(lo), v.formatNum(Median(v.nums)), v.formatNum(hi))
}

// measured says what the measured operands of c were in the given trials:
// "seek.lost was 0", "a.x was 7 and a.y was 5". Literals are left out.
func (ev *evaluator) measured(c *cmpNode, vals []Value, idx []int) string {
	order := make([]int, len(c.operands))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return offOf(c.operands[a]) - offOf(c.operands[b]) })
	var parts []string
	for _, i := range order {
		if _, lit := c.operands[i].(*literal); lit {
			continue
		}
		w := vals[i]
		if w.Len() > 1 {
			w = w.only(idx)
		}
		parts = append(parts, fmt.Sprintf("%s was %s", ev.text(c.operands[i]), w.quoted()))
	}
	return strings.Join(parts, " and ")
}

// trials names the trials idx of n of the distribution v: as trialList
// does, or, when v comes from a block with fs= named as a whole, with the
// filesystem of each: "trial 1 on btrfs and trial 2 on overlay (of 10)".
func (ev *evaluator) trials(v Value, idx []int, n int) string {
	rec := ev.recs[v.run]
	if rec == nil || len(rec.Trials) != n || len(idx) == 0 || len(idx) > 8 {
		return trialList(idx, n)
	}
	var names []string
	for _, i := range idx {
		res := rec.Trials[i]
		if res == nil || res.FS == nil {
			return trialList(idx, n)
		}
		names = append(names, fmt.Sprintf("trial %d on %s", res.Trial, res.FS.Type))
	}
	first, last := rec.Trials[0].FS, rec.Trials[n-1].FS
	if first != nil && last != nil && first.Type == last.Type {
		return trialList(idx, n) // one filesystem: the numbers say it
	}
	return fmt.Sprintf("%s (of %d)", JoinAnd(names), n)
}

// trialList names trials (0-based indexes) of n: "trial 3 of 20", "trials
// 3 and 7 of 20", "trials 1, 2, 3, 4, 5, 6, 7, 8 and 4 more of 20".
func trialList(idx []int, n int) string {
	const show = 8
	var nums []string
	for i, t := range idx {
		if i == show && len(idx) > show+1 {
			nums = append(nums, fmt.Sprintf("%d more", len(idx)-show))
			break
		}
		nums = append(nums, fmt.Sprint(t+1))
	}
	word := "trials"
	if len(idx) == 1 {
		word = "trial"
	}
	return fmt.Sprintf("%s %s of %d", word, JoinAnd(nums), n)
}

// call evaluates a function call.
func (ev *evaluator) call(n *callNode) (Value, error) {
	arg := n.args[0]
	if c, ok := arg.(*cmpNode); ok { // count or percent
		hs, _, s, err := ev.compare(c)
		if err != nil {
			return Value{}, err
		}
		if !s.perTrial {
			return Value{}, ev.errorf(c.off, "%s counts trials, but %s compares single values", n.fn, ev.text(c))
		}
		k := 0
		for _, h := range hs {
			if h {
				k++
			}
		}
		if n.fn == "count" {
			return Value{kind: Number, nums: []float64{float64(k)}}, nil
		}
		return Value{kind: Percent, nums: []float64{100 * float64(k) / float64(len(hs))}}, nil
	}
	x, err := ev.eval(arg)
	if err != nil {
		return Value{}, err
	}
	kindErr := func(want string) error {
		return ev.errorf(offOf(arg), "%s needs %s, but %s is %s%s", n.fn, want, ev.text(arg), x.kind.a(), sample(x))
	}
	switch n.fn {
	case "min", "max", "median", "mean", "sum":
		if !x.kind.numeric() && x.kind != Duration {
			return Value{}, kindErr("numbers or durations")
		}
		var r float64
		switch n.fn {
		case "min":
			r, _ = minMax(x.nums)
		case "max":
			_, r = minMax(x.nums)
		case "median":
			r = Median(x.nums)
		case "mean", "sum":
			for _, v := range x.nums {
				r += v
			}
			if n.fn == "mean" {
				r /= float64(len(x.nums))
			}
		}
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return Value{}, ev.errorf(n.off, "%s overflows", ev.text(n))
		}
		return Value{kind: x.kind, nums: []float64{r}}, nil
	case "percent":
		if x.kind != Number {
			return Value{}, kindErr("a number (0.5 is 50%) or a comparison")
		}
		return x.mapNums(Percent, func(v float64) float64 { return v * 100 }), nil
	case "abs":
		if !x.kind.numeric() && x.kind != Duration {
			return Value{}, kindErr("a number or a duration")
		}
		return x.mapNums(x.kind, math.Abs), nil
	case "round":
		if !x.kind.numeric() {
			if x.kind == Duration {
				return Value{}, ev.errorf(offOf(arg), "round needs a number, but %s is a duration: durations already show 3 significant digits, and round(%s / 1ms) is a whole number of milliseconds", ev.text(arg), ev.text(arg))
			}
			return Value{}, kindErr("a number")
		}
		f := math.Pow(10, float64(n.digits))
		out := x.mapNums(x.kind, func(v float64) float64 {
			if r := math.Round(v*f) / f; !math.IsInf(r, 0) && !math.IsNaN(r) {
				return r
			}
			return v
		})
		out.decimals = max(n.digits, 0) + 1
		return out, nil
	case "bytes":
		if x.kind != Number && x.kind != Bytes {
			return Value{}, kindErr("a number of bytes")
		}
		return x.mapNums(Bytes, func(v float64) float64 { return v }), nil
	}
	return Value{}, ev.errorf(n.off, "unknown function %s", n.fn)
}

// mapNums applies f to every element, giving a value of the given kind.
func (v Value) mapNums(kind ValueKind, f func(float64) float64) Value {
	out := v
	out.kind, out.decimals = kind, 0
	out.nums = make([]float64, len(v.nums))
	for i, x := range v.nums {
		out.nums[i] = f(x)
	}
	return out
}

// maxTimelineEvents bounds a timeline: a figure of more events is not
// one a reader can follow, and a program's output could hold tens of
// thousands.
const maxTimelineEvents = 500

// timeline evaluates timeline(RUN): every line of a command's stdout
// that starts with a t=DURATION token is an event. Programs print their
// own clock (CLOCK_MONOTONIC is shared by every process of the machine),
// and the timeline starts at the earliest event, so the origin needs no
// agreement between them.
func (ev *evaluator) timeline(n *timelineNode) (*Timeline, error) {
	rec, err := ev.record(&refNode{pos: n.pos, run: n.run})
	if err != nil {
		return nil, err
	}
	tr := rec.Trials[0]
	tl := &Timeline{Run: n.run, Trials: len(rec.Trials)}
	first := math.Inf(1)
	events := 0
	for i, c := range tr.Commands {
		data := c.Stdout.Data
		if c.Stdout.Truncated() {
			// The last line kept may be cut short.
			data = data[:bytes.LastIndexByte(data, '\n')+1]
		}
		var lane Lane
		for line := range strings.Lines(string(data)) {
			line = strings.TrimRight(line, "\r\n")
			tok, label, _ := strings.Cut(line, " ")
			v, ok := strings.CutPrefix(tok, "t=")
			if !ok {
				continue
			}
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, ev.errorf(n.off, "timeline(%s): command %d printed %q: t= needs a duration, such as t=1.5ms", n.run, i+1, line)
			}
			at := d.Seconds()
			first = min(first, at)
			lane.Events = append(lane.Events, Event{At: at, Label: strings.TrimSpace(label)})
			events++
		}
		if len(lane.Events) == 0 {
			continue
		}
		if rec.Run != nil && i < len(rec.Run.Commands) {
			lane.Label = rec.Run.Commands[i].Text
		} else {
			lane.Label = fmt.Sprintf("command %d", i+1)
		}
		tl.Lanes = append(tl.Lanes, lane)
	}
	if events > maxTimelineEvents {
		return nil, ev.errorf(n.off, "timeline(%s): its commands printed %d events; a timeline draws at most %d, so print fewer t= lines", n.run, events, maxTimelineEvents)
	}
	if len(tl.Lanes) == 0 {
		return nil, ev.errorf(n.off, "timeline(%s): no command of run %s printed an event: a line that starts with t=DURATION, such as \"t=1.25ms checked: absent\"", n.run, n.run)
	}
	for i := range tl.Lanes {
		for j := range tl.Lanes[i].Events {
			e := &tl.Lanes[i].Events[j]
			e.At -= first
			tl.Span = max(tl.Span, e.At)
		}
	}
	return tl, nil
}

// chartRow is one row of a chart to draw: a series, evaluated with each
// run of a block with fs= that it names by the block's name bound to the
// run of one filesystem.
type chartRow struct {
	s     seriesNode
	label string
	bind  map[string]*model.Record // family name → the run of one filesystem
}

// rows expands the series of a chart: a series that names a block with
// fs= by its name (race.time, not race[xfs].time) draws one row per
// filesystem of the block. Blocks named in one series must list the same
// filesystems.
func (ev *evaluator) rows(n *chartNode) ([]chartRow, error) {
	var rows []chartRow
	for _, s := range n.series {
		var fams []string
		var fsList []string
		var first string
		for _, r := range refsIn(s.x) {
			rec, err := ev.record(r)
			if err != nil {
				return nil, err
			}
			if rec.Run == nil || rec.Run.Base != r.run || len(rec.Run.Family) < 2 || slices.Contains(fams, r.run) {
				continue
			}
			var list []string
			for _, v := range rec.Run.Family {
				list = append(list, v.FS)
			}
			if fsList != nil && !slices.Equal(list, fsList) {
				return nil, ev.errorf(r.off, "chart row %s draws one row per filesystem, but %s ran on %s and %s on %s: name one filesystem, as in %s[%s]", ev.text(s.x), first, JoinAnd(fsList), r.run, JoinAnd(list), r.run, list[0])
			}
			if fsList == nil {
				fsList, first = list, r.run
			}
			fams = append(fams, r.run)
		}
		if fams == nil {
			rows = append(rows, chartRow{s: s, label: s.label})
			continue
		}
		for k, fs := range fsList {
			row := chartRow{s: s, bind: map[string]*model.Record{}}
			for _, name := range fams {
				fam := ev.recs[name].Run.Family
				rec := ev.lookup(fam[k].Name)
				if rec == nil || len(rec.Trials) == 0 {
					return nil, ev.errorf(offOf(s.x), "run %s has no results", fam[k].Name)
				}
				row.bind[name] = rec
			}
			row.label = fs
			if len(n.series) > 1 || s.labelled {
				row.label = s.label + ", " + fs
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// refsIn returns the run references in the expression n, in order.
func refsIn(n node) []*refNode {
	var out []*refNode
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *refNode:
			out = append(out, n)
		case *negNode:
			walk(n.x)
		case *binNode:
			walk(n.x)
			walk(n.y)
		case *callNode:
			for _, a := range n.args {
				walk(a)
			}
		case *cmpNode:
			for _, o := range n.operands {
				walk(o)
			}
		}
	}
	walk(n)
	return out
}

// chart evaluates chart(...) and sweep(...).
func (ev *evaluator) chart(n *chartNode) (*Chart, error) {
	c := &Chart{Title: n.title, Sweep: n.sweep, XAxis: n.x}
	var first node
	rows, err := ev.rows(n)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		s := row.s
		saved := map[string]*model.Record{}
		for name, rec := range row.bind {
			saved[name] = ev.recs[name]
			ev.recs[name] = rec
		}
		v, err := ev.eval(s.x)
		for name, rec := range saved {
			ev.recs[name] = rec
		}
		if err != nil {
			return nil, err
		}
		if !v.kind.numeric() && v.kind != Duration {
			return nil, ev.errorf(offOf(s.x), "%s draws numbers and durations, but %s is %s%s", chartName(n), ev.text(s.x), v.kind.a(), sample(v))
		}
		switch {
		case first == nil:
			c.Kind, first = v.kind, s.x
		case c.Kind == v.kind:
		case c.Kind.numeric() && v.kind.numeric():
			c.Kind = Number
		default:
			return nil, ev.errorf(offOf(s.x), "%s mixes %ss and %ss: %s is %s, %s is %s; draw them in separate charts",
				chartName(n), c.Kind, v.kind, ev.text(first), c.Kind.a(), ev.text(s.x), v.kind.a())
		}
		vals := make([]float64, len(v.nums))
		for i, x := range v.nums {
			if v.kind == Duration {
				x /= 1e9
			}
			vals[i] = x
		}
		series := Series{Label: row.label, Values: vals, Run: v.run}
		if n.sweep {
			// A sweep's unlabelled arguments are one series: its points.
			if !s.labelled {
				series.Label = ""
			}
			at, err := ev.eval(s.at)
			if err != nil {
				return nil, err
			}
			if !at.kind.numeric() {
				return nil, ev.errorf(offOf(s.at), "a sweep's x is a number, such as 4 or w4.writers, but %s is %s%s", ev.text(s.at), at.kind.a(), sample(at))
			}
			if lo, hi := slices.Min(at.nums), slices.Max(at.nums); lo != hi {
				return nil, ev.errorf(offOf(s.at), "a sweep's x is one number, but %s differs between trials (%s to %s)", ev.text(s.at), Format(at.kind, lo), Format(at.kind, hi))
			}
			series.X = at.nums[0]
		}
		c.Series = append(c.Series, series)
	}
	c.Axis = n.axis
	if n.sweep {
		c.Axis = n.y
		if c.XAxis == "" {
			c.XAxis = "parameter"
		}
	}
	if c.Axis == "" {
		c.Axis = axisName(n, c.Kind)
	}
	return c, nil
}

// chartName is how messages name the function of n.
func chartName(n *chartNode) string {
	if n.sweep {
		return "sweep"
	}
	return "chart"
}

// axisName names what the series of n measure: the accessor they all
// read, else what their kind is.
func axisName(n *chartNode, kind ValueKind) string {
	name := ""
	for i, s := range n.series {
		r, ok := s.x.(*refNode)
		acc := ""
		if ok {
			switch r.acc {
			case "time":
				acc = "time"
			case "size":
				acc = "size"
			case "exit":
				acc = "exit status"
			case "trials":
				acc = "trials"
			case "value":
				acc = r.arg
			case "stdout", "stderr", "line", "match":
			default:
				acc = r.acc
			}
		}
		if acc == "" || i > 0 && acc != name {
			name = ""
			break
		}
		name = acc
	}
	if name != "" {
		return name
	}
	switch kind {
	case Duration:
		return "time"
	case Bytes:
		return "size"
	case Percent:
		return "share"
	}
	return "value"
}
