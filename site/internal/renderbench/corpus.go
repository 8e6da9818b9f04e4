package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeCorpus writes a book of n chapters into dir: book.toml and
// chapters/chNNN.md, each with a title, three sections of four paragraphs
// (emphasis, a link to one of its own sections, inline code), a table and
// a Go code block, and no runs, so that the benchmark measures rendering.
func writeCorpus(dir string, n int) error {
	chapters := filepath.Join(dir, "chapters")
	if err := os.MkdirAll(chapters, 0o755); err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		id := pad(i, n)
		var b strings.Builder
		fmt.Fprintf(&b, "# Chapter %s: appending without losing bytes\n", id)
		for s := 1; s <= 3; s++ {
			fmt.Fprintf(&b, "\n## Section %d\n\n", s)
			for p := 1; p <= 4; p++ {
				fmt.Fprintf(&b, "Paragraph %d of section %d. Two processes that call lseek and then write can both land on the same offset, and one of them overwrites the other. With *O_APPEND* the kernel positions **and** writes in one step, so nothing is lost. See [the next chapter](ch%s.md#section-%d) and `write(2)`.\n\n", p, s, id, s)
			}
			b.WriteString("| flag | atomic | use |\n|---|---|---|\n| O_APPEND | yes | shared logs |\n| O_EXCL | yes | lock files |\n\n")
			fmt.Fprintf(&b, "```go\npackage main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n"+
				"\tf, err := os.OpenFile(\"f1\", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)\n"+
				"\tif err != nil {\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}\n\tdefer f.Close()\n"+
				"\tfor i := 0; i < %d%s; i++ {\n\t\tif _, err := f.Write([]byte(\"x\")); err != nil {\n\t\t\tpanic(err)\n\t\t}\n\t}\n}\n```\n", s, id)
		}
		if err := os.WriteFile(filepath.Join(chapters, "ch"+id+".md"), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\ntitle = \"Render benchmark\"\n"), 0o644)
}

// hugoSite wraps the corpus in dir as a minimal Hugo site in dir/hugo: one
// page per chapter, chroma highlighting with classes, and a sidebar that
// lists every chapter on every page, as litbook's pages have.
func hugoSite(dir string) error {
	site := filepath.Join(dir, "hugo")
	content := filepath.Join(site, "content")
	layouts := filepath.Join(site, "layouts", "_default")
	for _, d := range []string{content, layouts} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	chapters, err := filepath.Glob(filepath.Join(dir, "chapters", "*.md"))
	if err != nil {
		return err
	}
	for _, ch := range chapters {
		data, err := os.ReadFile(ch)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(content, filepath.Base(ch)), data, 0o644); err != nil {
			return err
		}
	}
	files := map[string]string{
		filepath.Join(site, "config.toml"): `baseURL = "http://localhost/"
title = "bench"
disableKinds = ["taxonomy", "term", "RSS", "sitemap"]
[markup.highlight]
noClasses = false
`,
		filepath.Join(layouts, "single.html"): `<!doctype html><html><head><title>{{ .Title }}</title></head><body>
<nav>{{ range .Site.RegularPages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
<main>{{ .Content }}</main></body></html>
`,
		filepath.Join(layouts, "list.html"): `<!doctype html><html><body>{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</body></html>
`,
	}
	for name, data := range files {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}
