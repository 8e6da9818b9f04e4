package values

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a token.
type tokKind int

const (
	tEOF      tokKind = iota
	tNumber           // 42, 2_000, 1.5, 1e6
	tDuration         // 1.5s, 200ms, 1m30s
	tPercent          // 90%
	tString           // "x" or `x`
	tIdent            // a function name, a keyword or an accessor
	tRun              // a run name: a name directly followed by "." and a letter
	tDot
	tLParen
	tRParen
	tComma
	tPlus
	tMinus
	tStar
	tSlash
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
)

var tokText = [...]string{
	tDot: ".", tLParen: "(", tRParen: ")", tComma: ",",
	tPlus: "+", tMinus: "-", tStar: "*", tSlash: "/",
	tEq: "==", tNe: "!=", tLt: "<", tLe: "<=", tGt: ">", tGe: ">=",
}

// isCmp reports whether k is a comparison operator.
func (k tokKind) isCmp() bool { return k >= tEq && k <= tGe }

// token is one token of an expression; off and end are byte offsets.
type token struct {
	kind     tokKind
	off, end int
	text     string  // the source text
	num      float64 // tNumber, tPercent; tDuration in nanoseconds
	str      string  // tString: the unquoted value
}

// describe names the token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tNumber, tDuration, tPercent:
		return t.text
	case tString:
		return "string " + t.text
	case tIdent, tRun:
		return t.text
	}
	return fmt.Sprintf("%q", tokText[t.kind])
}

// lexer splits an expression into tokens, one at a time.
type lexer struct {
	src  string
	pos  int
	prev tokKind // the kind of the token returned last
}

func (l *lexer) errorf(off int, format string, args ...any) error {
	return &SyntaxError{Off: off, Msg: fmt.Sprintf(format, args...)}
}

// next returns the next token.
func (l *lexer) next() (token, error) {
	t, err := l.scan()
	l.prev = t.kind
	return t, err
}

func (l *lexer) scan() (token, error) {
	for l.pos < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.pos:])
		if !unicode.IsSpace(r) {
			break
		}
		l.pos += size
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, off: start, end: start}, nil
	}
	tok := func(k tokKind, n int) (token, error) {
		l.pos += n
		return token{kind: k, off: start, end: l.pos, text: l.src[start:l.pos]}, nil
	}
	c := l.src[start]
	switch c {
	case '(':
		return tok(tLParen, 1)
	case ')':
		return tok(tRParen, 1)
	case ',':
		return tok(tComma, 1)
	case '.':
		return tok(tDot, 1)
	case '+':
		return tok(tPlus, 1)
	case '-':
		return tok(tMinus, 1)
	case '*':
		return tok(tStar, 1)
	case '/':
		return tok(tSlash, 1)
	case '=':
		if l.peekByte(1) == '=' {
			return tok(tEq, 2)
		}
		return token{}, l.errorf(start, "= is not an operator: compare with ==")
	case '!':
		if l.peekByte(1) == '=' {
			return tok(tNe, 2)
		}
		return token{}, l.errorf(start, "unexpected !: the only operator with ! is !=")
	case '<':
		if l.peekByte(1) == '=' {
			return tok(tLe, 2)
		}
		return tok(tLt, 1)
	case '>':
		if l.peekByte(1) == '=' {
			return tok(tGe, 2)
		}
		return tok(tGt, 1)
	case '"':
		return l.quoted()
	case '`':
		return l.raw()
	}
	switch {
	case isLetter(c) || isDigit(c) || c == '_':
		return l.word()
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	if r == utf8.RuneError {
		return token{}, l.errorf(start, "invalid UTF-8")
	}
	if ascii, ok := lookalike(r); ok {
		return token{}, l.errorf(start, "unexpected character %q: write %s", r, ascii)
	}
	return token{}, l.errorf(start, "unexpected character %q", r)
}

// lookalike returns the ASCII operator for a typographic one that prose
// (or a copy from a rendered page) may have slipped in.
func lookalike(r rune) (string, bool) {
	switch r {
	case '≤':
		return "<=", true
	case '≥':
		return ">=", true
	case '≠':
		return "!=", true
	case '−', '–': // minus sign, en dash
		return "-", true
	case '×':
		return "*", true
	case '÷':
		return "/", true
	case '“', '”':
		return `"`, true
	}
	return "", false
}

func (l *lexer) peekByte(n int) byte {
	if l.pos+n < len(l.src) {
		return l.src[l.pos+n]
	}
	return 0
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// isNameByte reports whether c may appear in a run name.
func isNameByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '-' }

// word scans a run name, a name or a number. A run name is recognised by
// what follows it: a dot and a letter (seek-2.time). Run names may contain
// '-', so "a-b.exit" is the run a-b; a name elsewhere may not, so "x-1"
// is x minus 1.
func (l *lexer) word() (token, error) {
	start := l.pos
	if l.prev != tDot && (isLetter(l.src[start]) || isDigit(l.src[start])) {
		end := start
		for end < len(l.src) && isNameByte(l.src[end]) {
			end++
		}
		// A run of a block with fs= is named NAME[FS]: race[xfs].exit.
		if end < len(l.src) && l.src[end] == '[' {
			fsEnd := end + 1
			for fsEnd < len(l.src) && isNameByte(l.src[fsEnd]) {
				fsEnd++
			}
			if fsEnd == end+1 || fsEnd >= len(l.src) || l.src[fsEnd] != ']' {
				return token{}, l.errorf(end, "a filesystem's run is written NAME[FS], as in %s[xfs].exit", l.src[start:end])
			}
			end = fsEnd + 1
			if end >= len(l.src) || l.src[end] != '.' {
				return token{}, l.errorf(start, "%s needs an accessor, as in %s.exit", l.src[start:end], l.src[start:end])
			}
		}
		if end+1 < len(l.src) && l.src[end] == '.' && (isLetter(l.src[end+1]) || l.src[end+1] == '_') {
			l.pos = end
			return token{kind: tRun, off: start, end: end, text: l.src[start:end]}, nil
		}
	}
	if isDigit(l.src[start]) {
		return l.number()
	}
	end := start
	for end < len(l.src) && (isLetter(l.src[end]) || isDigit(l.src[end]) || l.src[end] == '_') {
		end++
	}
	l.pos = end
	return token{kind: tIdent, off: start, end: end, text: l.src[start:end]}, nil
}

// digits scans decimal digits with single underscores between them,
// starting at l.pos, which holds a digit.
func (l *lexer) digits() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case isDigit(c):
			l.pos++
		case c == '_':
			if l.pos+1 >= len(l.src) || !isDigit(l.src[l.pos+1]) {
				return l.errorf(l.pos, "'_' must separate digits")
			}
			l.pos++
		default:
			return nil
		}
	}
	return nil
}

// durationUnit returns the length of a duration unit in nanoseconds; the
// units are time.ParseDuration's.
func durationUnit(unit string) (float64, bool) {
	switch unit {
	case "ns":
		return 1, true
	case "us", "µs", "μs": // U+00B5 and U+03BC
		return 1e3, true
	case "ms":
		return 1e6, true
	case "s":
		return 1e9, true
	case "m":
		return 60e9, true
	case "h":
		return 3600e9, true
	}
	return 0, false
}

// number scans a number, a duration (a number immediately followed by a
// unit, possibly several: 1m30s) or a percentage (90%).
func (l *lexer) number() (token, error) {
	start := l.pos
	total := 0.0
	isDur := false
	for {
		numStart := l.pos
		if err := l.digits(); err != nil {
			return token{}, err
		}
		if l.pos+1 < len(l.src) && l.src[l.pos] == '.' && isDigit(l.src[l.pos+1]) {
			l.pos++
			if err := l.digits(); err != nil {
				return token{}, err
			}
		}
		if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
			p := l.pos + 1
			if p < len(l.src) && (l.src[p] == '+' || l.src[p] == '-') {
				p++
			}
			if p < len(l.src) && isDigit(l.src[p]) {
				l.pos = p
				if err := l.digits(); err != nil {
					return token{}, err
				}
			}
		}
		text := l.src[numStart:l.pos]
		x, err := strconv.ParseFloat(strings.ReplaceAll(text, "_", ""), 64)
		if err != nil || math.IsInf(x, 0) {
			return token{}, l.errorf(numStart, "number %s is out of range", text)
		}
		unitStart := l.pos
		for l.pos < len(l.src) {
			r, size := utf8.DecodeRuneInString(l.src[l.pos:])
			if r >= utf8.RuneSelf && r != 'µ' && r != 'μ' || r < utf8.RuneSelf && !isLetter(byte(r)) {
				break
			}
			l.pos += size
		}
		unit := l.src[unitStart:l.pos]
		switch {
		case unit == "" && !isDur:
			if l.pos < len(l.src) && l.src[l.pos] == '%' {
				l.pos++
				return token{kind: tPercent, off: start, end: l.pos, text: l.src[start:l.pos], num: x}, nil
			}
			return token{kind: tNumber, off: start, end: l.pos, text: text, num: x}, nil
		case unit == "":
			return token{}, l.errorf(numStart, "%s in duration %s needs a unit (ns, us, µs, ms, s, m or h)", text, l.src[start:l.pos])
		}
		ns, ok := durationUnit(unit)
		if !ok {
			return token{}, l.errorf(unitStart, "unknown unit %q after %s: durations take ns, us, µs, ms, s, m or h", unit, text)
		}
		total += x * ns
		isDur = true
		if l.pos >= len(l.src) || !isDigit(l.src[l.pos]) {
			break
		}
	}
	if math.IsInf(total, 0) {
		return token{}, l.errorf(start, "duration %s is out of range", l.src[start:l.pos])
	}
	return token{kind: tDuration, off: start, end: l.pos, text: l.src[start:l.pos], num: math.Round(total)}, nil
}

// quoted scans a Go double-quoted string.
func (l *lexer) quoted() (token, error) {
	start := l.pos
	var b strings.Builder
	p := start + 1
	for {
		if p >= len(l.src) || l.src[p] == '\n' {
			return token{}, l.errorf(start, "string not terminated: missing \"")
		}
		c := l.src[p]
		if c == '"' {
			p++
			break
		}
		if c >= utf8.RuneSelf {
			// Bytes outside ASCII are kept as they are, valid UTF-8 or not.
			b.WriteByte(c)
			p++
			continue
		}
		r, multibyte, tail, err := strconv.UnquoteChar(l.src[p:], '"')
		if err != nil {
			esc := l.src[p:min(p+2, len(l.src))]
			return token{}, l.errorf(p, "invalid escape %s in a string: write \\\\ for a backslash, or quote with backquotes (`...`)", esc)
		}
		if !multibyte {
			b.WriteByte(byte(r)) // \xff and \377 are bytes, as in Go
		} else {
			b.WriteRune(r)
		}
		p = len(l.src) - len(tail)
	}
	l.pos = p
	return token{kind: tString, off: start, end: p, text: l.src[start:p], str: b.String()}, nil
}

// raw scans a Go raw string: `...`.
func (l *lexer) raw() (token, error) {
	start := l.pos
	i := strings.IndexByte(l.src[start+1:], '`')
	if i < 0 {
		return token{}, l.errorf(start, "string not terminated: missing `")
	}
	l.pos = start + 1 + i + 1
	s := strings.ReplaceAll(l.src[start+1:start+1+i], "\r", "")
	return token{kind: tString, off: start, end: l.pos, text: l.src[start:l.pos], str: s}, nil
}
