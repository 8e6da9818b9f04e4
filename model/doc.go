// Package model holds litbook's domain types: the book as loaded from
// book.toml and its chapters (Book, Chapter, Program, Run), the results of
// running it (Result, Machine), and the positions and error lists that every
// other package reports problems with (Pos, Error, ErrorList).
//
// It is a leaf: plain structs, no behaviour that needs the loader, the runner
// or the site. The loader fills a Book, the runner turns each Run into a
// Record of its trials' Results, and the site draws both; package pipeline
// (see its Builder.Build example) strings the stages together.
package model
