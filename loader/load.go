package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark/ast"
)

// Parsed is a book as the loader read it: the model (model.Book, the one
// type named Book), plus what only the loader's users need of the sources:
// each chapter's parsed Markdown for the site to render, the expressions
// of its prose for claims to evaluate, and the files it reads besides the
// chapters.
type Parsed struct {
	*model.Book
	Docs []ast.Node // parallel to Chapters
	// Exprs are the values, claims and charts of every chapter's prose, in
	// book order.
	Exprs []*Expr
	// Unlisted are the Markdown files of the chapters directory that a
	// book.toml with a chapters list leaves out (relative to Root,
	// slash-separated, sorted): the build says so, since an author who
	// adds one and forgets the list would otherwise see nothing happen.
	Unlisted []string
	// Includes are the files that program blocks include (include=),
	// relative to Root, sorted, each once: inputs of the book besides its
	// chapters.
	Includes []string
	// Packages are the files of the packages of the book's module that
	// programs import, directly or not (relative to Root, sorted).
	Packages []string
}

// LoadConfig reads only the book.toml in dir: a Parsed with Root and Config
// and no chapters, for commands that must work on a book whose chapters are
// broken (litbook clean).
func LoadConfig(dir string) (*Parsed, error) {
	b, _, err := open(dir)
	return b, err
}

// open reads book.toml in dir and returns a Parsed with Root and Config set,
// the decoded config, and the problems found in it. A nil Parsed means it
// could not be read or decoded.
func open(dir string) (*Parsed, *config, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := loadConfig(root)
	if cfg == nil {
		return nil, nil, err
	}
	return &Parsed{Book: &model.Book{Root: root, Config: cfg.Config}}, cfg, err
}

// Load reads the book whose book.toml is in dir. On error it returns a
// model.ErrorList with every independent problem it found and, when
// book.toml could be read, the book as far as it loaded, so that a build
// can go on with the chapters that have no error (a chapter that could not
// be read is left out).
func Load(dir string) (*Parsed, error) { return load(context.Background(), dir, nil) }

// ErrInterrupted is the error of a load that its context stopped.
var ErrInterrupted = errors.New("interrupted while loading the book: nothing was changed")

// LoadContext is Load that returns ErrInterrupted as soon as ctx is done,
// even if reading a file is blocked in the kernel (a file system that does
// not answer, such as a hung FUSE or NFS mount): the read is left behind,
// which is harmless since loading starts no process and writes nothing.
func LoadContext(ctx context.Context, dir string) (*Parsed, error) {
	return loadContext(ctx, dir, nil)
}

func loadContext(ctx context.Context, dir string, c *Cache) (*Parsed, error) {
	type loaded struct {
		b   *Parsed
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		b, err := load(ctx, dir, c)
		done <- loaded{b, err}
	}()
	select {
	case l := <-done:
		if ctx.Err() != nil {
			return nil, ErrInterrupted
		}
		return l.b, l.err
	case <-ctx.Done():
		return nil, ErrInterrupted
	}
}

func load(ctx context.Context, dir string, c *Cache) (*Parsed, error) {
	b, cfg, err := open(dir)
	if b == nil {
		return nil, err
	}
	var errs model.ErrorList
	errs.Append(err)
	root := b.Root
	paths, positions, appendix, partOf := chapterPaths(root, cfg, &errs)
	if cfg.chapters != nil {
		b.Unlisted = unlisted(root, paths)
	}
	for _, title := range cfg.parts {
		b.Parts = append(b.Parts, &model.Part{Title: title})
	}
	numbered, lettered := 0, 0
	parsed := parseChapters(ctx, root, paths, c)
	slugs := map[string]string{}
	programs := map[string]*model.Program{}
	var states []*chapterState
	for i, p := range paths {
		if bad := parsed[i].bad; bad != nil {
			errs = append(errs, bad)
			continue
		}
		if err := parsed[i].err; err != nil {
			errs.Add(positions[i], "chapter %q: %v", p, err)
			continue
		}
		ch, doc, st := parsed[i].ch, parsed[i].doc, parsed[i].st
		ch.Appendix = appendix[i]
		if ch.Appendix {
			ch.Number = appendixLetter(lettered)
			lettered++
		} else {
			numbered++
			ch.Number = strconv.Itoa(numbered)
		}
		if partOf[i] >= 0 {
			ch.Part = b.Parts[partOf[i]]
			ch.Part.Chapters = append(ch.Part.Chapters, ch)
		}
		if other, dup := slugs[ch.Slug]; dup {
			errs.Add(positions[i], "chapter %q has the same file name as %q: both would be %s.html", p, other, ch.Slug)
			continue
		}
		slugs[ch.Slug] = p
		chErrs := st.errs
		st.resolveInputs(root, &chErrs)
		// Assemble programs: blocks with the same name in this chapter
		// are one program; the same name in another chapter is an error.
		for _, spec := range st.programs {
			prog := programs[spec.name]
			if prog != nil && prog.Chapter != ch {
				chErrs.Add(spec.pos, "program %q is already defined at %s", spec.name, prog.Pos)
				continue
			}
			if prog == nil {
				prog = &model.Program{Name: spec.name, Chapter: ch, Pos: spec.pos}
				programs[spec.name] = prog
				ch.Programs = append(ch.Programs, prog)
				b.Programs = append(b.Programs, prog)
			}
			var f *model.File
			for _, g := range prog.Files {
				if g.Name == spec.file {
					f = g
				}
			}
			if f == nil {
				f = &model.File{Name: spec.file}
				prog.Files = append(prog.Files, f)
			}
			if spec.from != "" && f.From == nil {
				f.From = make([]string, len(f.Lines), len(f.Lines)+len(spec.lines))
			}
			if f.From != nil {
				for range spec.lines {
					f.From = append(f.From, spec.from)
				}
			}
			f.Source = append(f.Source, spec.code...)
			f.Lines = append(f.Lines, spec.lines...)
			if spec.from != "" && !slices.Contains(b.Includes, spec.from) {
				b.Includes = append(b.Includes, spec.from)
			}
			spec.node.Program, spec.node.File = prog, f
		}
		noGo := func(prog *model.Program) bool {
			return !slices.ContainsFunc(prog.Files, func(f *model.File) bool { return f.IsGo() && !strings.HasSuffix(f.Name, "_test.go") })
		}
		for _, prog := range ch.Programs {
			if noGo(prog) {
				chErrs.Add(prog.Pos, "program %q has no Go file to build: its files are %s", prog.Name, fileNames(prog))
			}
		}
		// Nothing to compile: the error above is the program's only one.
		ch.Programs = slices.DeleteFunc(ch.Programs, noGo)
		b.Programs = slices.DeleteFunc(b.Programs, noGo)
		chErrs.Sort()
		errs = append(errs, chErrs...)
		states = append(states, st)
		b.Chapters = append(b.Chapters, ch)
		b.Docs = append(b.Docs, doc)
		b.Exprs = append(b.Exprs, st.found...)
		b.Runs = append(b.Runs, ch.Runs...)
	}
	slices.Sort(b.Includes)
	var refErrs model.ErrorList
	for _, st := range states {
		refErrs = append(refErrs, st.resolveRuns(programs)...)
	}
	if len(refErrs) > 0 {
		errs = append(errs, refErrs...)
		errs.Sort()
	}
	b.Packages = resolveModules(b.Book)
	for _, r := range b.Runs {
		r.Programs = usedPrograms(r)
	}
	// A part whose chapters all failed to load is left out.
	b.Parts = slices.DeleteFunc(b.Parts, func(p *model.Part) bool { return len(p.Chapters) == 0 })
	if len(paths) == 0 && len(errs) == 0 {
		errs.Add(model.Pos{File: ConfigFile}, "the book has no chapters: list them in [book] chapters, or put .md files in chapters/")
	}
	return b, errs.Err()
}

// appendixLetter returns the letter of the i-th appendix (from 0): A, B,
// ..., Z, AA, AB, ...
func appendixLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// parsedChapter is a chapter read and parsed on its own, before the book
// puts its programs together.
type parsedChapter struct {
	ch  *model.Chapter
	doc ast.Node
	st  *chapterState
	err error        // reading it failed
	bad *model.Error // it is not text: where
}

// notText returns an error at the first byte of src, the chapter at p,
// that is not text: invalid UTF-8 (a binary file, or another encoding),
// NUL, or a control character other than tab, newline, carriage return
// and form feed (ESC and the C1 controls act on terminals). Such a byte is
// a mistake in a chapter, not something to render: shown as U+FFFD or a
// control picture, it would reach readers unnoticed.
func notText(p string, src []byte) *model.Error {
	line, lineStart := 1, 0
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		what := ""
		switch {
		case r == utf8.RuneError && size <= 1:
			what = fmt.Sprintf("invalid UTF-8 (byte 0x%02x): a chapter must be UTF-8 text", src[i])
		case r == 0:
			what = "a NUL byte: a chapter must be text, not binary data"
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f', r == 0x7f, r >= 0x80 && r <= 0x9f:
			what = fmt.Sprintf("control character U+%04X: write it as an escape in code, or leave it out", r)
		case r == '\n':
			line, lineStart = line+1, i+1
		}
		if what != "" {
			return &model.Error{Pos: model.Pos{File: p, Line: line, Col: i - lineStart + 1}, Msg: what}
		}
		i += size
	}
	return nil
}

// parseChapters reads and parses the chapters at paths (relative to root)
// in parallel: parsing is most of the time a large book takes to load.
// Chapters that c holds with the same source are not parsed again.
func parseChapters(ctx context.Context, root string, paths []string, c *Cache) []parsedChapter {
	out := make([]parsedChapter, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(paths), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			md := newMarkdown()
			var buf []byte // for a cache's reads
			for i := range next {
				p := paths[i]
				if ctx.Err() != nil {
					out[i].err = ctx.Err()
					continue
				}
				src, err := c.read(filepath.Join(root, filepath.FromSlash(p)), &buf)
				if err != nil {
					out[i].err = err
					continue
				}
				src = bytes.TrimPrefix(src, utf8BOM)
				if ch, doc, ok := c.get(root, p, src); ok {
					out[i].ch, out[i].doc, out[i].st = ch, doc, &chapterState{ch: ch, root: root}
					continue
				}
				if c != nil {
					src = bytes.Clone(src) // it is buf's
				}
				if bad := notText(p, src); bad != nil {
					out[i].bad = bad
					continue
				}
				ch := &model.Chapter{Path: p, Slug: strings.TrimSuffix(path.Base(p), path.Ext(p)), Source: src}
				out[i].ch = ch
				out[i].doc, out[i].st = parseChapterIn(md, ch, root)
				c.put(root, p, ch, out[i].doc, out[i].st)
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// insideBook returns an error if the chapter at rel (slash-separated,
// relative to root) resolves, through symbolic links, to a file outside the
// book directory, or would be the page of the title page.
//
// realRoot is root with its symbolic links resolved, or "" if they cannot
// be, and realDir resolves a directory's: a book of a thousand chapters
// resolves its root and its chapters' directories once, not per chapter.
func insideBook(root, realRoot, rel string, realDir func(string) (string, error)) error {
	switch strings.TrimSuffix(path.Base(rel), ".md") {
	case "index":
		return errors.New("cannot be called index.md: its page would be the title page (index.html)")
	case "machines":
		return errors.New("cannot be called machines.md: its page would be the Machines page (machines.html)")
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	var real string
	dir, err := realDir(filepath.Dir(p))
	if fi, lerr := os.Lstat(p); err == nil && lerr == nil && fi.Mode()&os.ModeSymlink == 0 {
		real = filepath.Join(dir, filepath.Base(p))
	} else if real, err = filepath.EvalSymlinks(p); err != nil {
		return nil // reported when it is read
	}
	if realRoot == "" {
		return nil
	}
	if r, err := filepath.Rel(realRoot, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return fmt.Errorf("escapes the book directory (it resolves to %s)", real)
	}
	return nil
}

// chapterPaths returns the chapters in reading order, slash-separated and
// relative to root, each with the position that named it and whether it is
// an appendix: those of [book] appendices, after all the others. Without a
// chapters list, the chapters are chapters/*.md by name, less the
// appendices. Paths that escape the book directory are reported and
// dropped.
func chapterPaths(root string, cfg *config, errs *model.ErrorList) (paths []string, pos []model.Pos, appendix []bool, part []int) {
	seen := map[string]bool{}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		realRoot = ""
	}
	type resolved struct {
		dir string
		err error
	}
	dirs := map[string]resolved{}
	realDir := func(dir string) (string, error) {
		r, ok := dirs[dir]
		if !ok {
			r.dir, r.err = filepath.EvalSymlinks(dir)
			dirs[dir] = r
		}
		return r.dir, r.err
	}
	add := func(p string, at model.Pos, isAppendix bool, inPart int) {
		clean := path.Clean(filepath.ToSlash(p))
		switch {
		case p == "":
			errs.Add(at, "empty chapter path")
			return
		case filepath.IsAbs(p) || path.IsAbs(clean):
			errs.Add(at, "chapter path %q must be relative to the book directory", p)
			return
		case clean == ".." || strings.HasPrefix(clean, "../"):
			errs.Add(at, "chapter path %q escapes the book directory", p)
			return
		case path.Ext(clean) != ".md":
			errs.Add(at, "chapter path %q is not a Markdown (.md) file", p)
			return
		case seen[clean]:
			errs.Add(at, "chapter %q is listed twice", p)
			return
		}
		err := fsx.CheckRegular(filepath.Join(root, filepath.FromSlash(clean)))
		var notRegular *fsx.NotRegularError
		switch {
		case errors.Is(err, os.ErrNotExist):
			errs.Add(at, "chapter %q does not exist", p)
			return
		case errors.As(err, &notRegular):
			errs.Add(at, "%s is not a regular file (%s)", p, fsx.Kind(notRegular.Mode))
			return
		}
		if err := insideBook(root, realRoot, clean, realDir); err != nil {
			errs.Add(at, "chapter path %q %v", p, err)
			return
		}
		seen[clean] = true
		paths = append(paths, clean)
		pos = append(pos, at)
		appendix = append(appendix, isAppendix)
		part = append(part, inPart)
	}
	if cfg.chapters == nil {
		appendices := map[string]bool{}
		for _, p := range cfg.appendices {
			appendices[path.Clean(filepath.ToSlash(p))] = true
		}
		matches, _ := filepath.Glob(filepath.Join(root, "chapters", "*.md"))
		sort.Strings(matches)
		for _, m := range matches {
			if p := "chapters/" + filepath.Base(m); !appendices[p] {
				add(p, model.Pos{File: p}, false, -1)
			}
		}
	}
	for i, p := range cfg.chapters {
		add(p, cfg.chapterPos[i], false, cfg.partOf[i])
	}
	for i, p := range cfg.appendices {
		add(p, cfg.appendixPos[i], true, -1)
	}
	return paths, pos, appendix, part
}

// usedPrograms returns the programs that r may call, sorted by name: those
// of its chapter whose name appears as a word anywhere in its commands, so
// that a program started through xargs, env or sh -c counts too, the one
// its directory copies (in=), and those of other chapters it names in
// uses=. A run's
// cache key covers these programs; a false positive only costs a re-run.
func usedPrograms(r *model.Run) []*model.Program {
	words := map[string]bool{}
	for _, c := range r.Commands {
		for _, w := range strings.FieldsFunc(c.Text, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-')
		}) {
			words[w] = true
		}
	}
	var used []*model.Program
	for _, p := range r.Chapter.Programs {
		if words[p.Name] || p.Name == r.Dir {
			used = append(used, p)
		}
	}
	for _, p := range r.Uses {
		if !slices.Contains(used, p) {
			used = append(used, p)
		}
	}
	sort.Slice(used, func(i, j int) bool { return used[i].Name < used[j].Name })
	return used
}

// unlisted returns the files chapters/*.md of the book at root that paths
// does not hold.
func unlisted(root string, paths []string) []string {
	listed := map[string]bool{}
	for _, p := range paths {
		listed[p] = true
	}
	matches, _ := filepath.Glob(filepath.Join(root, "chapters", "*.md"))
	var out []string
	for _, m := range matches {
		if p := "chapters/" + filepath.Base(m); !listed[p] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// resolveRuns resolves, for the runs of st's chapter, the programs of
// other chapters that uses= names and the program that in= names, and
// returns what it cannot resolve. programs are the book's, by name.
func (st *chapterState) resolveRuns(programs map[string]*model.Program) model.ErrorList {
	var errs, all model.ErrorList
	for _, r := range st.ch.Runs {
		block := r // uses= is on the block, which is the first run of its family
		if len(r.Family) > 0 {
			block = r.Family[0]
		}
		for _, ref := range st.uses[block] {
			p := programs[ref.program]
			switch {
			case p == nil:
				errs.Add(ref.pos, "uses=%s/%s: the book has no program %q", ref.chapter, ref.program, ref.program)
			case p.Chapter.Slug != ref.chapter:
				errs.Add(ref.pos, "uses=%s/%s: program %q is defined in %s, not in %s", ref.chapter, ref.program, ref.program, p.Chapter.Path, ref.chapter)
			case p.Chapter == st.ch:
				errs.Add(ref.pos, "uses=%s/%s: %q is a program of this chapter, which its runs see without uses=", ref.chapter, ref.program, ref.program)
			case !slices.Contains(r.Uses, p):
				r.Uses = append(r.Uses, p)
			}
		}
		if p := programs[r.Dir]; r.Dir != "" && (p == nil || p.Chapter != st.ch && !slices.Contains(r.Uses, p)) {
			errs.Add(r.Pos, "in=%s: the run starts in a program's source directory, and %q is not a program of this chapter or of its uses=", r.Dir, r.Dir)
		}
		if block == r { // one report per block, not per filesystem
			all = append(all, errs...)
		}
		errs = nil
	}
	return all
}

// fileNames lists the names of prog's files, for a message.
func fileNames(prog *model.Program) string {
	var names []string
	for _, f := range prog.Files {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}
