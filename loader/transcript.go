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
		c := &model.Command{Text: cmd, Pos: pos}
		if strings.HasSuffix(cmd, "&") && !strings.HasSuffix(cmd, "&&") {
			c.Background = true
			c.Text = strings.TrimSpace(strings.TrimSuffix(cmd, "&"))
			if c.Text == "" {
				errs.Add(pos, "\"&\" without a command")
				continue
			}
		}
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
	cmd = strings.ReplaceAll(cmd, "\\\n", " ")
	for _, seg := range splitCommands(cmd) {
		fields := strings.Fields(seg)
		for len(fields) > 0 {
			f := fields[0]
			switch {
			case isAssignment(f), strings.ContainsAny(f, "<>"):
				fields = fields[1:]
				continue
			case f == "for" || f == "case":
				fields = nil // the rest is a word list or patterns
				continue
			case shellKeywords[f]:
				fields = fields[1:]
				continue
			}
			break
		}
		if len(fields) == 0 {
			continue
		}
		w := fields[0]
		if shellBuiltins[w] || strings.ContainsAny(w, "/$`'\"\\*?[]{}()~=") {
			continue
		}
		words = append(words, w)
	}
	return words
}

// splitCommands splits a command line at |, &, ;, ( and ) outside quotes.
func splitCommands(cmd string) []string {
	var segs []string
	var b strings.Builder
	var quote byte
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			b.WriteByte(c)
		case c == '\'' || c == '"':
			quote = c
			b.WriteByte(c)
		case c == '|' || c == '&' || c == ';' || c == '(' || c == ')' || c == '\n':
			segs = append(segs, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(segs, b.String())
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
