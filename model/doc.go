// Package model holds litbook's domain types: the book as loaded from
// book.toml and its chapters (Book, Chapter, Program, Run), the results of
// running it (Result, Machine), and the positions and error lists that every
// other package reports problems with (Pos, Error, ErrorList).
//
// It is a leaf: plain structs, no behaviour that needs the loader, the runner
// or the site. The loader fills a Book, the runner turns each Run into a
// Result, and the site draws both:
//
//	book, err := loader.Load(dir)           // *loader.Book embeds *model.Book
//	rn := &runner.Runner{}
//	progs, err := rn.Build(ctx, book.Book)
//	results, err := rn.Run(ctx, book.Book, progs)
//	err = site.Write(book, results, buildDir)
package model
