package links

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark/ast"
)

// External checks the external links of b with an ExternalChecker's
// defaults: see ExternalChecker.Check.
func External(ctx context.Context, b *loader.Parsed) error {
	return (&ExternalChecker{}).Check(ctx, b)
}

// ExternalChecker checks the external links of a book: every http and
// https URL that a chapter links to, shows as an image or writes as an
// autolink. Its zero value is ready to use.
type ExternalChecker struct {
	Client  *http.Client  // default: one with Timeout as its timeout
	Timeout time.Duration // per URL; default 15 s
	Jobs    int           // URLs checked at once; default 8
}

// Check requests every external URL of b once (HEAD, then GET where HEAD
// is refused) and returns a model.ErrorList with an error at each link
// whose URL fails: no answer, or a status of 400 or more.
func (c *ExternalChecker) Check(ctx context.Context, b *loader.Parsed) error {
	uses := map[string][]model.Pos{}
	for i, ch := range b.Chapters {
		if i >= len(b.Docs) {
			break
		}
		for _, l := range externalLinks(b.Docs[i], ch) {
			uses[l.dest] = append(uses[l.dest], l.pos)
		}
	}
	urls := make([]string, 0, len(uses))
	for u := range uses {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	jobs := c.Jobs
	if jobs <= 0 {
		jobs = 8
	}
	problems := make([]string, len(urls))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			problems[i] = checkURL(ctx, client, u)
		}()
	}
	wg.Wait()
	var errs model.ErrorList
	for i, u := range urls {
		if problems[i] == "" {
			continue
		}
		for _, pos := range uses[u] {
			errs = append(errs, &model.Error{Pos: pos, Msg: fmt.Sprintf("external link %s: %s", u, problems[i])})
		}
	}
	errs.Sort()
	return errs.Err()
}

// checkURL returns why u is broken, or "".
func checkURL(ctx context.Context, client *http.Client, u string) string {
	status, err := request(ctx, client, http.MethodHead, u)
	if err == nil && (status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented || status == http.StatusForbidden) {
		// Some servers refuse HEAD but serve GET.
		status, err = request(ctx, client, http.MethodGet, u)
	}
	switch {
	case err != nil:
		return errText(err)
	case status >= 400:
		return fmt.Sprintf("%d %s", status, http.StatusText(status))
	}
	return ""
}

func request(ctx context.Context, client *http.Client, method, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "litbook-link-checker")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// externalLinks returns the http and https links of a chapter, including
// autolinks, without their fragments.
func externalLinks(doc ast.Node, ch *model.Chapter) []link {
	var out []link
	for _, l := range linksOf(doc, ch) {
		if u, ok := httpURL(l.dest); ok {
			l.dest = u
			out = append(out, l)
		}
	}
	var lines []int
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		a, ok := n.(*ast.AutoLink)
		if !ok || !entering || a.AutoLinkType != ast.AutoLinkURL {
			return ast.WalkContinue, nil
		}
		u, ok := httpURL(string(a.URL(ch.Source)))
		if !ok {
			return ast.WalkContinue, nil
		}
		if lines == nil {
			lines = lineStarts(ch.Source)
		}
		off := autoLinkOffset(a, ch.Source)
		out = append(out, link{node: a, dest: u, pos: model.Pos{File: ch.Path, Line: lineOf(lines, off)}})
		return ast.WalkContinue, nil
	})
	return out
}

// httpURL returns dest without its fragment if it is an http or https URL.
func httpURL(dest string) (string, bool) {
	u, err := url.Parse(dest)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	u.Fragment = ""
	return u.String(), true
}

// autoLinkOffset returns the source offset of an autolink: where its text
// first appears in the lines of the block that holds it.
func autoLinkOffset(a *ast.AutoLink, src []byte) int {
	label := a.Label(src)
	for p := a.Parent(); p != nil; p = p.Parent() {
		if p.Type() != ast.TypeBlock || p.Lines().Len() == 0 {
			continue
		}
		lines := p.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			if j := bytes.Index(seg.Value(src), label); j >= 0 {
				return seg.Start + j
			}
		}
		return lines.At(0).Start
	}
	return -1
}
