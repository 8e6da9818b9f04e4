// Package site renders a loaded book and the results of its runs as a
// static HTML site:
//
//	err := site.Write(book, results, buildDir)
//
// The site is a title page (index.html), one page per chapter (SLUG.html)
// and one stylesheet, all side by side, so every link is relative and the
// site works from file:// as well as from a server. Pages need no script.
//
// Chapters are rendered from the goldmark documents the loader parsed, by
// goldmark's HTML renderer plus a node renderer for what litbook adds:
// program blocks (highlighted with chroma, captioned with program and
// file), run blocks (a terminal transcript built from the results, with the
// files the run left and where and when it was measured), highlighted
// code blocks and heading anchors. Links to chapter files (02-append.md#x)
// become links to their pages. Raw HTML in chapters is left out, as by
// goldmark's default, so a chapter cannot break its page.
//
// Captured output is shown for what it is: every byte is escaped, invalid
// UTF-8 becomes U+FFFD, ANSI escape sequences are dropped, other control
// characters appear as their Unicode pictures (␀, ␛), and truncated
// streams say how much was kept.
//
// Write renders into a temporary directory beside the build directory and
// swaps it into place (renameat2 RENAME_EXCHANGE, or two renames where the
// filesystem lacks it): readers and an interrupted build never see a
// half-written site. It replaces only a directory that litbook made,
// recognised by its MarkerFile, or an empty one; Clean removes one.
package site
