package site

import (
	"bytes"
	"fmt"
	"html"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/litbook/litbook/internal/par"
)

// checkHrefs checks the site rendered into dir, as a reader's browser would
// follow it: every href and src of every page (print page and not-found
// page included) leads to a file of the site, and a #fragment to an id on
// the page it names. Links to other sites (http, https, mailto) are left
// alone. A link that leads nowhere is litbook's mistake, not the
// author's, since links.Check has passed every link a chapter writes: the
// error names the page and the link, at most ten of them, and the build
// fails rather than publish the site.
//
// It reads every page once; its cost is measured by BenchmarkCheckHrefs.
func checkHrefs(dir string) error {
	_, err := scanSite(dir)
	return err
}

// siteScan is what checkHrefs found in a site: its files and the scan of
// each page, by name relative to the site.
type siteScan struct {
	files map[string]bool
	scans map[string]pageScan
}

// scanSite is checkHrefs that returns what it found.
func scanSite(dir string) (*siteScan, error) {
	files := map[string]bool{}
	var pages []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		files[rel] = true
		if strings.HasSuffix(rel, ".html") && !strings.HasPrefix(rel, FilesDir+"/") {
			pages = append(pages, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(pages)
	scans := make([]pageScan, len(pages))
	errs := make([]error, len(pages))
	par.Each(len(pages), func(i int) {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pages[i])))
		if err != nil {
			errs[i] = err
			return
		}
		scans[i] = scanPage(data)
	})
	byName := make(map[string]pageScan, len(pages))
	for i, p := range pages {
		if errs[i] != nil {
			return nil, errs[i]
		}
		byName[p] = scans[i]
	}
	return &siteScan{files, byName}, checkScans(files, byName)
}

// checkScans checks the links of the pages scanned, by name, against the
// files of the site and the ids of its pages.
func checkScans(files map[string]bool, scans map[string]pageScan) error {
	return checkScansAgainst(files, scans, scans)
}

// checkScansAgainst checks the links of the pages scanned in check, by
// name, against the files of the site and the ids of its pages, all
// scanned in scans.
func checkScansAgainst(files map[string]bool, check, scans map[string]pageScan) error {
	ids := make(map[string]map[string]bool, len(scans))
	for p, sc := range scans {
		ids[p] = sc.ids
	}
	pages := make([]string, 0, len(check))
	for p := range check {
		pages = append(pages, p)
	}
	sort.Strings(pages)
	var problems []string
	for _, p := range pages {
		for _, ref := range check[p].refs {
			if why := checkRef(p, ref, files, ids); why != "" {
				problems = append(problems, fmt.Sprintf("%s: %s=%q %s", p, ref.attr, ref.value, why))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	n := len(problems)
	if n > 10 {
		problems = append(problems[:10], fmt.Sprintf("and %d more", n-10))
	}
	return fmt.Errorf("site: %d links of the rendered site lead nowhere (a bug of litbook: please report it):\n%s", n, strings.Join(problems, "\n"))
}

// checkRef says why ref, found on page, leads nowhere, or "".
func checkRef(page string, ref pageRef, files map[string]bool, ids map[string]map[string]bool) string {
	v := ref.value
	if v == "" {
		return "is empty"
	}
	u, err := url.Parse(v)
	if err != nil {
		return "is not a URL: " + errText(err)
	}
	switch strings.ToLower(u.Scheme) {
	case "":
	case "http", "https", "mailto":
		return ""
	default:
		return "has the scheme " + u.Scheme + ":, which a page must not use"
	}
	if u.Host != "" || strings.HasPrefix(v, "//") {
		return ""
	}
	target := page
	if u.Path != "" {
		if strings.HasPrefix(u.Path, "/") {
			return "is absolute: the site must work from any directory"
		}
		target = path.Join(path.Dir(page), u.Path)
		if target == ".." || strings.HasPrefix(target, "../") {
			return "leads outside the site"
		}
		if !files[target] {
			return "leads to " + target + ", which the site does not hold"
		}
	}
	pageIDs, scanned := ids[target]
	if u.Fragment == "" || !scanned {
		// A file of the book (under files/) is the author's, and its
		// anchors are not litbook's to check.
		return ""
	}
	if pageIDs[u.Fragment] || pageIDs[u.EscapedFragment()] {
		return ""
	}
	return "leads to #" + u.Fragment + ", which " + target + " does not have"
}

// errText is an error's text without the "parse "x": " that net/url puts
// before it.
func errText(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// pageScan is what a page holds that links lead to and from.
type pageScan struct {
	ids  map[string]bool
	refs []pageRef
}

// pageRef is the value of an href or src attribute of a page.
type pageRef struct{ attr, value string }

// scanPage finds the ids, hrefs and srcs of the start tags of an HTML page
// that litbook wrote. It is no general HTML parser: it knows that the text
// of litbook's pages escapes every '<', and it skips comments and the
// content of script and style elements.
func scanPage(data []byte) pageScan {
	s := pageScan{ids: map[string]bool{}}
	for i := 0; i < len(data); {
		lt := bytes.IndexByte(data[i:], '<')
		if lt < 0 {
			break
		}
		i += lt + 1
		if bytes.HasPrefix(data[i:], []byte("!--")) {
			end := bytes.Index(data[i:], []byte("-->"))
			if end < 0 {
				break
			}
			i += end + 3
			continue
		}
		j := i
		for j < len(data) && isNameByte(data[j]) {
			j++
		}
		if j == i { // "</x>", "<!doctype>": nothing to check
			continue
		}
		tag := strings.ToLower(string(data[i:j]))
		n := len(s.refs)
		i = s.attributes(data, j)
		if tag == "base" {
			// The not-found page's base is where the site is published
			// (site-url), which is not a file of it; its links resolve
			// against the site's root, where the page is.
			s.refs = s.refs[:n]
		}
		if tag == "script" || tag == "style" {
			end := bytes.Index(data[i:], []byte("</"+tag))
			if end < 0 {
				break
			}
			i += end
		}
	}
	return s
}

// attributes reads the attributes of a start tag from data[i:], up to its
// '>', records ids and links, and returns the offset after the tag.
func (s *pageScan) attributes(data []byte, i int) int {
	for i < len(data) {
		for i < len(data) && (isSpace(data[i]) || data[i] == '/') {
			i++
		}
		if i >= len(data) || data[i] == '>' {
			return i + 1
		}
		j := i
		for j < len(data) && !isSpace(data[j]) && data[j] != '=' && data[j] != '>' && data[j] != '/' {
			j++
		}
		name := strings.ToLower(string(data[i:j]))
		i = j
		if i >= len(data) || data[i] != '=' {
			if i == j && i < len(data) && data[i] != '>' {
				i++ // a stray byte: move on
			}
			continue
		}
		i++
		var value []byte
		if i < len(data) && (data[i] == '"' || data[i] == '\'') {
			q := data[i]
			end := bytes.IndexByte(data[i+1:], q)
			if end < 0 {
				return len(data)
			}
			value = data[i+1 : i+1+end]
			i += end + 2
		} else {
			j := i
			for j < len(data) && !isSpace(data[j]) && data[j] != '>' {
				j++
			}
			value = data[i:j]
			i = j
		}
		switch name {
		case "id":
			s.ids[html.UnescapeString(string(value))] = true
		case "href", "src":
			s.refs = append(s.refs, pageRef{name, html.UnescapeString(string(value))})
		}
	}
	return i
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
