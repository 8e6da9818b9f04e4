// Package loader reads a book from disk: book.toml, then every chapter in
// order, parsed with goldmark. A transformer turns the fenced blocks that
// litbook owns into ProgramBlock and RunBlock nodes and fills the model:
// programs assembled from their blocks, runs parsed from their transcripts.
//
//	b, err := loader.Load(dir) // see the example of Load
//
// Every problem is reported with its position (book.toml:3:9,
// chapters/02-append.md:47), and independent problems are reported together
// as a model.ErrorList.
//
// The block syntax, readable as plain Markdown on any forge because forges
// look only at the first word of the info string:
//
//	```go program=appender            a Go program (file main.go)
//	```go program=appender file=x.go  another file of the same program
//	```console run                    a transcript, run by /bin/sh
//	```console run=race exclusive timeout=2m exit=1
//
// A transcript holds only commands: lines that start with "$ ". A command
// ending in "&" runs in the background; "wait" waits for it. Output is never
// written by hand: the build captures it.
//
// The transformer also makes Callout nodes of GitHub's alerts (a block
// quote whose first line is [!NOTE], [!TIP], [!IMPORTANT], [!WARNING] or
// [!CAUTION]) and Figure nodes of captioned elements: a paragraph
// "Figure: caption {#fig-name}" after an image, a chart or a timeline, or
// "Table: caption {#tbl-name}" after a table. A caption paragraph, rather
// than an attribute on the element, because it reads as a caption in
// plain Markdown on a forge (which shows the paragraph under the figure,
// the label in braces at its end), needs no extension to goldmark's
// parser, and can hold inline Markdown and values; "Table:" is pandoc's
// form. Figures and tables are numbered per chapter (Figure 2.1), so that
// a chapter's numbers do not change when another chapter gains a figure
// and a number says which chapter to turn to. The labels go to
// model.Chapter.Labels; the site's link check resolves references to them.
//
// book.toml may group the chapters into [[book.parts]], each with a title
// and its chapters (model.Book.Parts).
package loader
