package links

import (
	"sync"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark/ast"
)

// Cache keeps what Resolve found in each chapter's parsed document (its
// links and the ids its page holds) for the next Resolve with the same
// cache: a loader.Cache hands every load of an unchanged chapter the same
// document, and finding a large book's links is most of what resolving
// them costs. Only chapters whose page's ids come from their document
// alone (no runs, no numbered figures or tables) are kept, and only those
// of the last Resolve. A Cache is safe for concurrent use; its zero value
// is empty.
type Cache struct {
	mu sync.Mutex
	m  map[ast.Node]*docLinks
}

// docLinks is what one document holds, found for one chapter.
type docLinks struct {
	path    string
	source  []byte // the chapter's, as it was parsed into the document
	anchors map[string]bool
	links   []link
}

// ResolveCached is Resolve that reuses what c found in the documents of
// the previous Resolve with it; a nil c is Resolve.
func ResolveCached(b *loader.Parsed, buildDir string, c *Cache) (*Links, error) {
	if c == nil {
		return Resolve(b, buildDir)
	}
	n := min(len(b.Chapters), len(b.Docs))
	found := make([]*docLinks, n)
	c.mu.Lock()
	for i := range n {
		if d := c.m[b.Docs[i]]; d != nil && d.matches(b.Chapters[i]) {
			found[i] = d
		}
	}
	c.mu.Unlock()
	l, err := resolve(b, buildDir, found)
	c.mu.Lock()
	c.m = map[ast.Node]*docLinks{}
	for i, d := range found {
		if d != nil {
			c.m[b.Docs[i]] = d
		}
	}
	c.mu.Unlock()
	return l, err
}

// matches reports whether d was found in ch's document as ch is now.
func (d *docLinks) matches(ch *model.Chapter) bool {
	return cacheable(ch) && d.path == ch.Path && len(d.source) == len(ch.Source) &&
		(len(d.source) == 0 || &d.source[0] == &ch.Source[0])
}

// cacheable reports whether the ids of ch's page come from its document
// alone.
func cacheable(ch *model.Chapter) bool { return len(ch.Runs) == 0 && len(ch.Labels) == 0 }
