package loader

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Extensions are the goldmark extensions of litbook's Markdown: GitHub
// Flavored Markdown (tables, strikethrough, task lists, autolinks) and
// footnotes. The site renders with the same set.
func Extensions() []goldmark.Extender {
	return []goldmark.Extender{extension.GFM, extension.Footnote}
}

// newMarkdown returns the parser litbook reads chapters with.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(Extensions()...),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(blockTransformer{}, 100)),
		),
	)
}

var stateKey = parser.NewContextKey()

// chapterState is what the transformer needs about the chapter it works on
// and what it found there.
type chapterState struct {
	ch    *model.Chapter
	lines lineIndex
	errs  model.ErrorList
	// blocks found, in source order
	programs []*programBlockSpec
	runs     []*model.Run
	found    []*Expr // values, claims and charts in the prose
	// fs holds the filesystems that fs= lists, per run block that has it.
	fs map[*model.Run][]string
	// broken names the run blocks that were reported and left out: a
	// value of one is not reported again as a run the chapter lacks.
	broken map[string]bool
	// inputs holds what stdin= and files= name, per run block that has
	// them; load resolves them against the book's root (inputs.go).
	inputs map[*model.Run]*inputSpec
	// root is the book's directory, which include= reads files from.
	root string
	// uses holds, per run block with uses=, the programs it names as
	// CHAPTER/PROGRAM, at the attribute's position; the book resolves them.
	uses map[*model.Run][]useRef
}

// useRef is one program that a run's uses= names.
type useRef struct {
	chapter, program string
	pos              model.Pos
}

type programBlockSpec struct {
	node   *ProgramBlock
	name   string
	file   string
	pos    model.Pos
	code   []byte
	lines  []int
	hidden bool
	// from is the book file the code was included from (include=), or ""
	// for code written in the block; lines are then that file's.
	from string
}

// lineIndex maps byte offsets of a source to 1-based line numbers.
type lineIndex []int // offsets at which lines start

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range src {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// line returns the 1-based line of offset off.
func (idx lineIndex) line(off int) int {
	return sort.Search(len(idx), func(i int) bool { return idx[i] > off })
}

// col returns the 1-based column (in bytes) of offset off.
func (idx lineIndex) col(off int) int {
	return off - idx[idx.line(off)-1] + 1
}

// blockTransformer replaces the fenced blocks that carry litbook attributes
// with ProgramBlock and RunBlock nodes, and reports unclosed fences.
type blockTransformer struct{}

var (
	programNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	runNameRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	majorVersionRE = regexp.MustCompile(`^v[0-9]+$`)
)

// Transform implements parser.ASTTransformer.
func (blockTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	st, _ := pc.Get(stateKey).(*chapterState)
	if st == nil {
		return
	}
	src := reader.Source()
	var fences []*ast.FencedCodeBlock
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if f, ok := n.(*ast.FencedCodeBlock); ok && entering {
			fences = append(fences, f)
		}
		if h, ok := n.(*ast.Heading); ok && entering && h.Level == 1 && st.ch.Title == "" {
			st.ch.Title = PlainText(h, src)
		}
		return ast.WalkContinue, nil
	})
	for _, f := range fences {
		st.fence(f, src)
	}
	st.callouts(doc, src)
	st.found = st.exprs(doc, src)
	st.captions(doc, src)
}

// fence handles one fenced code block.
func (st *chapterState) fence(f *ast.FencedCodeBlock, src []byte) {
	path := st.ch.Path
	// The fence line: where the info string is, or the line before the
	// first content line.
	var open model.Pos
	infoText, infoCol := "", 0
	switch {
	case f.Info != nil:
		seg := f.Info.Segment
		open = model.Pos{File: path, Line: st.lines.line(seg.Start)}
		infoText, infoCol = string(seg.Value(src)), st.lines.col(seg.Start)
	case f.Lines().Len() > 0:
		open = model.Pos{File: path, Line: st.lines.line(f.Lines().At(0).Start) - 1}
	default:
		return // an empty, unlabelled fence: nothing to check or own
	}
	if unclosed(f, src) {
		st.errs.Add(open, "code fence is never closed: it runs to the end of the file")
		return
	}
	in, err := parseInfo(infoText, infoCol)
	if err != nil {
		ie := err.(*infoError)
		st.errs.Add(model.Pos{File: path, Line: open.Line, Col: ie.Col}, "%s", ie.Msg)
		return
	}
	var code bytes.Buffer
	var lines, cols []int // the chapter line and column of each line's start
	for i := 0; i < f.Lines().Len(); i++ {
		seg := f.Lines().At(i)
		code.WriteString(strings.Repeat(" ", seg.Padding))
		code.Write(seg.Value(src))
		lines = append(lines, st.lines.line(seg.Start))
		cols = append(cols, max(1, st.lines.col(seg.Start)-seg.Padding))
	}
	at := func(a attr) model.Pos { return model.Pos{File: path, Line: open.Line, Col: a.Col} }
	switch {
	case in.has("run"):
		st.runBlock(f, in, open, at, infoText, code.Bytes(), lines, cols)
	case in.has("program"):
		st.programBlock(f, in, open, at, code.Bytes(), lines)
	case in.Lang == "go" || in.Lang == "console":
		// A plain block in one of our languages: attributes are most
		// likely a misspelt program= or run=.
		for _, a := range in.Attrs {
			st.errs.Add(at(a), "unknown attribute %q on a %s block%s", a.Key, in.Lang, suggest(a.Key, []string{"program", "run"}))
		}
	}
}

// unclosed reports whether f has no closing fence: its content runs to the
// end of the source with nothing after it.
func unclosed(f *ast.FencedCodeBlock, src []byte) bool {
	end := 0
	if n := f.Lines().Len(); n > 0 {
		end = f.Lines().At(n - 1).Stop
	} else {
		end = f.Info.Segment.Stop
		if nl := bytes.IndexByte(src[end:], '\n'); nl >= 0 {
			end += nl + 1
		} else {
			end = len(src)
		}
	}
	return len(bytes.TrimSpace(src[end:])) == 0
}

func (st *chapterState) programBlock(f *ast.FencedCodeBlock, in info, open model.Pos, at func(attr) model.Pos, code []byte, lines []int) {
	spec := &programBlockSpec{pos: open, code: code, lines: lines}
	ok := true
	var include *attr
	for _, a := range in.Attrs {
		switch a.Key {
		case "program":
			switch {
			case !programNameRE.MatchString(a.Value):
				st.errs.Add(at(a), "program name %q must be a command name: letters, digits, '.', '_' and '-'", a.Value)
				ok = false
			case shellKeywords[a.Value] || shellBuiltins[a.Value]:
				st.errs.Add(at(a), "program name %q is %s", a.Value, shellWordKind(a.Value))
				ok = false
			case majorVersionRE.MatchString(a.Value):
				// go build -o DIR names a binary after the element before a
				// major-version suffix, so v2 would not be called v2.
				st.errs.Add(at(a), "program name %q looks like a module major version; choose another name", a.Value)
				ok = false
			}
			spec.name = a.Value
		case "file":
			if msg := checkFileName(a.Value); msg != "" {
				st.errs.Add(at(a), "file name %q %s", a.Value, msg)
				ok = false
			}
			spec.file = a.Value
		case "include":
			a := a
			include = &a
		case "hidden":
			if a.HasValue {
				st.errs.Add(at(a), "hidden takes no value")
				ok = false
			}
			spec.hidden = true
		default:
			st.errs.Add(at(a), "unknown attribute %q on a program block (known: %s)%s", a.Key, strings.Join(programAttrs, ", "), suggest(a.Key, programAttrs))
			ok = false
		}
	}
	if include != nil {
		if len(bytes.TrimSpace(code)) > 0 {
			st.errs.Add(at(*include), "a block with include= shows the included code: leave the block empty")
			ok = false
		} else if rel, got, gotLines, err := st.include(include.Value); err != nil {
			st.errs.Add(at(*include), "include=%q: %v", include.Value, err)
			ok = false
		} else {
			spec.from, spec.code, spec.lines = rel, got, gotLines
			if spec.file == "" {
				spec.file = path.Base(rel)
				if msg := checkFileName(spec.file); msg != "" {
					st.errs.Add(at(*include), "include=%q: the program's file would be %q, which %s: name it with file=", include.Value, spec.file, msg)
					ok = false
				}
			}
		}
	}
	if spec.file == "" {
		spec.file = "main.go"
	}
	if strings.HasSuffix(spec.file, ".go") && in.Lang != "go" {
		st.errs.Add(open, "program blocks of Go files hold Go code: the info string must start with go, not %q", in.Lang)
		ok = false
	}
	if !ok {
		return
	}
	node := &ProgramBlock{Code: spec.code, Hidden: spec.hidden, Lang: in.Lang}
	node.SetLines(f.Lines())
	f.Parent().ReplaceChild(f.Parent(), f, node)
	spec.node = node
	st.programs = append(st.programs, spec)
}

// programAttrs are the attributes of a program block.
var programAttrs = []string{"program", "file", "include", "hidden"}

// checkFileName returns why name cannot be a file of a program, or "".
// A program's Go files are its package's, in its directory; any other file
// may be in a subdirectory (testdata/in.txt, templates/page.html).
func checkFileName(name string) string {
	clean := path.Clean(name)
	switch {
	case name == "" || clean != name || path.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../"):
		return "must be a clean path inside the program's directory (no \"..\", no leading \"/\")"
	case name == "go.mod" || name == "go.sum" || name == "go.work":
		return "is the module's: a program is a package of the book's module"
	}
	for _, elem := range strings.Split(name, "/") {
		if !fileElemRE.MatchString(elem) {
			return "must be made of letters, digits, '.', '_' and '-', and no element may start with '.'"
		}
	}
	if strings.HasSuffix(name, ".go") && strings.Contains(name, "/") && !strings.HasPrefix(name, "testdata/") {
		return "is a Go file in a subdirectory, which would be another package: a program's Go files are in its own directory"
	}
	return ""
}

var fileElemRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

func (st *chapterState) runBlock(f *ast.FencedCodeBlock, in info, open model.Pos, at func(attr) model.Pos, infoText string, code []byte, lines, cols []int) {
	r := &model.Run{Chapter: st.ch, Pos: open, Trials: 1}
	r.Block = append([]byte(strings.TrimSpace(infoText)+"\n"), code...)
	ok := true
	for _, a := range in.Attrs {
		switch a.Key {
		case "run":
			if a.HasValue && !runNameRE.MatchString(a.Value) {
				st.errs.Add(at(a), "run name %q must be letters, digits, '_' and '-'", a.Value)
				ok = false
			}
			r.Name = a.Value
		case "timeout":
			d, err := time.ParseDuration(a.Value)
			if err != nil || d <= 0 {
				st.errs.Add(at(a), "timeout=%q is not a positive duration (examples: 90s, 2m)", a.Value)
				ok = false
			}
			r.Timeout = d
		case "exit":
			n, err := strconv.Atoi(a.Value)
			if err != nil || n < 0 || n > 255 {
				st.errs.Add(at(a), "exit=%q is not an exit status (0 to 255)", a.Value)
				ok = false
			}
			r.Exit = n
		case "exclusive":
			if a.HasValue {
				st.errs.Add(at(a), "exclusive takes no value")
				ok = false
			}
			r.Exclusive = true
		case "trials":
			n, err := strconv.Atoi(a.Value)
			if err != nil || n < 1 || n > maxTrials {
				st.errs.Add(at(a), "trials=%q is not a number of trials (1 to %d)", a.Value, maxTrials)
				ok = false
			}
			r.Trials = n
		case "in":
			if !programNameRE.MatchString(a.Value) {
				st.errs.Add(at(a), "in=%q must name a program: the run starts in a copy of its source directory", a.Value)
				ok = false
			}
			r.Dir = a.Value
		case "uses":
			refs, err := parseUses(a.Value, at(a))
			if err != nil {
				st.errs.Add(at(a), "%v", err)
				ok = false
			}
			if st.uses == nil {
				st.uses = map[*model.Run][]useRef{}
			}
			st.uses[r] = refs
		case "fs":
			list, err := parseFS(a.Value)
			if err != nil {
				st.errs.Add(at(a), "%v", err)
				ok = false
			}
			if st.fs == nil {
				st.fs = map[*model.Run][]string{}
			}
			st.fs[r] = list
		case "stdin", "files", "env", "network":
			if !st.runInputAttr(r, a, at(a)) {
				ok = false
			}
		default:
			st.errs.Add(at(a), "unknown attribute %q on a run block (known: %s)%s", a.Key, strings.Join(runAttrs, ", "), suggest(a.Key, runAttrs))
			ok = false
		}
	}
	if in.Lang == "go" {
		st.errs.Add(open, "a run block is a shell transcript, not Go code: use program= to define a program")
		ok = false
	}
	tl := make([]transcriptLine, 0, len(lines))
	for i, l := range strings.SplitAfter(string(code), "\n") {
		if i < len(lines) {
			tl = append(tl, transcriptLine{Text: l, Line: lines[i], Col: cols[i]})
		}
	}
	n := len(st.errs)
	var calls []model.Call
	r.Commands, calls = parseTranscript(st.ch.Path, tl, &st.errs)
	if len(st.errs) > n {
		ok = false
	}
	if ok && len(r.Commands) == 0 {
		st.errs.Add(open, "run block has no commands (write them as \"$ command\")")
		ok = false
	}
	if ok && r.Exit != 0 && !hasForeground(r.Commands) {
		st.errs.Add(open, "exit=%d applies to the last foreground command, and every command of this run is in the background (add \"$ wait\")", r.Exit)
		ok = false
	}
	if ok && r.Exit != 0 {
		if last := lastForeground(r.Commands); last.Exit != 0 {
			st.errs.Add(last.Pos, "the run's exit=%d and this command's \"# exit %d\" both declare its status: keep one", r.Exit, last.Exit)
			ok = false
		}
	}
	if !ok {
		if r.Name != "" {
			if st.broken == nil {
				st.broken = map[string]bool{}
			}
			st.broken[r.Name] = true
		}
		return
	}
	r.Calls = calls
	node := &RunBlock{Run: r}
	node.SetLines(f.Lines())
	f.Parent().ReplaceChild(f.Parent(), f, node)
	st.runs = append(st.runs, r)
}

// runAttrs are the attributes of a run block.
var runAttrs = []string{"run", "timeout", "exit", "exclusive", "trials", "fs", "stdin", "files", "env", "network", "in", "uses"}

// parseUses parses the value of uses=: programs of other chapters, each
// CHAPTER/PROGRAM with CHAPTER the chapter's file name without .md,
// separated by commas.
func parseUses(v string, pos model.Pos) ([]useRef, error) {
	var refs []useRef
	for _, item := range strings.Split(v, ",") {
		ch, prog, ok := strings.Cut(strings.TrimSpace(item), "/")
		if !ok || ch == "" || !programNameRE.MatchString(prog) {
			return nil, fmt.Errorf("uses=%q: name each program as CHAPTER/PROGRAM, CHAPTER being the chapter's file name without .md (uses=02-append/appender), separated by commas", v)
		}
		refs = append(refs, useRef{chapter: strings.TrimSuffix(ch, ".md"), program: prog, pos: pos})
	}
	return refs, nil
}

// parseFS parses the value of fs=: filesystems separated by commas, each
// one of model.FSTypes, none twice.
func parseFS(v string) ([]string, error) {
	if v == "" {
		return nil, fmt.Errorf("fs= needs a filesystem, or several separated by commas: fs=ext4,xfs (known: %s)", strings.Join(model.FSTypes, ", "))
	}
	var list []string
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return nil, fmt.Errorf("fs=%q has an empty name: separate filesystems with single commas, as in fs=ext4,xfs", v)
		case slices.Contains(list, name):
			return nil, fmt.Errorf("fs=%q names %s twice", v, name)
		case !slices.Contains(model.FSTypes, name):
			return nil, fmt.Errorf("fs=%q: litbook cannot make a %q filesystem (it makes %s)%s", v, name, strings.Join(model.FSTypes, ", "), suggest(name, model.FSTypes))
		}
		list = append(list, name)
	}
	return list, nil
}

// maxTrials bounds trials=: each trial is a run, and its result is stored.
const maxTrials = 1000

func hasForeground(cmds []*model.Command) bool {
	for _, c := range cmds {
		if !c.Background {
			return true
		}
	}
	return false
}

// PlainText returns the text of an inline container (a heading, a
// paragraph, a link, an image's description) without markup. The site uses
// it for titles, descriptions and the search index.
func PlainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(src))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.AutoLink:
			b.Write(t.Label(src))
		case *ast.CodeSpan:
			for cc := t.FirstChild(); cc != nil; cc = cc.NextSibling() {
				if tt, ok := cc.(*ast.Text); ok {
					b.Write(tt.Segment.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// parseChapter parses one chapter's source and fills ch; programs are
// assembled across the book by the caller.
func parseChapter(md goldmark.Markdown, ch *model.Chapter) (ast.Node, *chapterState) {
	return parseChapterIn(md, ch, "")
}

// parseChapterIn is parseChapter for a chapter of the book in root, from
// which include= reads files.
func parseChapterIn(md goldmark.Markdown, ch *model.Chapter, root string) (ast.Node, *chapterState) {
	st := &chapterState{ch: ch, lines: newLineIndex(ch.Source), root: root}
	pc := parser.NewContext(parser.WithIDs(newHeadingIDs()))
	pc.Set(stateKey, st)
	doc := md.Parser().Parse(text.NewReader(ch.Source), parser.WithContext(pc))
	// Name the unnamed runs after their place in the chapter.
	seen := map[string]model.Pos{}
	for i, r := range st.runs {
		if r.Name == "" {
			r.Name = fmt.Sprintf("run-%d", i+1)
		}
		if prev, dup := seen[r.Name]; dup {
			st.errs.Add(r.Pos, "run %q is already defined at line %d", r.Name, prev.Line)
			continue
		}
		seen[r.Name] = r.Pos
		r.Base = r.Name
		r.ID = ch.Slug + "/" + r.Name
		list := st.fs[r]
		if len(list) == 0 {
			ch.Runs = append(ch.Runs, r)
			continue
		}
		// A block with fs= is one run per filesystem, named NAME[FS]; the
		// block's node keeps the first, whose transcript the page shows.
		base := *r
		for j, fs := range list {
			v := r
			if j > 0 {
				v = new(model.Run)
				*v = base
			}
			v.FS, v.Name = fs, base.Name+"["+fs+"]"
			v.ID = ch.Slug + "/" + v.Name
			r.Family = append(r.Family, v)
			ch.Runs = append(ch.Runs, v)
		}
		for _, v := range r.Family[1:] {
			v.Family = r.Family
		}
	}
	st.found = st.checkRefs(st.found)
	if ch.Title == "" {
		ch.Title = ch.Slug
	}
	return doc, st
}
