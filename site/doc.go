// Package site renders a loaded book and the results of its runs as a
// static HTML site:
//
//	err := site.Write(site.Input{Book: b, Records: records, Store: ix, Machine: m}, buildDir)
//
// The site is a title page (index.html), one page per chapter (SLUG.html),
// the whole book on one page for printing (print.html), a not-found page
// (404.html), a stylesheet and a few scripts, all side by side, so every
// link is relative and the site works from file:// as well as from a
// server. Files that chapters link to are copied under files/. Pages read
// without scripts; scripts add the sidebar (toc.js, one file for the whole
// book rather than a copy of the contents in every page, so that the site
// grows linearly with the book), search (MiniSearch over search-index.js,
// loaded on first use), the theme switch and copy buttons (litbook.js).
//
// Links are checked before anything runs by package links, which the
// renderer draws them from (Input.Links); page names and ids come from
// package naming, which both share. After rendering, Write checks the
// site itself: every href and src of every page must lead to a file of
// the site and, with a fragment, to an id on that page, or the site is not
// published.
//
// Chapters are rendered from the goldmark documents the loader parsed, by
// goldmark's HTML renderer plus a node renderer for what litbook adds:
// program blocks (highlighted with chroma, captioned with program and
// file), run blocks (a terminal transcript built from the results, with the
// files the run left and where and when it was measured), highlighted
// code blocks and heading anchors, callouts (an aside with the role of a
// note, labelled by its visible title), numbered figures and tables (a
// figure whose id is the label, its number in the caption), and links
// without text, which read as the name of what they lead to ("Figure
// 2.1"). Charts title their axis with what it measures and its unit, and
// sweeps are x-y plots. book.css holds the styles of these. Links to chapter files (02-append.md#x)
// become links to their pages. Raw HTML in chapters is left out, as by
// goldmark's default, so a chapter cannot break its page.
//
// Captured output is shown for what it is: every byte is escaped, invalid
// UTF-8 becomes U+FFFD, ANSI escape sequences are dropped, other control
// characters appear as their Unicode pictures (␀, ␛), and truncated
// streams say how much was kept.
//
// Write does nothing when the published site was made from the same inputs
// (a digest of litbook itself, the book and the results). Otherwise it
// renders chapters in parallel, with highlighted code cached by content in
// the book's .litbook/site directory, into a temporary directory beside
// the build directory and swaps it into place (renameat2 RENAME_EXCHANGE,
// or two renames where the filesystem lacks it): readers and an
// interrupted build never see a half-written site. It replaces only a directory that litbook made,
// recognised by its MarkerFile, or an empty one; Clean removes one.
package site
