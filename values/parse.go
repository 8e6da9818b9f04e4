package values

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
)

// SyntaxError is a problem in the text of an expression, found by Parse.
// Off is a byte offset into the parsed text (len of the text for a problem
// at its end); the caller turns it into a position in the chapter.
type SyntaxError struct {
	Off int
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

// Expr is a parsed expression.
type Expr struct {
	Src  string // the text that was parsed
	root node
	refs []Ref
}

// Ref is a reference to a run in an expression: the run's name and the
// byte offset of the name.
type Ref struct {
	Run string
	Off int
}

// Refs returns every run reference of e in source order, so that the
// loader can check that the runs exist in the chapter.
func (e *Expr) Refs() []Ref { return append([]Ref(nil), e.refs...) }

// IsClaim reports whether e is a claim: a comparison, with or without a
// quantifier.
func (e *Expr) IsClaim() bool { _, ok := e.root.(*cmpNode); return ok }

// IsChart reports whether e is a figure: chart(...), sweep(...),
// timeline(...) or machines(...).
func (e *Expr) IsChart() bool {
	switch e.root.(type) {
	case *chartNode, *timelineNode, *machinesNode:
		return true
	}
	return false
}

// Function returns the name of the figure e draws: "chart", "sweep" or
// "timeline"; "" if e is not a figure.
func (e *Expr) Function() string {
	switch n := e.root.(type) {
	case *chartNode:
		if n.sweep {
			return "sweep"
		}
		return "chart"
	case *timelineNode:
		return "timeline"
	case *machinesNode:
		return "machines"
	}
	return ""
}

// node is a node of the syntax tree; span returns its byte offsets in the
// source.
type node interface{ span() (off, end int) }

type pos struct{ off, end int }

func (p pos) span() (int, int) { return p.off, p.end }

// literal is a number, duration, percentage or string as written.
type literal struct {
	pos
	val  Value
	text string
}

// refNode is RUN.ACCESSOR or RUN.cmd(N).ACCESSOR.
type refNode struct {
	pos
	run    string
	cmd    int // 1-based; 0 for the whole run
	cmdOff int // the offset of cmd's argument
	acc    string
	accOff int
	// The accessor's argument: size's path and value's name (arg), line's
	// number (line), match's regexp (re); argOff is its offset.
	arg    string
	line   int
	re     *regexp.Regexp
	argOff int
}

// name returns how the reference is written, for messages: "seek",
// "cmd(2) of seek".
func (r *refNode) name() string {
	if r.cmd > 0 {
		return fmt.Sprintf("cmd(%d) of %s", r.cmd, r.run)
	}
	return r.run
}

type negNode struct {
	pos
	x node
}

type binNode struct {
	pos
	op    tokKind
	opOff int
	x, y  node
}

type callNode struct {
	pos
	fn     string
	args   []node
	digits int // round's second argument, 0 if absent
}

// cmpNode is a comparison, a chain of two (0 <= x <= 10) or between,
// which is stored as the chain it means: x between a and b is
// a <= x <= b. value is the index of the operand prose shows.
type cmpNode struct {
	pos
	operands []node
	ops      []tokKind
	opOffs   []int
	value    int
	between  bool
	quant    quantifier
	claimEnd int // the end of the comparison, before any quantifier
}

type quantKind int

const (
	qEvery quantKind = iota // also the default
	qAny
	qNone
	qAtLeast
	qAtMost
)

type quantifier struct {
	kind     quantKind
	pct      float64 // qAtLeast, qAtMost
	explicit bool
	off      int
}

type chartNode struct {
	pos
	series []seriesNode
	// sweep is set for sweep(...): each series is drawn at a point of
	// the x axis (at X).
	sweep bool
	// Options written as name="text": title, axis (chart) or x and y
	// (sweep).
	title, axis, x, y string
}

// machinesNode is machines(X, Y, ...): values and claims shown for every
// machine that measured them.
type machinesNode struct {
	pos
	items []node
}

// timelineNode is timeline(RUN).
type timelineNode struct {
	pos
	run string
}

type seriesNode struct {
	x        node
	at       node   // sweep: the series' place on the x axis
	label    string // as written after "as", or the argument's source
	labelled bool   // written with "as"
}

// optionNode is an option of chart or sweep: name="text".
type optionNode struct {
	pos
	name, value string
}

// parser is a recursive descent parser with one token of lookahead.
type parser struct {
	lx      lexer
	tok     token
	lastEnd int // the end of the token before tok
	refs    []Ref
	depth   int // of unary(), which nesting goes through
	ops     int // arithmetic operators so far
}

// Parse parses an expression: the text of a code span after its "=".
// Errors are *SyntaxError.
func Parse(s string) (*Expr, error) {
	p := &parser{lx: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, p.errorf(0, "empty expression")
	}
	var root node
	var err error
	switch {
	case p.isWord("chart"), p.isWord("sweep"):
		root, err = p.chart()
	case p.isWord("timeline"):
		root, err = p.timeline()
	case p.isWord("machines"):
		root, err = p.machines()
	default:
		root, err = p.cond(true)
	}
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("an operator or the end of the expression")
	}
	return &Expr{Src: s, root: root, refs: p.refs}, nil
}

func (p *parser) errorf(off int, format string, args ...any) error {
	return &SyntaxError{Off: off, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) advance() error {
	p.lastEnd = p.tok.end
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// isWord reports whether the current token is the name w.
func (p *parser) isWord(w string) bool { return p.tok.kind == tIdent && p.tok.text == w }

// expectWord consumes the name w (or, if alt is given, either form), or
// reports what is missing after what came before.
func (p *parser) expectWord(after string, w string, alt ...string) error {
	if p.isWord(w) || len(alt) > 0 && p.isWord(alt[0]) {
		return p.advance()
	}
	if p.tok.kind == tEOF {
		return p.errorf(p.tok.off, "expected %q after %q", w, after)
	}
	return p.errorf(p.tok.off, "expected %q after %q, found %s", w, after, p.tok.describe())
}

// unexpected reports the current token where want was expected, with a
// hint for the mistakes authors make.
func (p *parser) unexpected(want string) error {
	t := p.tok
	switch {
	case t.kind == tEOF:
		return p.errorf(t.off, "unexpected end of expression: expected %s", want)
	case t.kind == tIdent && t.text == "at":
		return p.errorf(t.off, "at places a series of sweep(...) on its x axis: it can only follow an argument of sweep")
	case t.kind == tIdent && t.text == "as":
		return p.errorf(t.off, "as labels a series of chart(...): it can only follow an argument of chart")
	case t.kind == tIdent && t.text == "in":
		return p.errorf(t.off, "a quantifier such as \"in every trial\" can only end a claim")
	case t.kind.isCmp() || t.kind == tIdent && t.text == "between":
		return p.errorf(t.off, "a comparison can only be the claim itself or the argument of count() or percent()")
	case t.kind == tRParen:
		return p.errorf(t.off, "unexpected ): there is no ( to close")
	}
	return p.errorf(t.off, "unexpected %s: expected %s", t.describe(), want)
}

// cond parses a comparison or a plain value; top is set at the top level,
// where a quantifier may end a comparison.
func (p *parser) cond(top bool) (node, error) {
	start := p.tok.off
	x, err := p.arith()
	if err != nil {
		return nil, err
	}
	var c *cmpNode
	switch {
	case p.tok.kind.isCmp():
		c = &cmpNode{operands: []node{x}}
		for p.tok.kind.isCmp() {
			if len(c.ops) == 2 {
				return nil, p.errorf(p.tok.off, "at most two comparisons can be chained, as in 0 <= x <= 10")
			}
			c.ops = append(c.ops, p.tok.kind)
			c.opOffs = append(c.opOffs, p.tok.off)
			if err := p.advance(); err != nil {
				return nil, err
			}
			y, err := p.arith()
			if err != nil {
				return nil, err
			}
			c.operands = append(c.operands, y)
		}
		if len(c.ops) == 2 {
			c.value = 1
		}
	case p.isWord("between"):
		opOff := p.tok.off
		if err := p.advance(); err != nil {
			return nil, err
		}
		lo, err := p.arith()
		if err != nil {
			return nil, err
		}
		if err := p.expectWord("between", "and"); err != nil {
			return nil, err
		}
		hi, err := p.arith()
		if err != nil {
			return nil, err
		}
		c = &cmpNode{
			operands: []node{lo, x, hi},
			ops:      []tokKind{tLe, tLe},
			opOffs:   []int{opOff, opOff},
			value:    1,
			between:  true,
		}
	}
	if c == nil {
		if top && p.isWord("in") {
			return nil, p.errorf(p.tok.off, "a quantifier needs a comparison before it, as in x > 0 in every trial")
		}
		return x, nil
	}
	c.off, c.claimEnd = start, p.lastEnd
	if _, lit := c.operands[c.value].(*literal); lit {
		// Prose shows what was measured: in 0 < seek.lost, seek.lost.
		for i, o := range c.operands {
			if _, lit := o.(*literal); !lit {
				c.value = i
				break
			}
		}
	}
	if p.tok.kind.isCmp() || p.isWord("between") {
		return nil, p.errorf(p.tok.off, "at most two comparisons can be chained, as in 0 <= x <= 10")
	}
	if p.isWord("in") {
		if !top {
			return nil, p.errorf(p.tok.off, "a quantifier applies to a whole claim: it cannot be inside count() or percent()")
		}
		if c.quant, err = p.quantifier(); err != nil {
			return nil, err
		}
	}
	c.end = p.lastEnd
	return c, nil
}

// quantifier parses what follows "in" at the end of a claim.
func (p *parser) quantifier() (quantifier, error) {
	q := quantifier{explicit: true, off: p.tok.off}
	if err := p.advance(); err != nil {
		return q, err
	}
	word := p.tok.text
	if p.tok.kind != tIdent {
		word = ""
	}
	switch word {
	case "every", "any", "no":
		if err := p.advance(); err != nil {
			return q, err
		}
		switch word {
		case "any":
			q.kind = qAny
		case "no":
			q.kind = qNone
		}
		return q, p.expectWord("in "+word, "trial", "trials")
	case "all":
		if err := p.advance(); err != nil {
			return q, err
		}
		return q, p.expectWord("in all", "trials", "trial")
	case "at":
		if err := p.advance(); err != nil {
			return q, err
		}
		switch {
		case p.isWord("least"):
			q.kind = qAtLeast
		case p.isWord("most"):
			q.kind = qAtMost
		default:
			return q, p.expectWord("in at", "least")
		}
		after := "in at " + p.tok.text
		if err := p.advance(); err != nil {
			return q, err
		}
		if q.kind == qAtLeast && p.isWord("one") {
			q.kind = qAny
			if err := p.advance(); err != nil {
				return q, err
			}
			return q, p.expectWord("in at least one", "trial", "trials")
		}
		switch p.tok.kind {
		case tPercent:
		case tNumber:
			return q, p.errorf(p.tok.off, "expected a percentage after %q: write %s%%", after, p.tok.text)
		case tEOF:
			return q, p.errorf(p.tok.off, "expected a percentage after %q, such as 90%%", after)
		default:
			return q, p.errorf(p.tok.off, "expected a percentage after %q, such as 90%%, found %s", after, p.tok.describe())
		}
		if p.tok.num > 100 {
			return q, p.errorf(p.tok.off, "%s of trials is more than all of them: a share of trials is at most 100%%", p.tok.text)
		}
		q.pct = p.tok.num
		pct := p.tok.text
		if err := p.advance(); err != nil {
			return q, err
		}
		if err := p.expectWord(after+" "+pct, "of"); err != nil {
			return q, err
		}
		return q, p.expectWord(after+" "+pct+" of", "trials", "trial")
	}
	if p.tok.kind == tEOF {
		return q, p.errorf(p.tok.off, "expected a quantifier after \"in\": in every trial, in any trial, in no trial, in at least 90%% of trials or in at most 10%% of trials")
	}
	return q, p.errorf(p.tok.off, "unknown quantifier \"in %s\": write in every trial, in any trial, in no trial, in at least 90%% of trials or in at most 10%% of trials", p.tok.text)
}

// arith parses sums.
func (p *parser) arith() (node, error) {
	x, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tPlus || p.tok.kind == tMinus {
		op := p.tok
		if err := p.operator(); err != nil {
			return nil, err
		}
		y, err := p.term()
		if err != nil {
			return nil, err
		}
		off, _ := x.span()
		x = &binNode{pos: pos{off, p.lastEnd}, op: op.kind, opOff: op.off, x: x, y: y}
	}
	return x, nil
}

// term parses products.
func (p *parser) term() (node, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tStar || p.tok.kind == tSlash {
		op := p.tok
		if err := p.operator(); err != nil {
			return nil, err
		}
		y, err := p.unary()
		if err != nil {
			return nil, err
		}
		off, _ := x.span()
		x = &binNode{pos: pos{off, p.lastEnd}, op: op.kind, opOff: op.off, x: x, y: y}
	}
	return x, nil
}

// maxDepth bounds the nesting of parentheses, calls and signs, and
// maxOps the number of arithmetic operators (each of which deepens the
// tree), so that no input can exhaust the stack.
const (
	maxDepth = 200
	maxOps   = 1000
)

// operator consumes an arithmetic operator.
func (p *parser) operator() error {
	if p.ops++; p.ops > maxOps {
		return p.errorf(p.tok.off, "expression too long: more than %d operators", maxOps)
	}
	return p.advance()
}

func (p *parser) unary() (node, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, p.errorf(p.tok.off, "expression nested too deeply")
	}
	defer func() { p.depth-- }()
	if p.tok.kind != tMinus {
		return p.primary()
	}
	off := p.tok.off
	if err := p.advance(); err != nil {
		return nil, err
	}
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	return &negNode{pos: pos{off, p.lastEnd}, x: x}, nil
}

func (p *parser) primary() (node, error) {
	t := p.tok
	switch t.kind {
	case tNumber, tDuration, tPercent, tString:
		lit := &literal{pos: pos{t.off, t.end}, text: t.text}
		switch t.kind {
		case tNumber:
			lit.val = Value{kind: Number, nums: []float64{t.num}}
		case tDuration:
			lit.val = Value{kind: Duration, nums: []float64{t.num}}
		case tPercent:
			lit.val = Value{kind: Percent, nums: []float64{t.num}}
		case tString:
			lit.val = Value{kind: String, strs: []string{t.str}}
		}
		return lit, p.advance()
	case tLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.arith()
		if err != nil {
			return nil, err
		}
		if p.tok.kind == tEOF {
			return nil, p.errorf(t.off, "unclosed (: missing )")
		}
		if p.tok.kind != tRParen {
			return nil, p.unexpected(")")
		}
		return x, p.advance()
	case tRun:
		return p.ref()
	case tIdent:
		if t.text == "chart" || t.text == "sweep" || t.text == "timeline" || t.text == "machines" {
			return nil, p.errorf(t.off, "%s(...) must be the whole expression", t.text)
		}
		if _, _, ok := arity(t.text); ok {
			return p.call()
		}
		switch t.text {
		case "in", "as", "between":
			return nil, p.unexpected("a value")
		}
		if strings.HasPrefix(strings.TrimLeft(p.lx.src[p.lx.pos:], " \t"), "(") {
			return nil, p.errorf(t.off, "unknown function %s: the functions are min, max, median, mean, sum, count, percent, abs, round and bytes", t.text)
		}
		return nil, p.errorf(t.off, "unexpected name %s: a run's value is written RUN.ACCESSOR, as in %s.exit", t.text, t.text)
	case tEOF:
		return nil, p.errorf(t.off, "unexpected end of expression: expected a value")
	}
	return nil, p.unexpected("a value")
}

// arity returns how many arguments a function takes, and whether it is
// one.
func arity(name string) (lo, hi int, ok bool) {
	switch name {
	case "min", "max", "median", "mean", "sum", "count", "percent", "abs", "bytes":
		return 1, 1, true
	case "round":
		return 1, 2, true
	}
	return 0, 0, false
}

// call parses a function call; the current token is its name.
func (p *parser) call() (node, error) {
	name := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tLParen {
		return nil, p.errorf(name.off, "%s is a function: write %s(...)", name.text, name.text)
	}
	args, err := p.args(func() (node, error) {
		if name.text == "count" || name.text == "percent" {
			return p.cond(false)
		}
		return p.arith()
	}, nil)
	if err != nil {
		return nil, err
	}
	c := &callNode{pos: pos{name.off, p.lastEnd}, fn: name.text, args: args}
	lo, hi, _ := arity(c.fn)
	if len(args) < lo || len(args) > hi {
		want := "1 argument"
		if hi > 1 {
			want = fmt.Sprintf("%d or %d arguments", lo, hi)
		}
		return nil, p.errorf(name.off, "%s takes %s, not %d", c.fn, want, len(args))
	}
	switch c.fn {
	case "count":
		if _, ok := args[0].(*cmpNode); !ok {
			off, _ := args[0].span()
			return nil, p.errorf(off, "count counts the trials where a comparison holds, as in count(R.lost > 0)")
		}
	case "round":
		if len(args) == 2 {
			n, ok := intLiteral(args[1])
			if !ok {
				off, _ := args[1].span()
				return nil, p.errorf(off, "round's second argument is a whole number of decimals, as in round(x, 2)")
			}
			if n < -15 || n > 15 {
				off, _ := args[1].span()
				return nil, p.errorf(off, "round takes -15 to 15 decimals, not %d", n)
			}
			c.digits = n
		}
	}
	return c, nil
}

// intLiteral returns the value of an integer literal, possibly negated.
func intLiteral(n node) (int, bool) {
	sign := 1
	if neg, ok := n.(*negNode); ok {
		sign, n = -1, neg.x
	}
	lit, ok := n.(*literal)
	if !ok || lit.val.kind != Number {
		return 0, false
	}
	x := lit.val.nums[0]
	if x != math.Trunc(x) || x > 1e9 {
		return 0, false
	}
	return sign * int(x), true
}

// args parses "(" arg {"," arg} ")"; the current token is "(". label, if
// not nil, is called after each argument (for chart's "as").
func (p *parser) args(arg func() (node, error), label func(i int) error) ([]node, error) {
	open := p.tok.off
	if err := p.advance(); err != nil {
		return nil, err
	}
	var args []node
	if p.tok.kind == tRParen {
		return nil, p.advance()
	}
	for {
		a, err := arg()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if label != nil {
			if err := label(len(args) - 1); err != nil {
				return nil, err
			}
		}
		switch p.tok.kind {
		case tComma:
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		case tRParen:
			return args, p.advance()
		case tEOF:
			return nil, p.errorf(open, "unclosed (: missing )")
		}
		return nil, p.unexpected(", or )")
	}
}

// chart parses chart(...) or sweep(...); the current token is the name.
// A sweep's arguments are each followed by "at X"; either takes options,
// name="text", after its series.
func (p *parser) chart() (node, error) {
	name := p.tok
	fn := name.text
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tLParen {
		if fn == "sweep" {
			return nil, p.errorf(name.off, "sweep is a function: write sweep(R.x at 1, S.x at 2, ...)")
		}
		return nil, p.errorf(name.off, "chart is a function: write chart(...)")
	}
	c := &chartNode{sweep: fn == "sweep"}
	known := map[string]*string{"title": &c.title, "axis": &c.axis}
	if c.sweep {
		known = map[string]*string{"title": &c.title, "x": &c.x, "y": &c.y}
	}
	var opts []*optionNode
	var last node // the argument just parsed
	arg := func() (node, error) {
		if o, err := p.option(fn, known); o != nil || err != nil {
			if o != nil {
				opts = append(opts, o)
				last = o
			}
			return o, err
		}
		if len(opts) > 0 {
			return nil, p.errorf(p.tok.off, "%s's options (name=\"text\") come after its series", fn)
		}
		x, err := p.arith()
		last = x
		return x, err
	}
	args, err := p.args(arg, func(i int) error {
		c.series = append(c.series, seriesNode{})
		if _, isOpt := last.(*optionNode); isOpt {
			return nil
		}
		if c.sweep {
			if !p.isWord("at") {
				off, end := last.span()
				return p.errorf(p.tok.off, "sweep draws each series at a point of its x axis: write %s at X, such as w4.lost at 4", p.lx.src[off:end])
			}
			if err := p.advance(); err != nil {
				return err
			}
			at, err := p.arith()
			if err != nil {
				return err
			}
			c.series[i].at = at
		}
		if !p.isWord("as") {
			return nil
		}
		if err := p.advance(); err != nil {
			return err
		}
		if p.tok.kind != tString {
			if p.tok.kind == tEOF {
				return p.errorf(p.tok.off, "expected a label after \"as\": a string, such as \"append\"")
			}
			return p.errorf(p.tok.off, "expected a label after \"as\": a string, such as \"append\", not %s", p.tok.describe())
		}
		c.series[i].label, c.series[i].labelled = p.tok.str, true
		return p.advance()
	})
	if err != nil {
		return nil, err
	}
	var series []seriesNode
	for i, a := range args {
		if _, isOpt := a.(*optionNode); isOpt {
			continue
		}
		s := c.series[i]
		s.x = a
		if !s.labelled {
			off, end := a.span()
			s.label = p.lx.src[off:end]
		}
		series = append(series, s)
	}
	c.series = series
	if len(series) == 0 {
		if c.sweep {
			return nil, p.errorf(name.off, "sweep needs at least one series, as in sweep(w1.lost at 1, w2.lost at 2)")
		}
		return nil, p.errorf(name.off, "chart needs at least one series, as in chart(R.time)")
	}
	c.pos = pos{name.off, p.lastEnd}
	return c, nil
}

// option parses name="text" if the current token starts one, and sets
// *known[name]; it returns nil and no error if the token does not.
func (p *parser) option(fn string, known map[string]*string) (*optionNode, error) {
	if p.tok.kind != tIdent {
		return nil, nil
	}
	src := p.lx.src
	i := p.tok.end
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	if i >= len(src) || src[i] != '=' || i+1 < len(src) && src[i+1] == '=' {
		return nil, nil
	}
	name := p.tok
	dst, ok := known[name.text]
	if !ok {
		var names []string
		for k := range known {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, p.errorf(name.off, "%s has no option %q (its options: %s)", fn, name.text, strings.Join(names, ", "))
	}
	// Skip the "=", which the lexer does not read as a token.
	p.lx.pos, p.lx.prev = i+1, tComma
	p.tok = token{kind: tComma, off: i, end: i + 1}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tString {
		return nil, p.errorf(p.tok.off, "%s= takes a string, such as %s=\"...\"", name.text, name.text)
	}
	*dst = p.tok.str
	o := &optionNode{pos: pos{name.off, p.tok.end}, name: name.text, value: p.tok.str}
	return o, p.advance()
}

// machines parses machines(X, Y, ...); the current token is "machines".
// Each argument is a value or a claim.
func (p *parser) machines() (node, error) {
	name := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tLParen {
		return nil, p.errorf(name.off, "machines is a function: write machines(VALUE, CLAIM, ...)")
	}
	n := &machinesNode{}
	for {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tRParen && len(n.items) == 0 {
			return nil, p.errorf(p.tok.off, "machines needs at least one value or claim, as in machines(race.lost == 0 in every trial)")
		}
		x, err := p.cond(true)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, x)
		switch p.tok.kind {
		case tComma:
			continue
		case tRParen:
			n.pos = pos{name.off, p.tok.end}
			return n, p.advance()
		case tEOF:
			return nil, p.errorf(name.off, "unclosed (: missing )")
		}
		return nil, p.unexpected(", or )")
	}
}

// timeline parses timeline(RUN); the current token is "timeline". The
// argument is read as written rather than as tokens, because a run name
// may hold '-' (run-2), which the lexer reads as a minus sign.
func (p *parser) timeline() (node, error) {
	name := p.tok
	src := p.lx.src
	open := name.end
	for open < len(src) && (src[open] == ' ' || src[open] == '\t') {
		open++
	}
	if open >= len(src) || src[open] != '(' {
		return nil, p.errorf(name.off, "timeline is a function: write timeline(RUN)")
	}
	end := strings.IndexByte(src[open:], ')')
	if end < 0 {
		return nil, p.errorf(open, "unclosed (: missing )")
	}
	end += open
	arg := strings.TrimSpace(src[open+1 : end])
	argOff := open + 1 + strings.Index(src[open+1:end], arg)
	if arg == "" {
		return nil, p.errorf(argOff, "timeline needs the name of a run of the chapter, as in timeline(race)")
	}
	if strings.TrimFunc(arg, isRunNameRune) != "" {
		return nil, p.errorf(argOff, "timeline draws one run: write timeline(RUN) with the name of a run of the chapter, not %q", arg)
	}
	p.refs = append(p.refs, Ref{Run: arg, Off: argOff})
	p.lx.pos, p.lx.prev = end+1, tRParen
	p.tok = token{kind: tRParen, off: end, end: end + 1}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return &timelineNode{pos: pos{name.off, end + 1}, run: arg}, nil
}

func isRunNameRune(r rune) bool {
	return r == '-' || r == '_' || r == '[' || r == ']' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
}

// ref parses RUN.ACCESSOR or RUN.cmd(N).ACCESSOR; the current token is
// the run's name.
func (p *parser) ref() (node, error) {
	run := p.tok
	p.refs = append(p.refs, Ref{Run: run.text, Off: run.off})
	r := &refNode{run: run.text}
	if err := p.advance(); err != nil { // the name
		return nil, err
	}
	if err := p.advance(); err != nil { // the dot
		return nil, err
	}
	if p.isWord("cmd") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tLParen {
			return nil, p.errorf(p.tok.off, "cmd needs the number of a command, as in %s.cmd(1).exit", run.text)
		}
		n, off, err := p.intArg("cmd", "the number of a command")
		if err != nil {
			return nil, err
		}
		if n < 1 {
			return nil, p.errorf(off, "commands count from 1: cmd(%d) does not exist", n)
		}
		r.cmd, r.cmdOff = n, off
		if p.tok.kind != tDot {
			return nil, p.errorf(p.tok.off, "%s.cmd(%d) needs an accessor, as in %s.cmd(%d).exit", run.text, n, run.text, n)
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if p.tok.kind != tIdent {
		return nil, p.errorf(p.tok.off, "expected an accessor after %q, such as exit or time", p.lx.src[run.off:p.tok.off])
	}
	if err := p.accessor(r); err != nil {
		return nil, err
	}
	r.pos = pos{run.off, p.lastEnd}
	if p.tok.kind == tDot {
		return nil, p.errorf(p.tok.off, "unexpected . after %s: only cmd(N) is followed by another accessor", p.lx.src[run.off:p.lastEnd])
	}
	return r, nil
}

// accessor parses the accessor of r; the current token is its name.
func (p *parser) accessor(r *refNode) error {
	acc := p.tok
	r.acc, r.accOff = acc.text, acc.off
	if err := p.advance(); err != nil {
		return err
	}
	hasArgs := p.tok.kind == tLParen
	switch acc.text {
	case "exit", "time", "stdout", "stderr", "trials":
		if acc.text == "trials" && r.cmd > 0 {
			return p.errorf(acc.off, "trials is not an accessor of a command: write %s.trials", r.run)
		}
		if hasArgs {
			return p.errorf(p.tok.off, "%s takes no arguments", acc.text)
		}
		return nil
	case "cmd":
		return p.errorf(acc.off, "a command has no commands: cmd(N) follows the run's name")
	case "size":
		if r.cmd > 0 {
			return p.errorf(acc.off, "size is not an accessor of a command: files belong to the run, write %s.size(\"path\")", r.run)
		}
	}
	switch acc.text {
	case "size", "match", "value":
		what := `a name, as in value("lost")`
		switch acc.text {
		case "size":
			what = `a file's path, as in size("out.log")`
		case "match":
			what = "a regexp, as in match(`(\\d+) bytes`)"
		}
		if !hasArgs {
			return p.errorf(acc.off, "%s needs %s", acc.text, what)
		}
		s, off, err := p.stringArg(acc.text, what)
		if err != nil {
			return err
		}
		r.arg, r.argOff = s, off
		switch acc.text {
		case "match":
			if strings.ContainsAny(s, "\b") {
				return p.errorf(off, "the regexp contains a backspace (\\b in a double-quoted string); for a word boundary write \\\\b, or quote the regexp with backquotes")
			}
			re, err := regexp.Compile(s)
			if err != nil {
				msg := err.Error()
				if se, ok := err.(*syntax.Error); ok {
					msg = fmt.Sprintf("%s: `%s`", se.Code, se.Expr)
				}
				return p.errorf(off, "invalid regexp: %s", msg)
			}
			r.re = re
		case "value":
			if s == "" {
				return p.errorf(off, "value needs a name, not \"\"")
			}
			if strings.ContainsAny(s, "= \t\n\r\f\v") {
				return p.errorf(off, "%q cannot be a NAME: NAME=VALUE tokens are split at spaces and at their first '='", s)
			}
		case "size":
			if s == "" {
				return p.errorf(off, "size needs a file's path, not \"\"")
			}
		}
		return nil
	case "line":
		if !hasArgs {
			return p.errorf(acc.off, "line needs a line number, as in line(1) or line(-1) for the last")
		}
		n, off, err := p.intArg("line", "a line number")
		if err != nil {
			return err
		}
		if n == 0 {
			return p.errorf(off, "lines count from 1 (and from -1 for the last): line(0) does not exist")
		}
		r.line, r.argOff = n, off
		return nil
	}
	if hasArgs {
		if r.cmd > 0 {
			return p.errorf(acc.off, "unknown accessor %s(...) on cmd(%d): a command has exit, time, stdout, stderr, line(N), match(\"re\") and value(\"NAME\")", acc.text, r.cmd)
		}
		return p.errorf(acc.off, "unknown accessor %s(...): a run has exit, time, trials, stdout, stderr, cmd(N), size(\"path\"), line(N), match(\"re\") and value(\"NAME\")", acc.text)
	}
	// Any other name is a value the programs report as NAME=VALUE.
	r.acc, r.arg, r.argOff = "value", acc.text, acc.off
	return nil
}

// intArg parses "(" ["-"] INTEGER ")"; the current token is "(".
func (p *parser) intArg(fn, what string) (n, off int, err error) {
	open := p.tok.off
	if err := p.advance(); err != nil {
		return 0, 0, err
	}
	off = p.tok.off
	sign := 1
	if p.tok.kind == tMinus {
		sign = -1
		if err := p.advance(); err != nil {
			return 0, 0, err
		}
	}
	if p.tok.kind != tNumber || p.tok.num != math.Trunc(p.tok.num) || p.tok.num > 1e9 {
		if p.tok.kind == tEOF {
			return 0, 0, p.errorf(open, "unclosed (: missing )")
		}
		return 0, 0, p.errorf(p.tok.off, "%s needs %s (a whole number), not %s", fn, what, p.tok.describe())
	}
	n = sign * int(p.tok.num)
	if err := p.advance(); err != nil {
		return 0, 0, err
	}
	return n, off, p.closeArg(open, fn)
}

// stringArg parses "(" STRING ")"; the current token is "(".
func (p *parser) stringArg(fn, what string) (s string, off int, err error) {
	open := p.tok.off
	if err := p.advance(); err != nil {
		return "", 0, err
	}
	if p.tok.kind != tString {
		if p.tok.kind == tEOF {
			return "", 0, p.errorf(open, "unclosed (: missing )")
		}
		return "", 0, p.errorf(p.tok.off, "%s needs %s, not %s", fn, what, p.tok.describe())
	}
	s, off = p.tok.str, p.tok.off
	if err := p.advance(); err != nil {
		return "", 0, err
	}
	return s, off, p.closeArg(open, fn)
}

// closeArg consumes the ")" of an accessor's single argument.
func (p *parser) closeArg(open int, fn string) error {
	switch p.tok.kind {
	case tRParen:
		return p.advance()
	case tEOF:
		return p.errorf(open, "unclosed (: missing )")
	case tComma:
		return p.errorf(p.tok.off, "%s takes one argument", fn)
	}
	return p.unexpected(")")
}
