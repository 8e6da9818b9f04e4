package loader

import (
	"strings"

	"github.com/litbook/litbook/model"
)

// transcriptLine is one line of a run block's content with its chapter line.
type transcriptLine struct {
	Text string
	Line int
}

// parseTranscript turns the lines of a run block into commands. A command
// starts with "$ "; a line ending in a backslash continues on the next line.
// Anything else is an error: output is captured, never written by hand.
func parseTranscript(file string, lines []transcriptLine, errs *model.ErrorList) []*model.Command {
	var cmds []*model.Command
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		text := strings.TrimRight(l.Text, " \t\r\n")
		pos := model.Pos{File: file, Line: l.Line}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if text != "$" && !strings.HasPrefix(text, "$ ") {
			errs.Add(pos, "transcript line is not a command: lines of a run block start with \"$ \" (output is captured by the build, never written by hand)")
			continue
		}
		cmd := strings.TrimSpace(strings.TrimPrefix(text, "$"))
		for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
			i++
			cmd += "\n" + strings.TrimRight(lines[i].Text, " \t\r\n")
		}
		if strings.HasSuffix(cmd, "\\") {
			errs.Add(pos, "command ends with a backslash but the run block ends")
			continue
		}
		if cmd == "" {
			errs.Add(pos, "empty command after \"$\"")
			continue
		}
		if unterminatedQuote(cmd) {
			errs.Add(pos, "unterminated quote: a command must close its quotes on its own line (continue lines with \\)")
			continue
		}
		c := &model.Command{Text: cmd, Pos: pos}
		if strings.HasSuffix(cmd, "&") && !strings.HasSuffix(cmd, "&&") {
			c.Background = true
			c.Text = strings.TrimSpace(strings.TrimSuffix(cmd, "&"))
			if c.Text == "" {
				errs.Add(pos, "\"&\" without a command")
				continue
			}
		}
		c.Waits, c.OwnJobs = jobControl(c.Text)
		cmds = append(cmds, c)
	}
	return cmds
}

// shellKeywords may start a command without being one.
var shellKeywords = map[string]bool{
	"!": true, "{": true, "}": true, "if": true, "then": true, "else": true,
	"elif": true, "fi": true, "do": true, "done": true, "while": true,
	"until": true, "exec": true, "command": true, "time": true,
}

// shellBuiltins are commands of /bin/sh (dash and bash alike) that need no
// program on PATH.
var shellBuiltins = map[string]bool{
	".": true, ":": true, "[": true, "alias": true, "bg": true, "break": true,
	"cd": true, "continue": true, "echo": true, "eval": true, "exit": true,
	"export": true, "false": true, "fg": true, "getopts": true, "hash": true,
	"jobs": true, "kill": true, "local": true, "printf": true, "pwd": true,
	"read": true, "readonly": true, "return": true, "set": true, "shift": true,
	"test": true, "times": true, "trap": true, "true": true, "type": true,
	"ulimit": true, "umask": true, "unalias": true, "unset": true, "wait": true,
	"esac": true, "case": true, "for": true, "in": true,
}

// commandWords returns the names that the simple commands of a shell
// command line invoke: the first word of each pipeline element, after
// variable assignments and keywords. Words that the shell expands ($x,
// globs, quotes) or that name a path are skipped: they cannot be checked
// before the run. The scan is deliberately shallow; it exists to catch a
// misspelt program name before anything runs, and to know which programs a
// run uses.
func commandWords(cmd string) []string {
	var words []string
	for _, fields := range simpleCommands(cmd) {
		w := fields[0]
		if shellBuiltins[w] || strings.ContainsAny(w, "/$`'\"\\*?[]{}()~=|&;<>") {
			continue
		}
		words = append(words, w)
	}
	return words
}

// simpleCommands returns the words of each simple command of cmd, from its
// command word on: leading assignments, redirections and keywords are
// dropped, and for and case lists, which hold no command word, are left
// out.
func simpleCommands(cmd string) [][]string {
	var cmds [][]string
	cmd = strings.ReplaceAll(cmd, "\\\n", " ")
	for _, seg := range splitCommands(cmd) {
		fields := strings.Fields(seg)
	skip:
		for len(fields) > 0 {
			f := fields[0]
			switch {
			case strings.HasSuffix(f, "<") || strings.HasSuffix(f, ">"):
				fields = fields[min(2, len(fields)):] // "> file": operator and target
			case isAssignment(f), strings.ContainsAny(f, "<>"):
				fields = fields[1:]
			case f == "for" || f == "case":
				fields = nil // the rest is a word list or patterns
			case shellKeywords[f]:
				fields = fields[1:]
			default:
				break skip
			}
		}
		if len(fields) > 0 {
			cmds = append(cmds, fields)
		}
	}
	return cmds
}

// splitCommands splits a command line into simple commands at |, &, ;,
// (, ) and newlines outside quotes. It keeps redirections whole (2>&1,
// >&2), drops comments and arithmetic $((...)), and returns the commands
// inside command substitutions ($(...) and `...`) as segments of their own,
// leaving a "$" in the word they stood for.
func splitCommands(cmd string) []string {
	var segs []string
	var b strings.Builder
	flush := func() {
		segs = append(segs, b.String())
		b.Reset()
	}
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		rest := cmd[i:]
		switch {
		case c == '\\' && i+1 < len(cmd):
			b.WriteString(cmd[i : i+2])
			i++
		case c == '\'' || c == '"':
			end, _ := closingQuote(cmd, i)
			b.WriteString(cmd[i:end])
			i = end - 1
		case c == '#' && (i == 0 || strings.ContainsRune(" \t\n;&|()", rune(cmd[i-1]))):
			if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
				i += nl - 1
			} else {
				i = len(cmd)
			}
		case strings.HasPrefix(rest, "$(("):
			i += matchingParen(rest[1:]) + 1 // arithmetic: no commands
			b.WriteByte('$')
		case strings.HasPrefix(rest, "$("):
			n := matchingParen(rest[1:]) // rest[1+n] closes rest[1]
			segs = append(segs, splitCommands(rest[2:min(len(rest), max(2, 1+n))])...)
			i += n + 1
			b.WriteByte('$')
		case strings.HasPrefix(rest, "()"):
			b.Reset() // name() { ...; } defines a function: no command here
			i++
		case c == '`':
			n := strings.IndexByte(rest[1:], '`')
			if n < 0 {
				n = len(rest) - 1
			}
			segs = append(segs, splitCommands(rest[1:1+n])...)
			i += n + 1
			b.WriteByte('$')
		case c == '&' && i > 0 && (cmd[i-1] == '>' || cmd[i-1] == '<'),
			c == '&' && i+1 < len(cmd) && cmd[i+1] == '>',
			c == '|' && i > 0 && cmd[i-1] == '>':
			b.WriteByte(c) // part of a redirection: >&2, 2>&1, &>, >|
		case strings.IndexByte("|&;()\n", c) >= 0:
			flush()
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return segs
}

// jobControl reports whether cmd runs a bare "wait" (which collects every
// background command's status), and whether it manages jobs itself: wait
// with operands, jobs, fg or bg.
func jobControl(cmd string) (bareWait, ownJobs bool) {
	for _, f := range simpleCommands(cmd) {
		switch f[0] {
		case "wait":
			if len(f) == 1 {
				bareWait = true
			} else {
				ownJobs = true
			}
		case "jobs", "fg", "bg":
			ownJobs = true
		}
	}
	return bareWait, ownJobs
}

// unterminatedQuote reports whether cmd leaves a quote open: the shell would
// read the following commands as part of the string.
func unterminatedQuote(cmd string) bool {
	for i := 0; i < len(cmd); i++ {
		switch cmd[i] {
		case '\\':
			i++
		case '\'', '"':
			end, ok := closingQuote(cmd, i)
			if !ok {
				return true
			}
			i = end - 1
		}
	}
	return false
}

// closingQuote returns the index just past the quote that closes the one
// at s[i], or len(s) and false if there is none.
func closingQuote(s string, i int) (int, bool) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case q == '"' && s[j] == '\\':
			j++
		case s[j] == q:
			return j + 1, true
		}
	}
	return len(s), false
}

// matchingParen returns the index of the parenthesis that closes s[0],
// which is "(", or len(s) if there is none.
func matchingParen(s string) int {
	depth := 0
	for j := 0; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j
			}
		case '\'', '"':
			end, _ := closingQuote(s, j)
			j = end - 1
		}
	}
	return len(s)
}

func isAssignment(w string) bool {
	eq := strings.IndexByte(w, '=')
	if eq <= 0 {
		return false
	}
	for i, r := range w[:eq] {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
