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
	b := in.Book
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
	outs := make([]chapterOut, len(b.Chapters))
	same := make([]bool, len(b.Chapters))
	for i := range same {
		same[i] = inc.chapters[i].key == ks[i] && bytes.Equal(inc.chapters[i].source, b.Chapters[i].Source)
	}
	reuse := make([]bool, len(b.Chapters))
	par.Each(len(b.Chapters), func(i int) {
		reuse[i] = same[i] && holds(w.lk, i, inc.chapters[i].out.trace, same)
	})
	var redraw []int
	for i := range b.Chapters {
		if reuse[i] {
			outs[i] = inc.chapters[i].out
		} else {
			redraw = append(redraw, i)
		}
	}
	if len(redraw) > 0 {
		if err := w.chapters(outs, redraw, nil); err != nil {
			return err
		}
	}
	if err := w.navPages(outs, nil); err != nil {
		return err
	}
	// The files are written beside their names while the site is
	// checked, and put in place once it passed; the print page, the
	// largest, first.
	st := &stager{}
	defer st.discard()
	printChanged := !bytes.Equal(w.printTop, inc.top) || !bytes.Equal(w.printBottom, inc.bottom)
	pieceSame := make([]bool, len(b.Chapters))
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
	if err := w.assets(outs); err != nil {
		return err
	}

	// Check every link of the new site, from the scans of its pages.
	scans := make(map[string]pageScan, len(inc.scans)+1)
	for name, sc := range inc.scans {
		scans[name] = sc
	}
	write := map[string][]byte{}
	// The links of a page that is the same as before lead where they
	// did, unless a page's ids changed: then every link is checked.
	fresh := map[string]pageScan{} // pages and pieces scanned again
	idsChanged := false
	rescan := func(name string, data []byte, old pageScan) pageScan {
		sc := scanPage(data)
		idsChanged = idsChanged || !maps.Equal(sc.ids, old.ids)
		return sc
	}
	for _, i := range redraw {
		name := naming.PageFile(b.Chapters[i].Slug)
		data := w.mem[name]
		delete(w.mem, name)
		if outs[i].pageSum != inc.chapters[i].out.pageSum {
			write[name] = data
			scans[name] = rescan(name, data, scans[name])
			fresh[name] = scans[name]
		}
	}
	for name, data := range w.mem {
		if !generated(name) {
			return fmt.Errorf("site: %s: not a file an Incremental knows", name)
		}
		if !bytes.Equal(data, inc.gen[name]) {
			write[name] = data
			if old, page := scans[name]; page {
				scans[name] = rescan(name, data, old)
				fresh[name] = scans[name]
			}
		}
	}
	for name, data := range write {
		st.stage(filepath.Join(dir, name), data)
	}
	kept := make([]keptChapter, len(b.Chapters))
	// The print page's scan is its pieces'; the refs of those that
	// changed are checked, against its ids, which are made again only
	// when a piece's changed.
	var freshPieces pageScan
	top, bottom := inc.topScan, inc.bottomScan
	if !bytes.Equal(w.printTop, inc.top) || !bytes.Equal(w.printBottom, inc.bottom) {
		top, bottom = scanPage(w.printTop), scanPage(w.printBottom)
		idsChanged = idsChanged || inc.printIDs == nil || !maps.Equal(top.ids, inc.topScan.ids) || !maps.Equal(bottom.ids, inc.bottomScan.ids)
		freshPieces.refs = append(append(freshPieces.refs, top.refs...), bottom.refs...)
	}
	for i := range b.Chapters {
		head, body := w.printHeads[i], outs[i].print
		kept[i] = keptChapter{key: ks[i], source: b.Chapters[i].Source, out: outs[i], head: head}
		if old := &inc.chapters[i]; pieceSame[i] {
			kept[i].pieceScan = old.pieceScan
		} else {
			kept[i].pieceScan = scanPage(slices.Concat(head, body, []byte(articleEnd)))
			idsChanged = idsChanged || old.head == nil || !maps.Equal(kept[i].pieceScan.ids, old.pieceScan.ids)
			freshPieces.refs = append(freshPieces.refs, kept[i].pieceScan.refs...)
		}
	}
	printScan := pageScan{ids: inc.printIDs}
	if idsChanged {
		printScan.ids = maps.Clone(top.ids)
		maps.Copy(printScan.ids, bottom.ids)
		printScan.refs = append(printScan.refs, top.refs...)
		for i := range kept {
			maps.Copy(printScan.ids, kept[i].pieceScan.ids)
			printScan.refs = append(printScan.refs, kept[i].pieceScan.refs...)
		}
		printScan.refs = append(printScan.refs, bottom.refs...)
	}
	scans[PrintPage] = printScan
	if idsChanged {
		err = checkScans(inc.files, scans)
	} else {
		fresh[PrintPage] = freshPieces
		err = checkScansAgainst(inc.files, fresh, scans)
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
	delete(scans, PrintPage)
	for name, data := range write {
		if generated(name) {
			inc.gen[name] = data
		}
	}
	inc.chapters, inc.scans, inc.digest = kept, scans, digest
	inc.top, inc.bottom = w.printTop, w.printBottom
	inc.topScan, inc.bottomScan, inc.printIDs = top, bottom, printScan.ids
	return nil
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
