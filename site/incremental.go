package site

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/internal/par"
	"github.com/litbook/litbook/links"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/naming"
)

// Incremental writes the site of one book again and again, as litbook
// serve does after every edit, redrawing only what changed.
//
// Its first Write is Write's: the site is rendered into a fresh directory
// that then takes buildDir's place. It keeps what every chapter's
// rendering made: the digest of its page, its part of the print page, its
// entries of the search index and the sidebar, and the answers its links
// got from the book. A later Write, when nothing but chapters' sources
// changed (same chapters, in the same order; same litbook, book.toml,
// records, stored results, included and linked files: see digests),
// draws again only the chapters whose key changed or whose links now get
// other answers, then the pages made from all chapters (title page, print
// page, search index, sidebar, Machines and not-found pages), checks every
// link of the site as Write does (from the scans of the pages it kept,
// and of those it drew), and writes only the files whose bytes changed,
// each in one step (a new file renamed over the old). A chapter's key
// covers everything of the book that its page shows besides its links:
// its source, path, title, number and part, the pages before and after
// it, and, for a chapter with runs, programs or values, every chapter's
// source. The site it leaves is the one Write would write, byte for byte.
//
// While it writes, the site's marker names no inputs, so that a build
// that finds it half-written does the whole work. Anything else (the
// site changed under it, an error) makes the next Write a whole one. An
// Incremental is for one build directory; it is safe for concurrent use.
type Incremental struct {
	mu sync.Mutex
	// dir is the site's directory and digest its inputs' (see
	// inputDigest) when this wrote it; dir is "" when this knows no site.
	dir, digest string
	// global is the digest of what every page depends on besides the
	// chapters (see digests).
	global   string
	paths    []string // the chapters, in order
	chapters []keptChapter
	known    map[highlightKey]string // highlighted blocks
	files    map[string]bool         // every file of the site
	scans    map[string]pageScan     // every page's scan but the print page's
	// gen are the site's files made from all chapters, but the print
	// page, with their content.
	gen map[string][]byte
	// top and bottom are the print page's first and last pieces, and
	// heads the heads of its chapters' (see printPieces).
	top, bottom []byte
	heads       map[string][]byte
	// topScan and bottomScan are the scans of top and bottom, and
	// printIDs the ids of the whole print page; nil until an update has
	// scanned it.
	topScan, bottomScan pageScan
	printIDs            map[string]bool
}

// keptChapter is what an Incremental keeps of a chapter's rendering.
type keptChapter struct {
	// key is the chapter's key but its source, which is source: compared
	// byte for byte rather than hashed, since an unchanged chapter's is
	// the same slice (see loader.Cache).
	key    fileSum
	source []byte
	out    chapterOut
	// head is the head of its piece of the print page (see printPieces),
	// and pieceScan that piece's scan.
	head      []byte
	pieceScan pageScan
}

type fileSum [sha256.Size]byte

func sumOf(data []byte) fileSum { return sha256.Sum256(data) }

// Write writes the site of in.Book into buildDir as the package's Write
// does, redrawing only what changed since the last Write (see
// Incremental).
func (inc *Incremental) Write(in Input, buildDir string) error {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	b := in.Book
	dir, err := siteDir(&in, buildDir)
	if err != nil {
		return err
	}
	if inc.dir != dir || PublishedDigest(dir) != inc.digest || !slices.Equal(inc.paths, chapterPaths(b)) {
		return writeSite(in, buildDir, inc)
	}
	digest, global, err := digests(in, in.Links.Files())
	if err != nil {
		return err
	}
	if digest == inc.digest {
		return nil
	}
	if global != inc.global {
		return writeSite(in, buildDir, inc)
	}
	if err := inc.update(in, dir, digest); err != nil {
		inc.reset()
		return err
	}
	return nil
}

// reset forgets the site.
func (inc *Incremental) reset() {
	inc.dir, inc.digest, inc.global, inc.paths = "", "", "", nil
	inc.chapters, inc.files, inc.scans, inc.gen = nil, nil, nil, nil
	inc.top, inc.bottom = nil, nil
	inc.topScan, inc.bottomScan, inc.printIDs = pageScan{}, pageScan{}, nil
}

func chapterPaths(b *loader.Parsed) []string {
	paths := make([]string, len(b.Chapters))
	for i, ch := range b.Chapters {
		paths[i] = ch.Path
	}
	return paths
}

// keys returns the key of every chapter of in.Book (see Incremental).
func keys(in Input, global string, contents navList) []fileSum {
	b := in.Book
	cross := map[string]bool{} // chapters whose pages read other chapters
	for _, ch := range b.Chapters {
		if len(ch.Runs) > 0 || len(ch.Programs) > 0 {
			cross[ch.Path] = true
		}
	}
	for _, x := range b.Exprs {
		cross[x.Chapter.Path] = true
	}
	var all []byte // every chapter's source, once a chapter needs it
	if len(cross) > 0 {
		h := sha256.New()
		for _, ch := range b.Chapters {
			fmt.Fprintf(h, "%s %d\n", ch.Path, len(ch.Source))
			h.Write(ch.Source)
		}
		all = h.Sum(nil)
	}
	out := make([]fileSum, len(b.Chapters))
	par.Each(len(b.Chapters), func(i int) {
		ch := b.Chapters[i]
		h := sha256.New()
		field := func(name string, data []byte) {
			fmt.Fprintf(h, "%s %d\n", name, len(data))
			h.Write(data)
		}
		field("global", []byte(global))
		field("path", []byte(ch.Path))
		field("slug", []byte(ch.Slug))
		field("title", []byte(ch.Title))
		field("number", []byte(ch.Number))
		field("appendix", []byte(fmt.Sprint(ch.Appendix)))
		if ch.Part != nil {
			field("part", []byte(fmt.Sprintf("%d %q %v", slices.Index(b.Parts, ch.Part), ch.Part.Title, ch.Part.Chapters[0] == ch)))
		}
		if i > 0 {
			field("prev", []byte(fmt.Sprintf("%#v", contents[i-1])))
		}
		if i+1 < len(contents) {
			field("next", []byte(fmt.Sprintf("%#v", contents[i+1])))
		}
		if cross[ch.Path] {
			field("book", all)
		}
		h.Sum(out[i][:0])
	})
	return out
}

// holds reports whether every question of trace, asked by chapter i's
// rendering, gets the same answer from lk. A question about a link to a
// chapter whose key is unchanged (same) is not asked again: its answer
// comes from that chapter's source, number and place (see
// links.Links.Chapter), which its key covers, and the book's chapters are
// the same.
func holds(lk *links.Links, i int, trace []linkQuery, same []bool) bool {
	for _, q := range trace {
		if q.chapter >= 0 && same[q.chapter] {
			continue
		}
		var a string
		if q.xref {
			a = lk.XrefText(i, q.dest)
		} else {
			a, _ = lk.Href(i, q.dest, q.print)
		}
		if a != q.answer {
			return false
		}
	}
	return true
}

// remember keeps what Write rendered into the site now in dir.
func (inc *Incremental) remember(in Input, dir, digest string, outs []chapterOut, scan *siteScan) error {
	b := in.Book
	_, global, err := digests(in, in.Links.Files())
	if err != nil {
		return err
	}
	w, err := newSiteWriter(in, dir, nil)
	if err != nil {
		return err
	}
	ks := keys(in, global, w.contents)
	inc.chapters = make([]keptChapter, len(outs))
	for i := range outs {
		inc.chapters[i] = keptChapter{key: ks[i], source: b.Chapters[i].Source, out: outs[i]}
	}
	inc.gen = map[string][]byte{}
	for name := range scan.files {
		if generated(name) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			inc.gen[name] = data
		}
	}
	inc.dir, inc.digest, inc.global, inc.paths = dir, digest, global, chapterPaths(b)
	inc.files, inc.scans = scan.files, scan.scans
	delete(inc.scans, PrintPage)
	inc.top, inc.bottom = nil, nil
	inc.topScan, inc.bottomScan, inc.printIDs = pageScan{}, pageScan{}, nil
	return nil
}

// generated reports whether the file name of a site is made from all
// chapters (and is not the print page, which an Incremental keeps in
// pieces).
func generated(name string) bool {
	switch name {
	case IndexPage, MachinesPage, NotFoundPage, Stylesheet, Script, TOCScript, SearchIndex, MiniSearch, MiniSearchLicence, Icon:
		return true
	}
	return false
}

// update writes the site of in into dir, which holds the site inc knows,
// made from the same chapters and the same global inputs.
func (inc *Incremental) update(in Input, dir, digest string) error {
	hl := &highlighter{formatter: chromahtml.New(chromahtml.WithClasses(true)), known: inc.known, written: map[highlightKey]bool{}}
	w, err := newSiteWriter(in, dir, hl)
	if err != nil {
		return err
	}
	w.keep, w.mem = true, map[string][]byte{}
	if inc.heads == nil {
		inc.heads = map[string][]byte{}
	}
	w.heads = inc.heads
	ks := keys(in, inc.global, w.contents)
	outs, redraw, err := inc.draw(w, ks)
	if err != nil {
		return err
	}
	if err := w.navPages(outs, nil); err != nil {
		return err
	}
	// The files are written beside their names while the site is
	// checked, and put in place once it passed; the print page, the
	// largest, first.
	st := &stager{}
	defer st.discard()
	pieceSame := inc.stagePrint(st, w, outs, dir)
	if err := w.assets(outs); err != nil {
		return err
	}

	// Check every link of the new site, from the scans of its pages.
	ch, err := inc.changes(w, outs, redraw)
	if err != nil {
		return err
	}
	for name, data := range ch.write {
		st.stage(filepath.Join(dir, name), data)
	}
	ps := inc.printScans(w, outs, ks, pieceSame)
	ch.idsChanged = ch.idsChanged || ps.idsChanged
	printScan := pageScan{ids: inc.printIDs}
	if ch.idsChanged {
		printScan.ids = maps.Clone(ps.top.ids)
		maps.Copy(printScan.ids, ps.bottom.ids)
		printScan.refs = append(printScan.refs, ps.top.refs...)
		for i := range ps.kept {
			maps.Copy(printScan.ids, ps.kept[i].pieceScan.ids)
			printScan.refs = append(printScan.refs, ps.kept[i].pieceScan.refs...)
		}
		printScan.refs = append(printScan.refs, ps.bottom.refs...)
	}
	ch.scans[PrintPage] = printScan
	if ch.idsChanged {
		err = checkScans(inc.files, ch.scans)
	} else {
		ch.fresh[PrintPage] = ps.fresh
		err = checkScansAgainst(inc.files, ch.fresh, ch.scans)
	}
	if err != nil {
		return err
	}

	// Write: the marker first names no inputs, then the files, then the
	// marker names the new inputs.
	if err := st.wait(); err != nil {
		return err
	}
	marker := filepath.Join(dir, MarkerFile)
	if err := fsx.WriteAtomic(marker, false, markerContent("")); err != nil {
		return err
	}
	if err := st.commit(); err != nil {
		return err
	}
	if err := fsx.WriteAtomic(marker, false, markerContent(digest)); err != nil {
		return err
	}
	delete(ch.scans, PrintPage)
	for name, data := range ch.write {
		if generated(name) {
			inc.gen[name] = data
		}
	}
	inc.chapters, inc.scans, inc.digest = ps.kept, ch.scans, digest
	inc.top, inc.bottom = w.printTop, w.printBottom
	inc.topScan, inc.bottomScan, inc.printIDs = ps.top, ps.bottom, printScan.ids
	return nil
}

// draw draws again, with w, the chapters whose key ks or whose links'
// answers changed, and returns every chapter's rendering, kept or new,
// and the indexes of those it drew.
func (inc *Incremental) draw(w *siteWriter, ks []fileSum) (outs []chapterOut, redraw []int, err error) {
	b := w.b
	outs = make([]chapterOut, len(b.Chapters))
	same := make([]bool, len(b.Chapters))
	for i := range same {
		same[i] = inc.chapters[i].key == ks[i] && bytes.Equal(inc.chapters[i].source, b.Chapters[i].Source)
	}
	reuse := make([]bool, len(b.Chapters))
	par.Each(len(b.Chapters), func(i int) {
		reuse[i] = same[i] && holds(w.lk, i, inc.chapters[i].out.trace, same)
	})
	for i := range b.Chapters {
		if reuse[i] {
			outs[i] = inc.chapters[i].out
		} else {
			redraw = append(redraw, i)
		}
	}
	if len(redraw) > 0 {
		if err := w.chapters(outs, redraw, nil); err != nil {
			return nil, nil, err
		}
	}
	return outs, redraw, nil
}

// stagePrint stages the print page in dir if any of its pieces changed,
// and reports for each chapter whether its piece is the same as before.
func (inc *Incremental) stagePrint(st *stager, w *siteWriter, outs []chapterOut, dir string) (pieceSame []bool) {
	b := w.b
	printChanged := !bytes.Equal(w.printTop, inc.top) || !bytes.Equal(w.printBottom, inc.bottom)
	pieceSame = make([]bool, len(b.Chapters))
	for i := range b.Chapters {
		old := &inc.chapters[i]
		pieceSame[i] = old.head != nil && bytes.Equal(old.head, w.printHeads[i]) && bytes.Equal(old.out.print, outs[i].print)
		printChanged = printChanged || !pieceSame[i]
	}
	if printChanged {
		pieces := make([][]byte, 0, 3*len(b.Chapters)+2)
		pieces = append(pieces, w.printTop)
		for i := range b.Chapters {
			pieces = append(pieces, w.printHeads[i], outs[i].print, []byte(articleEnd))
		}
		pieces = append(pieces, w.printBottom)
		st.stage(filepath.Join(dir, PrintPage), pieces...)
	}
	return pieceSame
}

// pageChanges are the pages and files of an update that differ from the
// site's, and the scans of its pages.
type pageChanges struct {
	write map[string][]byte
	// scans are every page's but the print page's, fresh those scanned
	// again; idsChanged says a page's ids changed, and every link is to
	// be checked.
	scans, fresh map[string]pageScan
	idsChanged   bool
}

// changes finds the files that w made (the chapters in redraw and the
// generated ones) that differ from the site's, and scans those that are
// pages. The links of a page that is the same as before lead where they
// did, unless a page's ids changed.
func (inc *Incremental) changes(w *siteWriter, outs []chapterOut, redraw []int) (*pageChanges, error) {
	ch := &pageChanges{write: map[string][]byte{}, scans: maps.Clone(inc.scans), fresh: map[string]pageScan{}}
	if ch.scans == nil {
		ch.scans = map[string]pageScan{}
	}
	rescan := func(name string, data []byte, old pageScan) {
		sc := scanPage(data)
		ch.idsChanged = ch.idsChanged || !maps.Equal(sc.ids, old.ids)
		ch.scans[name], ch.fresh[name] = sc, sc
	}
	for _, i := range redraw {
		name := naming.PageFile(w.b.Chapters[i].Slug)
		data := w.mem[name]
		delete(w.mem, name)
		if outs[i].pageSum != inc.chapters[i].out.pageSum {
			ch.write[name] = data
			rescan(name, data, ch.scans[name])
		}
	}
	for name, data := range w.mem {
		if !generated(name) {
			return nil, fmt.Errorf("site: %s: not a file an Incremental knows", name)
		}
		if !bytes.Equal(data, inc.gen[name]) {
			ch.write[name] = data
			if old, page := ch.scans[name]; page {
				rescan(name, data, old)
			}
		}
	}
	return ch, nil
}

// printScanned is what an update knows of the print page's scan: the
// chapters to keep with their pieces' scans, the scans of its top and
// bottom, the refs of the pieces scanned again, and whether any piece's
// ids changed.
type printScanned struct {
	kept        []keptChapter
	top, bottom pageScan
	fresh       pageScan
	idsChanged  bool
}

// printScans scans the pieces of the print page that changed; the refs
// of those are checked against its ids, which are made again only when a
// piece's changed.
func (inc *Incremental) printScans(w *siteWriter, outs []chapterOut, ks []fileSum, pieceSame []bool) printScanned {
	b := w.b
	ps := printScanned{kept: make([]keptChapter, len(b.Chapters)), top: inc.topScan, bottom: inc.bottomScan}
	if !bytes.Equal(w.printTop, inc.top) || !bytes.Equal(w.printBottom, inc.bottom) {
		ps.top, ps.bottom = scanPage(w.printTop), scanPage(w.printBottom)
		ps.idsChanged = inc.printIDs == nil || !maps.Equal(ps.top.ids, inc.topScan.ids) || !maps.Equal(ps.bottom.ids, inc.bottomScan.ids)
		ps.fresh.refs = append(append(ps.fresh.refs, ps.top.refs...), ps.bottom.refs...)
	}
	for i := range b.Chapters {
		head, body := w.printHeads[i], outs[i].print
		ps.kept[i] = keptChapter{key: ks[i], source: b.Chapters[i].Source, out: outs[i], head: head}
		if old := &inc.chapters[i]; pieceSame[i] {
			ps.kept[i].pieceScan = old.pieceScan
		} else {
			ps.kept[i].pieceScan = scanPage(slices.Concat(head, body, []byte(articleEnd)))
			ps.idsChanged = ps.idsChanged || old.head == nil || !maps.Equal(ps.kept[i].pieceScan.ids, old.pieceScan.ids)
			ps.fresh.refs = append(ps.fresh.refs, ps.kept[i].pieceScan.refs...)
		}
	}
	return ps
}

// stager writes files to temporary files beside them, in parallel, and
// then renames them into place.
type stager struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	tmps map[string]string // file → its temporary file
	err  error
}

// stage starts writing the pieces to a temporary file beside file.
func (s *stager) stage(file string, pieces ...[]byte) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tmp, err := fsx.TempBeside(file, false, pieces...)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.err = errors.Join(s.err, err)
			return
		}
		if s.tmps == nil {
			s.tmps = map[string]string{}
		}
		s.tmps[file] = tmp
	}()
}

// wait waits for the files staged, and returns the first error.
func (s *stager) wait() error {
	s.wg.Wait()
	return s.err
}

// commit renames every file staged into place.
func (s *stager) commit() error {
	s.wg.Wait()
	for file, tmp := range s.tmps {
		if err := os.Rename(tmp, file); err != nil {
			return err
		}
		delete(s.tmps, file)
	}
	return nil
}

// discard removes the files staged and not renamed.
func (s *stager) discard() {
	s.wg.Wait()
	for _, tmp := range s.tmps {
		_ = os.Remove(tmp)
	}
	s.tmps = nil
}
