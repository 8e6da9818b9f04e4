// Package naming says where things are in a litbook site: the file and the
// URL of each page, the ids of what a page holds, and where the copies of
// the book's files go. The renderer (package site) writes pages and ids by
// these names, and the link checker (package links) resolves and checks
// links by them, so that the two cannot disagree and the checker needs no
// renderer.
//
// A chapter's page is named after its file: chapters/02-append.md is
// 02-append.html. The name is written as it is on disk (my chapter.html,
// 日本語.html) and escaped in every link to it (my%20chapter.html), which is
// what browsers, file:// and HTTP servers all decode back to the file.
package naming

import (
	"net/url"
	"strings"

	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark/ast"
)

// Files of the site that chapters may link to besides chapter pages.
const (
	IndexPage    = "index.html"
	PrintPage    = "print.html"    // the whole book on one page
	MachinesPage = "machines.html" // where the results come from
	NotFoundPage = "404.html"      // what servers show for a missing page
)

// FilesDir is the directory of the site that holds copies of the book's
// files that chapters link to or show as images (a chapter's
// img/diagram.svg is FilesDir/chapters/img/diagram.svg in the site).
const FilesDir = "files"

// ContentsID is the id of the list of chapters on the title page.
const ContentsID = "contents"

// PageFile is the file name, in the site directory, of the page of the
// chapter whose slug is given.
func PageFile(slug string) string { return slug + ".html" }

// PageURL is the relative URL of a chapter's page: its file name escaped,
// relative so that the site works from file://.
func PageURL(slug string) string {
	u := url.PathEscape(PageFile(slug))
	if strings.Contains(u, ":") {
		u = "./" + u // not a scheme
	}
	return u
}

// HeadingID returns the id the loader gave heading n, or "".
func HeadingID(n *ast.Heading) string {
	if id, ok := n.AttributeString("id"); ok {
		if id, ok := id.([]byte); ok {
			return string(id)
		}
	}
	return ""
}

// RunID is the id of a run's figure on its chapter's page: run-NAME,
// where NAME is the block's name (every filesystem's run of a block with
// fs= is drawn in the block's one figure).
func RunID(r *model.Run) string { return RunIDOf(r.Name) }

// RunIDOf is the id of the figure of the run named name (race, or
// race[xfs] for one filesystem's run of the block race).
func RunIDOf(name string) string { return "run-" + BlockName(name) }

// BlockName returns the name of the block of the run named name: race for
// race[xfs].
func BlockName(name string) string {
	if i := strings.IndexByte(name, '['); i > 0 {
		return name[:i]
	}
	return name
}

// PrintID is the id on the print page of the element with id on the page
// of ch; an empty id names the chapter's section. On the print page every
// chapter is a section and its ids carry the chapter's slug as a prefix.
func PrintID(ch *model.Chapter, id string) string {
	if id == "" {
		return ch.Slug
	}
	return ch.Slug + ":" + id
}

// Fragment returns "#" and id escaped for a URL: an id such as
// 01-atomic:run-race is safe after "#" although it holds a colon.
func Fragment(id string) string {
	if id == "" {
		return ""
	}
	return "#" + url.PathEscape(id)
}

// FileURL is the relative URL of the copy in the site of a book file,
// whose path relative to the book root is rel (slash-separated).
func FileURL(rel string) string {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return FilesDir + "/" + strings.Join(parts, "/")
}
