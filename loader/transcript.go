package loader

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/litbook/litbook/model"
)

// transcriptLine is one line of a run block's content with its place in
// the chapter.
type transcriptLine struct {
	Text string
	Line int
	Col  int // the chapter column of Text's first byte
}

// parseTranscript turns the lines of a run block into commands, and
// returns the command names they call. A command starts with "$ "; a line
// ending in a backslash continues on the next line. Anything else is an
// error: output is captured, never written by hand.
//
// Each command is parsed as the POSIX shell that runs it (/bin/sh) would
// parse it. A call of a shell function or alias that the transcript
// defines is not a call of a program: functions count from the command that
// defines them, aliases from the next one (the shell reads a whole command
// before it runs the alias builtin).
func parseTranscript(file string, lines []transcriptLine, errs *model.ErrorList) ([]*model.Command, []model.Call) {
	var cmds []*model.Command
	var calls []model.Call
	funcs, aliases := map[string]bool{}, map[string]bool{}
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
		cmd := strings.TrimSpace(text[1:])
		src := []transcriptLine{{Line: l.Line, Col: l.Col + 1 + strings.Index(text[1:], cmd)}}
		for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
			i++
			cmd += "\n" + strings.TrimRight(lines[i].Text, " \t\r\n")
			src = append(src, lines[i])
		}
		if strings.HasSuffix(cmd, "\\") {
			errs.Add(pos, "command ends with a backslash but the run block ends")
			continue
		}
		if cmd == "" {
			errs.Add(pos, "empty command after \"$\"")
			continue
		}
		sc, err := scanShell(cmd)
		// A here-document's lines follow its command, up to the line
		// that holds its delimiter.
		first, firstErr, firstCmd, firstSrc := i, err, cmd, src
		for delim, ok := unclosedHereDoc(err); ok; delim, ok = unclosedHereDoc(err) {
			closed := false
			for !closed && i+1 < len(lines) {
				i++
				body := strings.TrimRight(lines[i].Text, "\r\n")
				cmd += "\n" + body
				src = append(src, lines[i])
				closed = body == delim || strings.HasPrefix(body, "\t") && strings.TrimLeft(body, "\t") == delim && stripsTabs(cmd, delim)
			}
			if !closed {
				break
			}
			sc, err = scanShell(cmd)
		}
		if delim, ok := unclosedHereDoc(err); ok {
			// Its lines are not commands; the commands after them are
			// checked: they may hold errors of their own.
			for i = first; i+1 < len(lines) && !isCommandLine(lines[i+1].Text); i++ {
			}
			errs.Add(shellErrorPos(file, pos, firstSrc, firstCmd, firstErr), "here-document <<%s is never closed: the run block ends before a line %s", delim, delim)
			continue
		}
		if err != nil {
			errs.Add(shellErrorPos(file, pos, src, cmd, err), "%s", shellErrorText(cmd, err))
			if strings.Contains(cmd, "<<") {
				// The lines after it are most likely its here-document,
				// which the shell did not get to: one error is enough.
				for i+1 < len(lines) && !isCommandLine(lines[i+1].Text) {
					i++
				}
			}
			continue
		}
		c := &model.Command{Text: cmd, Pos: pos, Background: sc.background, Waits: sc.bareWait, OwnJobs: sc.ownJobs, Exit: sc.exit}
		c.HereDocAt = max(sc.bodyAt, 0)
		if c.Background {
			head := trimContinuations(cmd[:sc.amp])
			c.Text = head + cmd[sc.amp+1:]
			if sc.bodyAt > 0 {
				c.HereDocAt = len(head) + sc.bodyAt - sc.amp - 1
			}
		}
		if sc.exitErr != "" {
			errs.Add(pos, "%s", sc.exitErr)
			continue
		}
		if c.Background && sc.exitSet {
			errs.Add(pos, "\"# exit %d\" on a background command: its status is shown, not checked (a later \"wait $!\" can check it: \"$ wait $! # exit %d\")", sc.exit, sc.exit)
			continue
		}
		for _, f := range sc.funcs {
			funcs[f] = true
		}
		for _, name := range sc.names {
			if !funcs[name] && !aliases[name] {
				calls = append(calls, model.Call{Name: name, Pos: pos})
			}
		}
		for _, a := range sc.aliases {
			aliases[a] = true
		}
		cmds = append(cmds, c)
	}
	return cmds, calls
}

// isCommandLine reports whether a line of a run block starts a command.
func isCommandLine(text string) bool {
	text = strings.TrimRight(text, " \t\r\n")
	return text == "$" || strings.HasPrefix(text, "$ ")
}

// trimContinuations drops the blanks and line continuations that end
// text: when a command's "&" stands on a continued line, the text before it
// must not end in a backslash, which would continue the command into
// whatever the runner writes after it.
func trimContinuations(text string) string {
	for {
		text = strings.TrimRight(text, " \t")
		if !strings.HasSuffix(text, "\\\n") {
			return text
		}
		text = text[:len(text)-2]
	}
}

// shellErrorText says why the shell would refuse cmd. The errors that the
// hand-written scanner this parser replaced reported keep their words.
func shellErrorText(cmd string, err error) string {
	if err == errTooNested {
		return "command is too complex to check before it runs: " + err.Error()
	}
	switch e := err.(type) {
	case syntax.ParseError:
		switch {
		case strings.HasPrefix(e.Text, "reached EOF without closing quote"):
			return "unterminated quote: a command must close its quotes on its own line (continue lines with \\)"
		case cmd == "&":
			return "\"&\" without a command"
		case e.Incomplete:
			return "the shell cannot parse this command: " + e.Text + " (a command must be complete on its own line: continue lines with \\)"
		}
		return "the shell cannot parse this command: " + e.Text
	case syntax.LangError:
		verb := " is"
		if strings.HasSuffix(e.Feature, "s") {
			verb = " are"
		}
		var langs []string
		for _, l := range e.Langs {
			langs = append(langs, l.String())
		}
		return fmt.Sprintf("%s%s a %s feature: transcripts run in /bin/sh, a POSIX shell", e.Feature, verb, strings.Join(langs, "/"))
	}
	return "the shell cannot parse this command: " + err.Error()
}

// shellErrorPos places a parse error of cmd in the chapter. Errors that
// the old scanner reported keep their position, the line of the "$";
// others point at the line and column the parser names. src holds the
// chapter line and column of the start of each line of cmd.
func shellErrorPos(file string, cmdPos model.Pos, src []transcriptLine, cmd string, err error) model.Pos {
	var p syntax.Pos
	switch e := err.(type) {
	case syntax.ParseError:
		if strings.HasPrefix(e.Text, "reached EOF without closing quote") || cmd == "&" {
			return cmdPos
		}
		p = e.Pos
	case syntax.LangError:
		p = e.Pos
	default:
		return cmdPos
	}
	off := int(p.Offset())
	if !p.IsValid() || off > len(cmd) {
		return cmdPos
	}
	k := strings.Count(cmd[:off], "\n")
	if k >= len(src) {
		return cmdPos
	}
	col := off - (strings.LastIndexByte(cmd[:off], '\n') + 1)
	return model.Pos{File: file, Line: src[k].Line, Col: max(1, src[k].Col+col)}
}

// maxNesting bounds nestingBound for one command. The shell parser
// recurses once per nested construct, with about a kilobyte of stack each,
// and Go ends the whole process when a goroutine's stack passes its limit
// (1 GB); the bound keeps parsing a command under a few tens of
// megabytes.
const maxNesting = 10000

// errTooNested reports a command over maxNesting.
var errTooNested = fmt.Errorf("it holds more than %d shell operators and keywords (split it into several commands, or put it in a script)", maxNesting)

// nestingBound returns an upper bound on how deep cmd's constructs nest:
// nothing nests in the shell's grammar without an operator or one of the
// keywords that open a compound command, so it counts those.
func nestingBound(cmd string) int {
	n := 0
	for i := 0; i < len(cmd); i++ {
		if strings.IndexByte("(){}`$|&!;<>+-*/%=?:~^,", cmd[i]) >= 0 {
			n++
		}
	}
	for _, kw := range []string{"if", "while", "until", "case", "for", "do", "then", "else"} {
		n += strings.Count(cmd, kw)
	}
	return n
}

// shellCommand is what litbook needs to know about one command of a
// transcript.
type shellCommand struct {
	// names are the command names its simple commands invoke that the
	// shell does not provide, in order, each once (see scanShell).
	names []string
	// funcs and aliases are the shell functions and aliases it defines.
	funcs, aliases []string
	// bareWait is set when it runs a bare "wait", which collects every
	// background command's status; ownJobs when it manages jobs itself:
	// wait with operands, jobs, fg or bg.
	bareWait, ownJobs bool
	// background is set when the command line ends with "&" (before any
	// here-document); amp is the offset of that "&".
	background bool
	amp        int
	// exit is the status that a "# exit N" comment declares, if exitSet;
	// exitErr says why such a comment is refused.
	exit    int
	exitSet bool
	exitErr string
	// bodyAt is the offset of the newline after which the lines of its
	// here-documents start, or 0.
	bodyAt int
}

// shellKeywords are the words that /bin/sh reads as its own where a
// command name stands: reserved words, and exec, command and time, which run
// the word after them. A program cannot be named after one.
var shellKeywords = map[string]bool{
	"!": true, "{": true, "}": true, "if": true, "then": true, "else": true,
	"elif": true, "fi": true, "do": true, "done": true, "while": true,
	"until": true, "exec": true, "command": true, "time": true,
}

// shellWordKind says why /bin/sh would never run a program named word, a
// shell keyword or builtin.
func shellWordKind(word string) string {
	switch word {
	case "exec", "command", "time":
		return fmt.Sprintf("a shell keyword: /bin/sh reads %s as running the word after it, so it would never run the program", word)
	case "case", "for", "in", "esac":
		return fmt.Sprintf("a shell reserved word: /bin/sh reads %s as the start or part of a compound command, never as a program", word)
	}
	if shellKeywords[word] {
		return fmt.Sprintf("a shell reserved word: /bin/sh reads %s as part of its grammar, never as a program", word)
	}
	return fmt.Sprintf("a shell builtin: /bin/sh would run its own %s, never the program", word)
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

// shellParser returns a parser for the language of /bin/sh.
func shellParser() *syntax.Parser {
	return syntax.NewParser(syntax.Variant(syntax.LangPOSIX), syntax.KeepComments(true))
}

// unclosedHereDoc reports whether err says that a here-document is not
// closed yet, and its delimiter.
func unclosedHereDoc(err error) (string, bool) {
	e, ok := err.(syntax.ParseError)
	if !ok {
		return "", false
	}
	rest, ok := strings.CutPrefix(e.Text, "unclosed here-document `")
	if !ok {
		return "", false
	}
	return strings.TrimSuffix(rest, "`"), true
}

// stripsTabs reports whether cmd opens a here-document ending at delim
// with <<-, whose closing line may be indented with tabs.
func stripsTabs(cmd, delim string) bool {
	for _, q := range []string{"", "'", `"`} {
		for _, sp := range []string{"", " ", "\t"} {
			if strings.Contains(cmd, "<<-"+sp+q+delim+q) {
				return true
			}
		}
	}
	return false
}

// exitCommentRE is a comment that declares a command's exit status.
var exitCommentRE = regexp.MustCompile(`^\s*exit\s+([0-9]+)\s*$`)

// scanShell parses cmd as /bin/sh would and reports its command names, its
// definitions, its job control and whether it runs in the background.
//
// A command name is the first word of a simple command, after "exec",
// "command" and "time", which run the word after them. Names that the shell
// provides (builtins) are left out, and so are words that it expands ($x,
// globs, quotes, escapes) or that name a path: they cannot be checked before
// the run. The names exist to catch a misspelt program name before anything
// runs; which programs a run uses is decided on the words of its text (see
// usedPrograms).
func scanShell(cmd string) (*shellCommand, error) {
	if n := nestingBound(cmd); n > maxNesting {
		return nil, errTooNested
	}
	f, err := shellParser().Parse(strings.NewReader(cmd), "")
	if err != nil {
		return nil, err
	}
	sc := &shellCommand{}
	seen := map[string]bool{}
	// A simple command's name is taken when the walk leaves it, so that
	// the commands of its substitutions come first, in the order they run.
	var stack []syntax.Node
	hereDocEnd := 0 // the offset where the here-documents' lines start
	syntax.Walk(f, func(n syntax.Node) bool {
		if n != nil {
			stack = append(stack, n)
			if fd, ok := n.(*syntax.FuncDecl); ok && fd.Name != nil {
				sc.funcs = append(sc.funcs, fd.Name.Value)
			}
			if r, ok := n.(*syntax.Redirect); ok && r.Hdoc != nil && (hereDocEnd == 0 || int(r.Hdoc.Pos().Offset()) < hereDocEnd) {
				hereDocEnd = int(r.Hdoc.Pos().Offset())
			}
			if c, ok := n.(*syntax.Comment); ok {
				if m := exitCommentRE.FindStringSubmatch(c.Text); m != nil {
					n, err := strconv.Atoi(m[1])
					switch {
					case err != nil || n > 255:
						sc.exitErr = fmt.Sprintf("\"# exit %s\" is not an exit status (0 to 255)", m[1])
					case sc.exitSet:
						sc.exitErr = "two \"# exit N\" comments on one command: keep one"
					}
					sc.exit, sc.exitSet = n, true
				}
			}
			return true
		}
		call, ok := stack[len(stack)-1].(*syntax.CallExpr)
		stack = stack[:len(stack)-1]
		if !ok {
			return true
		}
		args := commandArgs(call.Args)
		if len(args) == 0 {
			return true
		}
		name := args[0].Lit()
		switch name {
		case "wait":
			if len(args) == 1 {
				sc.bareWait = true
			} else {
				sc.ownJobs = true
			}
		case "jobs", "fg", "bg":
			sc.ownJobs = true
		case "alias":
			for _, a := range args[1:] {
				if name := aliasName(a); name != "" {
					sc.aliases = append(sc.aliases, name)
				}
			}
		}
		if name == "" || shellBuiltins[name] || shellKeywords[name] || strings.ContainsAny(name, "/$`'\"\\*?[]{}()~=|&;<>") || seen[name] {
			return true
		}
		seen[name] = true
		sc.names = append(sc.names, name)
		return true
	})
	if n := len(f.Stmts); n > 0 {
		last := f.Stmts[n-1]
		end := len(cmd)
		if hereDocEnd > 0 {
			// The "&" ends the line before the here-documents.
			end = strings.LastIndexByte(cmd[:hereDocEnd], '\n')
			sc.bodyAt = end
		}
		if amp := int(last.Semicolon.Offset()); last.Background && amp == len(strings.TrimRight(cmd[:end], " \t"))-1 {
			sc.background, sc.amp = true, amp
		}
	}
	return sc, nil
}

// commandArgs drops the words before a simple command's real command word:
// "exec", "time" and "command", with their options, run the word after
// them.
// "command -v" and "-V" run nothing: they only ask about a name.
func commandArgs(args []*syntax.Word) []*syntax.Word {
	for len(args) > 0 {
		switch args[0].Lit() {
		case "exec", "time", "command":
			query := args[0].Lit() == "command"
			args = args[1:]
			for len(args) > 0 && strings.HasPrefix(args[0].Lit(), "-") {
				if opt := args[0].Lit(); query && opt != "--" && strings.ContainsAny(opt, "vV") {
					return nil
				}
				args = args[1:]
			}
		default:
			return args
		}
	}
	return args
}

// aliasName returns the name that an operand of alias defines: the text
// before its first "=", quotes removed (alias 'll=ls -l' defines ll), or
// "" if the operand defines nothing or its name is not a plain word.
func aliasName(w *syntax.Word) string {
	var b strings.Builder
	for _, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			if p.Dollar {
				return ""
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				lit, ok := q.(*syntax.Lit)
				if !ok {
					return ""
				}
				b.WriteString(lit.Value)
			}
		default:
			return ""
		}
		if name, _, ok := strings.Cut(b.String(), "="); ok {
			if name == "" || strings.ContainsAny(name, "/$`'\"\\*?[]{}()~=|&;<> \t\n") {
				return ""
			}
			return name
		}
	}
	return ""
}
