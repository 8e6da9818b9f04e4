// Package links checks the links of a book before anything runs: every
// link between chapters, to their anchors, to the pages of the site and to
// the book's files (Check), and, on request, every http and https link
// (External). It knows the site's page names from package naming, not
// from the renderer, so that litbook test checks links without one. The
// renderer draws links from what Resolve found.
package links

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/internal/par"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/naming"
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// linkKind says what a link in a chapter points at.
type linkKind int

const (
	linkExternal linkKind = iota // has a scheme or a host: left alone
	linkSelf                     // #fragment on the same page
	linkChapter                  // a chapter's Markdown file or page, maybe with a fragment
	linkPage                     // a page the site makes besides the chapters
	linkFile                     // another file of the book, copied into the site
)

// target is where a link of a chapter leads.
type target struct {
	kind    linkKind
	chapter int    // index of the chapter, for linkSelf and linkChapter
	frag    string // the fragment, unescaped, without '#'
	page    string // for linkPage: the page's file name
	file    string // for linkFile: slash-separated path relative to the book root
}

// generatedPages are the pages a chapter may link to besides chapters,
// with the ids each holds; nil where they depend on what the build
// measures (machines) or follow the chapters' (print), so that a fragment
// is not checked.
var generatedPages = map[string][]string{
	naming.IndexPage:    {naming.ContentsID},
	naming.PrintPage:    nil,
	naming.MachinesPage: nil,
}

// linkIndex knows every page of the site and every id on it, to resolve
// and check the links of chapters.
type linkIndex struct {
	b        *loader.Parsed
	byPath   map[string]int // chapter path → index
	bySlug   map[string]int // page file name → chapter index
	anchors  []map[string]bool
	buildDir string // absolute, or empty: files in it cannot be linked to
}

func newLinkIndex(b *loader.Parsed, buildDir string) *linkIndex {
	return newLinkIndexFound(b, buildDir, nil)
}

// newLinkIndexFound is newLinkIndex that takes the ids of chapter i's page
// from found[i] when it is not nil, and fills it in otherwise (when found
// is not nil).
func newLinkIndexFound(b *loader.Parsed, buildDir string, found []*docLinks) *linkIndex {
	ix := &linkIndex{
		b:       b,
		byPath:  map[string]int{},
		bySlug:  map[string]int{},
		anchors: make([]map[string]bool, len(b.Chapters)),
	}
	if buildDir != "" {
		if abs, err := filepath.Abs(buildDir); err == nil {
			ix.buildDir = fsx.RealPath(abs)
		}
	}
	for i, ch := range b.Chapters {
		ix.byPath[ch.Path] = i
		ix.bySlug[ch.Slug+".html"] = i
	}
	par.Each(min(len(b.Chapters), len(b.Docs)), func(i int) {
		if found != nil && found[i] != nil {
			ix.anchors[i] = found[i].anchors
			return
		}
		ix.anchors[i] = anchorsOf(b.Docs[i], b.Chapters[i])
		if found != nil && cacheable(b.Chapters[i]) {
			ch := b.Chapters[i]
			found[i] = &docLinks{path: ch.Path, source: ch.Source, anchors: ix.anchors[i], links: linksOf(b.Docs[i], ch)}
		}
	})
	return ix
}

// anchorsOf returns every id that the page of ch holds: its headings, its
// runs' figures and its footnotes.
func anchorsOf(doc ast.Node, ch *model.Chapter) map[string]bool {
	ids := map[string]bool{}
	for _, r := range ch.Runs {
		ids[naming.RunID(r)] = true
	}
	for _, l := range ch.Labels {
		if l.ID != "" {
			ids[l.ID] = true
		}
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if id := naming.HeadingID(n); id != "" {
				ids[id] = true
			}
		case *east.Footnote:
			ids[fmt.Sprintf("fn:%d", n.Index)] = true
		case *east.FootnoteLink:
			if n.RefIndex > 0 {
				ids[fmt.Sprintf("fnref%d:%d", n.RefIndex, n.Index)] = true
			} else {
				ids[fmt.Sprintf("fnref:%d", n.Index)] = true
			}
		}
		return ast.WalkContinue, nil
	})
	return ids
}

// resolve works out where dest, a link destination written in chapter
// from, leads. A non-empty problem says why it leads nowhere.
func (ix *linkIndex) resolve(from int, dest string) (t target, problem string) {
	ch := ix.b.Chapters[from]
	if dest == "" {
		return target{kind: linkSelf, chapter: from}, ""
	}
	u, err := url.Parse(dest)
	if err != nil {
		return t, fmt.Sprintf("link %q is not a valid URL: %v", dest, errText(err))
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(dest, "//") {
		if why := refusedScheme(dest, u.Scheme); why != "" {
			return t, fmt.Sprintf("link %q: %s", dest, why)
		}
		return target{kind: linkExternal}, ""
	}
	frag := u.Fragment
	if u.Path == "" {
		t = target{kind: linkSelf, chapter: from, frag: frag}
		if frag != "" && !ix.anchors[from][frag] {
			return t, fmt.Sprintf("link to #%s: no such anchor in %s%s", frag, ch.Path, ix.suggestAnchor(from, frag))
		}
		return t, ""
	}
	if strings.HasPrefix(u.Path, "/") {
		return t, fmt.Sprintf("link %q is absolute: write it relative to %s, so that the site works from any directory", dest, ch.Path)
	}
	rel := path.Join(path.Dir(ch.Path), u.Path)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return t, fmt.Sprintf("link %q leads outside the book directory", dest)
	}
	// A chapter, by its Markdown file or by its page.
	// Pages of the site sit side by side: "x.html" or "./x.html".
	name := path.Clean(u.Path)
	if strings.Contains(name, "/") {
		name = ""
	}
	i, ok := ix.byPath[rel]
	if !ok && name != "" {
		i, ok = ix.bySlug[name]
	}
	if ok {
		t = target{kind: linkChapter, chapter: i, frag: frag}
		if frag != "" && !ix.anchors[i][frag] {
			return t, fmt.Sprintf("link %q: no anchor #%s in %s%s", dest, frag, ix.b.Chapters[i].Path, ix.suggestAnchor(i, frag))
		}
		return t, ""
	}
	if ids, ok := generatedPages[name]; ok && name != "" {
		t = target{kind: linkPage, page: name, frag: frag}
		if frag != "" && ids != nil && !contains(ids, frag) {
			return t, fmt.Sprintf("link %q: the page %s has no anchor #%s", dest, name, frag)
		}
		return t, ""
	}
	if path.Ext(rel) == ".md" {
		return t, fmt.Sprintf("link %q: %s is not a chapter of the book%s", dest, rel, ix.suggestChapter(from, rel))
	}
	// Any other file of the book: it must exist, be a regular file, and
	// stay out of the site and litbook's work directory.
	abs := filepath.Join(ix.b.Root, filepath.FromSlash(rel))
	fi, err := os.Stat(abs)
	switch {
	case err != nil:
		return t, fmt.Sprintf("link %q: %s does not exist%s", dest, rel, ix.suggestChapter(from, rel))
	case fi.IsDir():
		return t, fmt.Sprintf("link %q: %s is a directory; link to a file", dest, rel)
	case !fi.Mode().IsRegular():
		return t, fmt.Sprintf("link %q: %s is not a regular file (%s)", dest, rel, fsx.Kind(fi.Mode()))
	case rel == ".litbook" || strings.HasPrefix(rel, ".litbook/"):
		return t, fmt.Sprintf("link %q: %s is in litbook's work directory", dest, rel)
	case ix.buildDir != "" && fsx.Within(ix.buildDir, fsx.RealPath(abs)):
		return t, fmt.Sprintf("link %q: %s is in the build directory, which every build replaces", dest, rel)
	}
	if err := insideRoot(ix.b.Root, abs); err != nil {
		return t, fmt.Sprintf("link %q: %v", dest, err)
	}
	return target{kind: linkFile, file: rel, frag: frag}, ""
}

// refusedScheme says why a link with scheme cannot be on a page, or "".
// The page leaves such a link out (an empty href), as goldmark does, so
// the author must hear of it here.
func refusedScheme(dest, scheme string) string {
	if !gmhtml.IsDangerousURL([]byte(dest)) {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "file":
		return "file: links lead to a file of the reader's own computer, not of the book; link to a file of the book by its path relative to the chapter, and the site will hold a copy"
	case "javascript", "vbscript":
		return scheme + ": links run code, and pages leave them out; link to a page or a file instead"
	}
	return scheme + ": links are left out of pages, as they could run code; link to a page or a file instead"
}

// insideRoot returns an error if abs resolves, through symbolic links, to
// a file outside root.
func insideRoot(root, abs string) error {
	if fsx.Within(fsx.RealPath(root), fsx.RealPath(abs)) {
		return nil
	}
	return fmt.Errorf("%s resolves to a file outside the book directory", abs)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// errText is an error's text without the "parse "x": " that net/url puts
// before it.
func errText(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// suggestAnchor returns ` (did you mean #x?)` for the anchor of chapter i
// closest to frag, or "".
func (ix *linkIndex) suggestAnchor(i int, frag string) string {
	best, bestD := "", len(frag)/2+2
	ids := make([]string, 0, len(ix.anchors[i]))
	for id := range ix.anchors[i] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	lower := strings.ToLower(frag)
	for _, id := range ids {
		d := editDistance(lower, id)
		if strings.HasPrefix(id, lower) {
			d = min(d, 1) // a heading's id cut short
		}
		if d < bestD {
			best, bestD = id, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean #" + best + "?)"
}

// suggestChapter returns " (did you mean x.md?)" naming the chapter that
// rel, a path of the book that leads nowhere, most likely meant: the one
// whose file name without its extension and number prefix is nearest to
// rel's, written as a link from chapter from would be; or "".
func (ix *linkIndex) suggestChapter(from int, rel string) string {
	stem := func(p string) string {
		p = strings.ToLower(strings.TrimSuffix(path.Base(p), path.Ext(p)))
		return strings.TrimLeft(p, "0123456789-_")
	}
	want := stem(rel)
	if want == "" {
		return ""
	}
	best, bestD := -1, len(want)/3+1
	for i, ch := range ix.b.Chapters {
		d := editDistance(want, stem(ch.Path))
		if full := strings.ToLower(strings.TrimSuffix(path.Base(rel), path.Ext(rel))); full == ch.Slug {
			d = 0
		}
		if d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 {
		return ""
	}
	target := ix.b.Chapters[best].Path
	if r, err := filepath.Rel(path.Dir(ix.b.Chapters[from].Path), target); err == nil {
		target = filepath.ToSlash(r)
	}
	return " (did you mean " + target + "?)"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// link is a link or image of a chapter, with the position of its text.
type link struct {
	node ast.Node // *ast.Link or *ast.Image
	dest string
	pos  model.Pos
}

// linksOf returns the links and images of chapter ch, parsed into doc, in
// source order.
func linksOf(doc ast.Node, ch *model.Chapter) []link {
	var links []link
	var lines []int // lazily built line index of ch.Source
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var dest []byte
		switch n := n.(type) {
		case *ast.Link:
			dest = n.Destination
		case *ast.Image:
			dest = n.Destination
		default:
			return ast.WalkContinue, nil
		}
		if lines == nil {
			lines = lineStarts(ch.Source)
		}
		links = append(links, link{node: n, dest: string(dest), pos: model.Pos{File: ch.Path, Line: lineOf(lines, nodeOffset(n))}})
		return ast.WalkContinue, nil
	})
	return links
}

// nodeOffset returns the source offset of the first text inside n, or of
// the first line of the nearest block around it; -1 if there is none.
func nodeOffset(n ast.Node) int {
	off := -1
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			off = t.Segment.Start
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	for p := n; off < 0 && p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
			off = p.Lines().At(0).Start
		}
	}
	return off
}

// lineStarts returns the offsets at which the lines of src start.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineOf returns the 1-based line of offset off, or 0 if off < 0.
func lineOf(starts []int, off int) int {
	if off < 0 {
		return 0
	}
	return sort.Search(len(starts), func(i int) bool { return starts[i] > off })
}

// Links is what Resolve found out about the links of a book: where each
// leads, and the book's files they lead to. The renderer draws links from
// it.
type Links struct {
	index *linkIndex
	files []string // the book files chapters link to, sorted
}

// Check checks every link and image of every chapter of b that does not
// lead to another site: a link to a chapter (by its .md file or its .html
// page) or to a page of the site must lead to an existing page, a
// #fragment to an id on that page, and a link to any other file to a
// regular file inside the book (which the site will hold a copy of). A
// link with a scheme that a page must not follow (file:, javascript: and
// the like) is an error too. The error is a model.ErrorList with one error
// per broken link, at the line of the link in its chapter.
func Check(b *loader.Parsed) error {
	_, err := Resolve(b, "")
	return err
}

// Resolve checks the links of b as Check does and returns where each
// leads, for the renderer. buildDir, if not empty, is where the site will
// be written: files in it cannot be linked to. The Links are complete even
// when the error is not nil: a broken link is drawn as written.
func Resolve(b *loader.Parsed, buildDir string) (*Links, error) {
	return resolve(b, buildDir, nil)
}

// resolve is Resolve that takes what found holds (see newLinkIndexFound).
func resolve(b *loader.Parsed, buildDir string, found []*docLinks) (*Links, error) {
	ix := newLinkIndexFound(b, buildDir, found)
	n := min(len(b.Chapters), len(b.Docs))
	errs := make([]model.ErrorList, n)
	files := make([][]string, n)
	par.Each(n, func(i int) {
		var ls []link
		if found != nil && found[i] != nil {
			ls = found[i].links
		} else {
			ls = linksOf(b.Docs[i], b.Chapters[i])
		}
		for _, l := range ls {
			t, problem := ix.resolve(i, l.dest)
			if problem == "" {
				problem = ix.checkXref(l, t)
			}
			switch {
			case problem != "":
				errs[i] = append(errs[i], &model.Error{Pos: l.pos, Msg: problem})
			case t.kind == linkFile:
				files[i] = append(files[i], t.file)
			}
		}
	})
	var all model.ErrorList
	seen := map[string]bool{}
	links := &Links{index: ix}
	for i := range n {
		all = append(all, errs[i]...)
		for _, f := range files[i] {
			if !seen[f] {
				seen[f] = true
				links.files = append(links.files, f)
			}
		}
	}
	sort.Strings(links.files)
	return links, all.Err()
}

// Dependencies returns the files, relative to the book root and
// slash-separated, that the site of b is made from besides book.toml and
// the chapters: the files chapters link to or show. litbook serve watches
// them.
func Dependencies(b *loader.Parsed) []string {
	links, _ := Resolve(b, "")
	return links.files
}

// Book is the book whose links l resolved.
func (l *Links) Book() *loader.Parsed { return l.index.b }

// Files returns the book's files, relative to its root and
// slash-separated, that chapters link to or show, sorted: the site holds a
// copy of each under naming.FilesDir.
func (l *Links) Files() []string { return l.files }

// Href returns the URL that dest, a link destination written in the
// chapter numbered chapter, has on that chapter's page, or, with print
// set, on the print page, where every chapter is a section whose ids are
// prefixed with its slug. ok is false if dest leads nowhere (Check reports
// it); the URL is then dest as written.
func (l *Links) Href(chapter int, dest string, print bool) (href string, ok bool) {
	t, problem := l.index.resolve(chapter, dest)
	if problem != "" {
		return dest, false
	}
	return l.index.href(t, dest, print), true
}

// href returns the URL that a resolved link has on a chapter's page, or,
// with print set, on the print page.
func (ix *linkIndex) href(t target, dest string, print bool) string {
	withFrag := func(s, frag string) string {
		if frag == "" {
			return s
		}
		return s + "#" + frag
	}
	switch t.kind {
	case linkSelf:
		if !print {
			return dest
		}
		return "#" + naming.PrintID(ix.b.Chapters[t.chapter], t.frag)
	case linkChapter:
		ch := ix.b.Chapters[t.chapter]
		if print {
			return "#" + naming.PrintID(ch, t.frag)
		}
		return withFrag(naming.PageURL(ch.Slug), url.PathEscape(t.frag))
	case linkFile:
		return withFrag(naming.FileURL(t.file), url.PathEscape(t.frag))
	}
	return dest
}

// xrefText is what an empty link ([](#fig-race)) shows: the name of
// what it leads to ("Figure 2.1", "Table 1.1", "Chapter 3", "Appendix A",
// "run race") or the text of the heading; "" for anything else.
func (ix *linkIndex) xrefText(t target) string {
	if t.kind != linkSelf && t.kind != linkChapter {
		return ""
	}
	ch := ix.b.Chapters[t.chapter]
	if t.frag == "" {
		if t.kind == linkSelf {
			return ""
		}
		return ch.Name()
	}
	if l := ch.Label(t.frag); l != nil {
		return l.Name()
	}
	for _, run := range ch.Runs {
		if naming.RunID(run) == t.frag {
			return "run " + run.Name
		}
	}
	if t.chapter < len(ix.b.Docs) {
		title := ""
		_ = ast.Walk(ix.b.Docs[t.chapter], func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if h, ok := n.(*ast.Heading); ok && entering {
				if naming.HeadingID(h) == t.frag {
					title = loader.PlainText(h, ch.Source)
					return ast.WalkStop, nil
				}
				return ast.WalkSkipChildren, nil
			}
			return ast.WalkContinue, nil
		})
		return title
	}
	return ""
}

// checkXref returns the problem with link l of chapter i, resolved to t,
// if it is a cross-reference (a link without text, which shows the name of
// what it leads to) that leads to nothing with a name: a cross-reference
// must lead to a figure, a table, a run, a heading or a chapter.
func (ix *linkIndex) checkXref(l link, t target) string {
	n, ok := l.node.(*ast.Link)
	if !ok || n.ChildCount() > 0 {
		return ""
	}
	if ix.xrefText(t) != "" {
		return ""
	}
	return fmt.Sprintf("link [](%s) has no text, so it shows the name of what it leads to, and %s has none: refer to a figure (#fig-...), a table (#tbl-...), a run (#run-...), a heading or a chapter, or write the link's text", l.dest, l.dest)
}

// XrefText returns what a link without text, written as dest in the
// chapter numbered chapter, shows: the name of what it leads to ("Figure
// 2.1", "Chapter 3", "run race") or its heading's text; "" if it leads
// nowhere or to nothing with a name.
// Chapter returns the index of the chapter that dest, a link in chapter,
// leads to, if it leads to one (the chapter itself included), and -1
// otherwise. Href and XrefText answer for such a link from what that
// chapter's source makes of it, with its number, and from where the
// chapter is in the book: a caller that knows neither changed knows the
// answers did not.
func (l *Links) Chapter(chapter int, dest string) int {
	t, problem := l.index.resolve(chapter, dest)
	if problem != "" || t.kind != linkSelf && t.kind != linkChapter {
		return -1
	}
	return t.chapter
}

func (l *Links) XrefText(chapter int, dest string) string {
	t, problem := l.index.resolve(chapter, dest)
	if problem != "" {
		return ""
	}
	return l.index.xrefText(t)
}
