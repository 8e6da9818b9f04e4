package site

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/litbook/litbook/model"
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

// Files of the site besides the chapter pages.
const (
	IndexPage  = "index.html"
	Stylesheet = "style.css"
	// MarkerFile marks a directory as made by litbook, and so safe for
	// litbook to replace or remove.
	MarkerFile = ".litbook-site"
)

const markerText = "This directory was made by litbook. `litbook build` replaces it and `litbook clean` removes it: do not keep anything else here.\n"

// page is what the layout template draws: the title page when Chapter is
// nil, a chapter page otherwise.
type page struct {
	Lang        string
	Title       string // of the <title> element
	Description string
	BookTitle   string
	Authors     string // "Ann, Bob and Carol"
	Stylesheet  string
	Nav         []navItem // every chapter, for the sidebar and the contents
	Prev, Next  *navItem
	Chapter     *model.Chapter
	Content     template.HTML // the chapter, rendered
	Measured    string        // the title page's line on where outputs come from
	Machines    *machinesView // the Machines page
}

// navItem is a link to a page of the book.
type navItem struct {
	Title, Href string
	Current     bool
}

// pageURL is the relative URL of a chapter's page; relative so that the
// site works from file://.
func pageURL(slug string) string {
	u := url.PathEscape(slug) + ".html"
	if strings.Contains(u, ":") {
		u = "./" + u // not a scheme
	}
	return u
}

// render writes the site of b into dir, which exists and is empty.
func render(in Input, dir string) error {
	b, records := in.Book, in.Records
	if len(records) != 0 && len(records) != len(b.Runs) {
		return fmt.Errorf("site: %d records for %d runs", len(records), len(b.Runs))
	}
	results := shownResults(records)
	if len(b.Docs) != len(b.Chapters) {
		return fmt.Errorf("site: %d parsed documents for %d chapters", len(b.Docs), len(b.Chapters))
	}
	byRun := map[*model.Run]*model.Result{}
	for i, res := range results {
		if res != nil {
			byRun[b.Runs[i]] = res
		}
	}
	pages := map[string]string{} // chapter path → page URL
	for _, ch := range b.Chapters {
		// The loader refuses a chapter named index.md, whose page would
		// be the title page.
		pages[ch.Path] = pageURL(ch.Slug)
	}

	tmpl, err := template.New("").Funcs(template.FuncMap{
		"utc":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"join": strings.Join,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	nr := &nodeRenderer{hl: newHighlighter(), results: byRun, tmpl: tmpl, exprs: &exprs{book: b, records: records, tmpl: tmpl}}
	md := newMarkdown(nr)

	base := page{
		Lang:        b.Config.Language,
		Description: b.Config.Description,
		BookTitle:   b.Config.Title,
		Authors:     joinAnd(b.Config.Authors),
		Stylesheet:  Stylesheet,
	}
	nav := func(current int) []navItem {
		items := make([]navItem, len(b.Chapters))
		for i, ch := range b.Chapters {
			items[i] = navItem{Title: ch.Title, Href: pages[ch.Path], Current: i == current}
		}
		return items
	}
	write := func(name string, p *page) error {
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, "layout", p); err != nil {
			return fmt.Errorf("site: %s: %w", name, err)
		}
		return os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644)
	}

	index := base
	index.Title = b.Config.Title
	index.Nav = nav(-1)
	index.Measured = measuredLine(results)
	if len(index.Nav) > 0 {
		index.Next = &index.Nav[0]
	}
	if err := write(IndexPage, &index); err != nil {
		return err
	}
	for i, ch := range b.Chapters {
		p := base
		p.Title = ch.Title + " · " + b.Config.Title
		p.Chapter = ch
		p.Nav = nav(i)
		if i == 0 {
			p.Prev = &navItem{Title: b.Config.Title, Href: IndexPage}
		} else {
			p.Prev = &p.Nav[i-1]
		}
		if i+1 < len(p.Nav) {
			p.Next = &p.Nav[i+1]
		}
		nr.exprs.charts = 0
		restore := rewriteChapterLinks(b.Docs[i], ch, pages)
		var buf bytes.Buffer
		err := md.Renderer().Render(&buf, ch.Source, b.Docs[i])
		restore()
		if err != nil {
			return fmt.Errorf("site: %s: %w", ch.Path, err)
		}
		p.Content = template.HTML(buf.String())
		if err := write(pages[ch.Path], &p); err != nil {
			return err
		}
	}

	machines := base
	machines.Title = "Machines · " + b.Config.Title
	machines.Nav = nav(-1)
	machines.Machines = newMachinesView(b, records, in.Store, in.Machine)
	machines.Prev = &navItem{Title: b.Config.Title, Href: IndexPage}
	if err := write(MachinesPage, &machines); err != nil {
		return err
	}

	css, err := stylesheet()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, Stylesheet), css, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, MarkerFile), []byte(markerText), 0o644)
}

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
	buf.WriteString("\n" + chartCSS + "\n" + valuesCSS)
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
