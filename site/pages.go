package site

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/litbook/litbook/links"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/naming"
	"github.com/yuin/goldmark"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/style.css
var styleCSS string

// Styles of charts, values and the Machines page, appended to style.css.
//
//go:embed assets/chart.css
var chartCSS string

//go:embed assets/values.css
var valuesCSS string

//go:embed assets/book.css
var bookCSS string

//go:embed assets/litbook.js
var litbookJS []byte

//go:embed assets/favicon.svg
var faviconSVG []byte

//go:embed assets/vendor/minisearch.js
var miniSearchJS []byte

//go:embed assets/vendor/minisearch.LICENSE.txt
var miniSearchLicence []byte

// Files of the site besides the chapter pages.
const (
	IndexPage    = naming.IndexPage
	PrintPage    = naming.PrintPage    // the whole book on one page
	NotFoundPage = naming.NotFoundPage // what servers show for a missing page
	Stylesheet   = "style.css"
	Script       = "litbook.js" // theme switch, search, copy buttons
	Icon         = "favicon.svg"
	// MarkerFile marks a directory as made by litbook, and so safe for
	// litbook to replace or remove. It also records the digest of what
	// the site was made from.
	MarkerFile = ".litbook-site"
)

const markerText = "This directory was made by litbook. `litbook build` replaces it and `litbook clean` removes it: do not keep anything else here.\n"

// page is what the layout template draws.
type page struct {
	Kind            string // "index", "chapter", "machines", "print" or "notfound"
	Lang            string
	Title           string // of the <title> element
	Description     string // of the page, for search engines and previews
	BookTitle       string
	BookDescription string
	// Base is the page's base URL, for the not-found page of a site
	// whose SiteURL is known.
	Base       string
	Authors    string // "Ann, Bob and Carol"
	Assets     assets
	Contents   navList // every chapter: on the title page and the print page only
	Prev, Next *navItem
	Chapter    *model.Chapter
	Content    template.HTML // the chapter, rendered
	Measured   string        // the line on where outputs come from
	Machines   *machinesView // the Machines page
}

// assets names the files that every page links to.
type assets struct {
	Stylesheet, Script, TOC, Icon, Index, Print, Machines string
}

// navItem is a link to a page of the book.
type navItem struct {
	Title, Href string
	Appendix    bool
	Part        string // the title of the chapter's part, if the book has parts
}

// navPart is a part of the book in its contents: its title and chapters,
// numbered from Start.
type navPart struct {
	Title string
	Start int
	Items []navItem
}

// Parts returns the numbered chapters of l grouped by part, or nil when
// the book has no parts.
func (l navList) Parts() []navPart {
	var parts []navPart
	n := 0
	for _, it := range l.Chapters() {
		n++
		if it.Part == "" {
			return nil
		}
		if len(parts) == 0 || parts[len(parts)-1].Title != it.Part {
			parts = append(parts, navPart{Title: it.Part, Start: n})
		}
		parts[len(parts)-1].Items = append(parts[len(parts)-1].Items, it)
	}
	return parts
}

// navList is the book's chapters in reading order, appendices last.
type navList []navItem

// Chapters returns the numbered chapters of l.
func (l navList) Chapters() []navItem { return l.filter(false) }

// Appendices returns the lettered chapters of l.
func (l navList) Appendices() []navItem { return l.filter(true) }

func (l navList) filter(appendix bool) []navItem {
	var out []navItem
	for _, it := range l {
		if it.Appendix == appendix {
			out = append(out, it)
		}
	}
	return out
}

// partView is the title page of a part on the print page.
type partView struct {
	N     int
	Title string
}

// partTitle returns the title of ch's part, or "".
func partTitle(ch *model.Chapter) string {
	if ch.Part == nil {
		return ""
	}
	return ch.Part.Title
}

// chapterOut is what rendering one chapter produced besides its page.
// Its part of the print page goes to a scratch file rather than stay in
// memory until the end: a large book's print page is tens of MB.
type chapterOut struct {
	part     printPart
	docs     []searchDoc
	sections [][2]string
	err      error

	// What an Incremental keeps of the chapter (siteWriter.keep): the
	// digest of its page, its part of the print page, and what its
	// rendering asked the book's links.
	pageSum fileSum
	print   []byte
	trace   []linkQuery
	// search is the chapter's entries of the search index as JSON, the
	// first numbered searchFrom.
	search     []byte
	searchFrom int
}

// render writes the site of in.Book into dir, which exists and is empty:
// the chapters' pages (in parallel), the navigation pages made from what
// the chapters gave (index, Machines, print, not found), then the scripts,
// the stylesheet and the book's files.
func render(in Input, dir string, hl *highlighter) error {
	_, err := renderKeep(in, dir, hl, false)
	return err
}

// renderKeep is render that, with keep set, returns what an Incremental
// keeps of each chapter.
func renderKeep(in Input, dir string, hl *highlighter, keep bool) ([]chapterOut, error) {
	w, err := newSiteWriter(in, dir, hl)
	if err != nil {
		return nil, err
	}
	w.keep = keep
	parts, err := newPrintParts(dir)
	if err != nil {
		return nil, err
	}
	defer parts.close()
	outs := make([]chapterOut, len(w.b.Chapters))
	if err := w.chapters(outs, nil, parts); err != nil {
		return nil, err
	}
	if err := w.navPages(outs, parts); err != nil {
		return nil, err
	}
	return outs, w.assets(outs)
}

// siteWriter is what every page of one site is drawn from.
type siteWriter struct {
	in       Input
	b        *loader.Parsed
	dir      string
	hl       *highlighter
	results  []*model.Result // shown per run, parallel to b.Runs
	byRun    map[*model.Run]*model.Result
	tmpl     *template.Template
	lk       *links.Links
	base     page    // what every page shares
	contents navList // the chapters, in order

	// keep has each chapter's rendering return what an Incremental
	// keeps of it (see chapterOut).
	keep bool
	// mem, if not nil, receives the files of the site instead of dir, by
	// name: an Incremental checks them before it writes any.
	mem   map[string][]byte
	memMu sync.Mutex // chapters are written in parallel
	// printTop, printHeads and printBottom are the print page's top,
	// each chapter's head and its bottom (see printPieces) when mem is
	// set; heads, if not nil, keeps the heads for the next siteWriter.
	printTop, printBottom []byte
	printHeads            [][]byte
	heads                 map[string][]byte
}

func newSiteWriter(in Input, dir string, hl *highlighter) (*siteWriter, error) {
	b, records := in.Book, in.Records
	if len(records) != 0 && len(records) != len(b.Runs) {
		return nil, fmt.Errorf("site: %d records for %d runs", len(records), len(b.Runs))
	}
	if len(b.Docs) != len(b.Chapters) {
		return nil, fmt.Errorf("site: %d parsed documents for %d chapters", len(b.Docs), len(b.Chapters))
	}
	w := &siteWriter{in: in, b: b, dir: dir, hl: hl, results: shownResults(records), byRun: map[*model.Run]*model.Result{}}
	for i, res := range w.results {
		if res != nil {
			w.byRun[b.Runs[i]] = res
		}
	}
	var err error
	w.tmpl, err = templates()
	if err != nil {
		return nil, err
	}
	w.lk = linksFor(b, in.Links, "")
	w.base = page{
		Lang:            b.Config.Language,
		Description:     b.Config.Description,
		BookTitle:       b.Config.Title,
		BookDescription: b.Config.Description,
		Authors:         joinAnd(b.Config.Authors),
		Assets: assets{
			Stylesheet: Stylesheet, Script: Script, TOC: TOCScript, Icon: Icon,
			Index: IndexPage, Print: PrintPage, Machines: MachinesPage,
		},
	}
	w.contents = make(navList, len(b.Chapters))
	for i, ch := range b.Chapters {
		w.contents[i] = navItem{Title: ch.Title, Href: naming.PageURL(ch.Slug), Appendix: ch.Appendix, Part: partTitle(ch)}
	}
	return w, nil
}

// templates are the site's templates, parsed once: they are part of
// litbook, and executing them is safe for concurrent use.
var templates = sync.OnceValues(func() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{
		"utc":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"join": strings.Join,
	}).ParseFS(templateFS, "templates/*.html")
})

// write draws page p through the layout into the file name of the site.
func (w *siteWriter) write(name string, p *page) error {
	var buf bytes.Buffer
	if err := w.tmpl.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("site: %s: %w", name, err)
	}
	return w.writeFile(name, buf.Bytes())
}

// writeFile writes data to the file name of the site, or keeps it in
// w.mem.
func (w *siteWriter) writeFile(name string, data []byte) error {
	if w.mem != nil {
		w.memMu.Lock()
		defer w.memMu.Unlock()
		w.mem[name] = data
		return nil
	}
	return os.WriteFile(filepath.Join(w.dir, name), data, 0o644)
}

// chapters writes the pages of the chapters whose indexes are in which
// (every chapter if which is nil), in parallel: each worker has its own
// renderer, since a renderer knows which chapter it draws. Each chapter's
// part of the print page goes to parts (if not nil), and what the search
// index and the sidebar need of chapter i to outs[i].
func (w *siteWriter) chapters(outs []chapterOut, which []int, parts *printParts) error {
	b := w.b
	if which == nil {
		which = make([]int, len(b.Chapters))
		for i := range which {
			which[i] = i
		}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(which), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nr := &nodeRenderer{hl: w.hl, results: w.byRun, tmpl: w.tmpl, links: w.lk}
			nr.exprs = &exprs{book: b, records: w.in.Records, tmpl: w.tmpl, id: nr.id, store: w.in.Store, machine: w.in.Machine}
			md := newMarkdown(nr)
			for i := range jobs {
				outs[i] = w.chapter(i, nr, md, parts)
			}
		}()
	}
	for _, i := range which {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, i := range which {
		if outs[i].err != nil {
			return outs[i].err
		}
	}
	return nil
}

// chapter draws chapter i twice with the worker's renderer: its page, then
// its part of the print page.
func (w *siteWriter) chapter(i int, nr *nodeRenderer, md goldmark.Markdown, parts *printParts) (o chapterOut) {
	b := w.b
	ch, doc := b.Chapters[i], b.Docs[i]
	nr.chapter = i
	nr.print = false
	nr.exprs.charts, nr.exprs.values, nr.callouts = 0, 0, 0
	nr.memo = map[highlightKey]string{} // for the print pass
	nr.trace = nil
	nr.tracing = w.keep
	var buf bytes.Buffer
	if err := md.Renderer().Render(&buf, ch.Source, doc); err != nil {
		o.err = fmt.Errorf("site: %s: %w", ch.Path, err)
		return o
	}
	p := w.base
	p.Kind = "chapter"
	p.Title = ch.Title + " · " + b.Config.Title
	if d := description(doc, ch.Source); d != "" {
		p.Description = d
	}
	p.Chapter = ch
	p.Content = template.HTML(buf.String())
	if i == 0 {
		p.Prev = &navItem{Title: b.Config.Title, Href: IndexPage}
	} else {
		p.Prev = &w.contents[i-1]
	}
	if i+1 < len(w.contents) {
		p.Next = &w.contents[i+1]
	}
	var page bytes.Buffer
	if err := w.tmpl.ExecuteTemplate(&page, "layout", &p); err != nil {
		o.err = fmt.Errorf("site: %s: %w", naming.PageFile(ch.Slug), err)
		return o
	}
	if w.keep {
		o.pageSum = sumOf(page.Bytes())
	}
	if o.err = w.writeFile(naming.PageFile(ch.Slug), page.Bytes()); o.err != nil {
		return o
	}
	nr.print = true
	nr.exprs.charts, nr.exprs.values, nr.callouts = 0, 0, 0
	buf.Reset()
	if err := md.Renderer().Render(&buf, ch.Source, doc); err != nil {
		o.err = fmt.Errorf("site: %s: %w", ch.Path, err)
		return o
	}
	nr.memo = nil
	if w.keep {
		o.print = bytes.Clone(buf.Bytes())
		o.trace = nr.trace
	}
	if parts != nil {
		if o.part, o.err = parts.add(buf.Bytes()); o.err != nil {
			return o
		}
	}
	o.docs = searchDocs(b, i, w.byRun, nr.exprs.text)
	o.sections = sections(doc, ch.Source)
	return o
}

// navPages writes the pages made from the chapters: the title page, the
// Machines page, the print page and the not-found page.
func (w *siteWriter) navPages(outs []chapterOut, parts *printParts) error {
	b := w.b
	measured := measuredLine(w.results)
	index := w.base
	index.Kind = "index"
	index.Title = b.Config.Title
	index.Contents = w.contents
	index.Measured = measured
	if len(w.contents) > 0 {
		index.Next = &w.contents[0]
	}
	if err := w.write(IndexPage, &index); err != nil {
		return err
	}

	machines := w.base
	machines.Kind = "machines"
	machines.Title = "Machines · " + b.Config.Title
	machines.Machines = newMachinesView(b, w.in.Records, w.in.Store, w.in.Machine)
	machines.Prev = &navItem{Title: b.Config.Title, Href: IndexPage}
	if err := w.write(MachinesPage, &machines); err != nil {
		return err
	}

	pr := w.base
	pr.Kind = "print"
	pr.Title = b.Config.Title
	pr.Measured = measured
	pr.Contents = make(navList, len(b.Chapters))
	for i, ch := range b.Chapters {
		pr.Contents[i] = navItem{Title: ch.Title, Href: naming.Fragment(naming.PrintID(ch, "")), Appendix: ch.Appendix, Part: partTitle(ch)}
	}
	if w.mem != nil {
		// An Incremental writes the pieces, and checks them one by one.
		w.printHeads = make([][]byte, len(b.Chapters))
		err := printPieces(w.tmpl, &pr, b, w.heads, func(i int, data []byte) error {
			switch {
			case i < 0:
				w.printTop = bytes.Clone(data)
			case i == len(b.Chapters):
				w.printBottom = bytes.Clone(data)
			default:
				w.printHeads[i] = data
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		if err := writePrintPage(w.tmpl, &pr, b, parts, outs, filepath.Join(w.dir, PrintPage)); err != nil {
			return err
		}
		if err := parts.close(); err != nil {
			return err
		}
	}

	nf := w.base
	nf.Kind = "notfound"
	nf.Base = b.Config.SiteURL
	nf.Title = "Page not found · " + b.Config.Title
	return w.write(NotFoundPage, &nf)
}

// assets writes the search index and the sidebar's contents, made from
// the chapters, the stylesheet and the scripts, and copies the files the
// chapters link to.
func (w *siteWriter) assets(outs []chapterOut) error {
	var docs []searchDoc
	secs := make([][][2]string, len(w.b.Chapters))
	for i, o := range outs {
		for _, d := range o.docs {
			d.ID = len(docs)
			docs = append(docs, d)
		}
		secs[i] = o.sections
	}
	var search []byte
	var err error
	if w.keep && len(docs) > 0 {
		search, err = w.searchIndexKept(outs)
	} else {
		search, err = searchIndexJS(docs)
	}
	if err != nil {
		return err
	}
	toc, err := tocJS(w.b, secs)
	if err != nil {
		return err
	}
	css, err := stylesheet()
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		Stylesheet:        css,
		Script:            litbookJS,
		TOCScript:         toc,
		SearchIndex:       search,
		MiniSearch:        miniSearchJS,
		MiniSearchLicence: miniSearchLicence,
		Icon:              faviconSVG,
	} {
		if err := w.writeFile(name, data); err != nil {
			return err
		}
	}
	if w.mem != nil {
		return nil // an Incremental writes only when the files are unchanged
	}
	return copyFiles(w.b.Root, w.lk.Files(), w.dir)
}

// searchIndexKept is searchIndexJS for the chapters' entries, made from
// the JSON each chapter's kept, if it numbers them as they are now, and
// kept in outs for the next time.
func (w *siteWriter) searchIndexKept(outs []chapterOut) ([]byte, error) {
	id := 0
	for i := range outs {
		o := &outs[i]
		if o.search == nil || o.searchFrom != id {
			var js bytes.Buffer
			for j, d := range o.docs {
				d.ID = id + j
				data, err := json.Marshal(d)
				if err != nil {
					return nil, err
				}
				if js.Len() > 0 {
					js.WriteByte(',')
				}
				js.Write(data)
			}
			o.search, o.searchFrom = js.Bytes(), id
			if o.search == nil {
				o.search = []byte{}
			}
		}
		id += len(o.docs)
	}
	size := 0
	for _, o := range outs {
		size += len(o.search) + 1
	}
	var buf bytes.Buffer
	buf.Grow(size + 64)
	buf.WriteString("window.litbookSearchDocs = [")
	id = 0
	for _, o := range outs {
		if len(o.search) > 0 {
			if id > 0 {
				buf.WriteByte(',')
			}
			buf.Write(o.search)
		}
		id += len(o.docs)
	}
	buf.WriteString("];\n")
	return buf.Bytes(), nil
}

// printParts is a scratch file that collects the chapters' parts of the
// print page as workers finish them, in any order.
type printParts struct {
	mu  sync.Mutex
	f   *os.File
	off int64
}

// printPart is where a chapter's part is in the scratch file.
type printPart struct{ off, n int64 }

func newPrintParts(dir string) (*printParts, error) {
	f, err := os.CreateTemp(dir, ".print-parts-")
	if err != nil {
		return nil, err
	}
	return &printParts{f: f}, nil
}

func (p *printParts) add(data []byte) (printPart, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.f.Write(data)
	part := printPart{p.off, int64(n)}
	p.off += int64(n)
	return part, err
}

// close removes the scratch file; it may be called more than once.
func (p *printParts) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return nil
	}
	p.f.Close()
	err := os.Remove(p.f.Name())
	p.f = nil
	return err
}

// writePrintPage writes the print page to file: the top of the page, each
// chapter's part from parts, the bottom.
func writePrintPage(tmpl *template.Template, p *page, b *loader.Parsed, parts *printParts, outs []chapterOut, file string) (err error) {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 256<<10)
	err = printPieces(tmpl, p, b, nil, func(i int, data []byte) error {
		if _, err := w.Write(data); err != nil || i < 0 || i >= len(b.Chapters) {
			return err
		}
		part := outs[i].part
		if _, err := io.Copy(w, io.NewSectionReader(parts.f, part.off, part.n)); err != nil {
			return err
		}
		_, err := w.WriteString(articleEnd)
		return err
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

// printPieces makes the print page piece by piece and gives each to emit
// in order: the top of the page (piece -1), each chapter's head (piece i
// for chapter i: its part's title page if it starts one, and the start of
// its article), which emit follows with the chapter's part of the page
// and articleEnd, and the bottom (piece len(b.Chapters)). Each chapter's
// piece is whole elements, so that the ids and links of the page are
// those of its pieces. heads, if not nil, keeps the heads made, and gives
// those made before.
func printPieces(tmpl *template.Template, p *page, b *loader.Parsed, heads map[string][]byte, emit func(i int, data []byte) error) error {
	var buf bytes.Buffer
	for _, t := range []string{"top", "print-top"} {
		if err := tmpl.ExecuteTemplate(&buf, t, p); err != nil {
			return fmt.Errorf("site: %s: %w", PrintPage, err)
		}
	}
	if err := emit(-1, buf.Bytes()); err != nil {
		return err
	}
	for i, ch := range b.Chapters {
		var part *partView
		if ch.Part != nil && ch.Part.Chapters[0] == ch {
			part = &partView{N: slices.Index(b.Parts, ch.Part) + 1, Title: ch.Part.Title}
		}
		id := naming.PrintID(ch, "")
		key := fmt.Sprintf("%#v\x00%s", part, id)
		if part != nil {
			key = fmt.Sprintf("%#v\x00%s", *part, id)
		}
		head, ok := heads[key]
		if !ok {
			buf.Reset()
			if part != nil {
				if err := tmpl.ExecuteTemplate(&buf, "print-part", *part); err != nil {
					return fmt.Errorf("site: %s: %w", PrintPage, err)
				}
			}
			if err := tmpl.ExecuteTemplate(&buf, "print-chapter", id); err != nil {
				return fmt.Errorf("site: %s: %w", PrintPage, err)
			}
			head = bytes.Clone(buf.Bytes())
			if heads != nil {
				heads[key] = head
			}
		}
		if err := emit(i, head); err != nil {
			return err
		}
	}
	buf.Reset()
	if err := tmpl.ExecuteTemplate(&buf, "bottom", p); err != nil {
		return fmt.Errorf("site: %s: %w", PrintPage, err)
	}
	return emit(len(b.Chapters), buf.Bytes())
}

// articleEnd ends each chapter's article on the print page.
const articleEnd = "</article>\n"

// shownResults returns the result each run's transcript shows: its first
// trial.
func shownResults(records []*model.Record) []*model.Result {
	if records == nil {
		return nil
	}
	results := make([]*model.Result, len(records))
	for i, rec := range records {
		if rec != nil && len(rec.Trials) > 0 {
			results[i] = rec.Trials[0]
		}
	}
	return results
}

// stylesheet returns style.css: the page styles, with chroma's rules for
// the light and the dark palette.
func stylesheet() ([]byte, error) {
	t, err := texttemplate.New(Stylesheet).Parse(styleCSS)
	if err != nil {
		return nil, err
	}
	var data struct{ ChromaLight, ChromaDark string }
	if data.ChromaLight, err = chromaCSS(lightStyle); err != nil {
		return nil, err
	}
	if data.ChromaDark, err = chromaCSS(darkStyle); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, err
	}
	buf.WriteString("\n" + chartCSS + "\n" + valuesCSS + "\n" + bookCSS)
	return buf.Bytes(), nil
}

// measuredLine tells readers of the title page where the outputs of the
// book come from: the machine of the first result, and how many results
// came from elsewhere or are missing.
func measuredLine(results []*model.Result) string {
	var first *model.Result
	var missing, elsewhere int
	var from, to time.Time
	for _, r := range results {
		switch {
		case r == nil:
			missing++
			continue
		case first == nil:
			first = r
		case !sameMachine(first.Machine, r.Machine):
			elsewhere++
			continue
		}
		if !r.Start.IsZero() && (from.IsZero() || r.Start.Before(from)) {
			from = r.Start
		}
		if r.Start.After(to) {
			to = r.Start
		}
	}
	if first == nil {
		if len(results) == 0 {
			return "Nothing in this book has been run yet: its transcripts show commands without output."
		}
		return fmt.Sprintf("None of the book's %s transcripts has been run yet: they show commands without output.", formatCount(int64(len(results))))
	}
	var b strings.Builder
	if elsewhere == 0 && missing == 0 {
		b.WriteString("Every output in this book was captured by running its programs")
	} else {
		b.WriteString("The outputs in this book were captured by running its programs")
	}
	if parts := machineParts(first.Machine); len(parts) > 0 {
		fmt.Fprintf(&b, " on %s", strings.Join(parts, ", "))
	}
	switch {
	case from.IsZero():
	case from.UTC().Format(time.DateOnly) == to.UTC().Format(time.DateOnly):
		fmt.Fprintf(&b, ", on %s", from.UTC().Format(time.DateOnly))
	default:
		fmt.Fprintf(&b, ", between %s and %s", from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))
	}
	b.WriteString(".")
	if elsewhere > 0 {
		fmt.Fprintf(&b, " %s measured on other machines; each says where.", plural(elsewhere, "transcript was", "transcripts were"))
	}
	if missing > 0 {
		fmt.Fprintf(&b, " %s not been run yet.", plural(missing, "transcript has", "transcripts have"))
	}
	b.WriteString(" Each transcript says where and when it ran.")
	return b.String()
}

// plural returns "1 thing is" or "3 things are".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return formatCount(int64(n)) + " " + many
}
