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
package loader
