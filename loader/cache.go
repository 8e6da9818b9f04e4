package loader

import (
	"bytes"
	"context"
	"sync"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark/ast"
)

// Cache keeps chapters that earlier loads of a book parsed, so that a load
// parses again only the chapters whose source changed: litbook serve
// loads the book after every edit, and parsing every chapter is most of
// what loading a large book costs. A chapter is reused when its path and
// its source are the same, byte for byte, as when it was parsed, and it
// holds nothing that the book assembles across chapters or numbers by
// its place (programs, runs, values, claims, charts, numbered figures and
// tables) nor any error: such a chapter's parse is a
// function of its path and source alone. Other chapters are parsed every
// time. A Cache is safe for concurrent use; its zero value is empty.
type Cache struct {
	mu sync.Mutex
	m  map[string]*cachedChapter // by root and path
}

// cachedChapter is a chapter as its parse left it, before the book set
// its number, part and appendix.
type cachedChapter struct {
	ch  model.Chapter
	doc ast.Node
}

// LoadCached is LoadContext that reuses the chapters c parsed before (see
// Cache); a nil c is LoadContext.
func LoadCached(ctx context.Context, dir string, c *Cache) (*Parsed, error) {
	if c == nil {
		return LoadContext(ctx, dir)
	}
	return loadContext(ctx, dir, c)
}

func cacheKey(root, p string) string { return root + "\x00" + p }

// read reads the regular file at path as fsx.ReadRegular does; with a
// cache, into *buf, which it grows as needed: most chapters a cache
// reads are the same as before, and need no copy.
func (c *Cache) read(path string, buf *[]byte) ([]byte, error) {
	if c == nil {
		return fsx.ReadRegular(path)
	}
	data, err := fsx.ReadRegularInto(path, *buf)
	if err != nil {
		return nil, err
	}
	*buf = data
	return data, nil
}

// get returns the chapter at p of the book in root parsed from src, from
// the cache, or false.
func (c *Cache) get(root, p string, src []byte) (*model.Chapter, ast.Node, bool) {
	if c == nil {
		return nil, nil, false
	}
	c.mu.Lock()
	e := c.m[cacheKey(root, p)]
	c.mu.Unlock()
	if e == nil || !bytes.Equal(e.ch.Source, src) {
		return nil, nil, false
	}
	ch := e.ch // a new chapter each load: the book sets its number and part
	return &ch, e.doc, true
}

// put keeps the chapter at p as parseChapterIn left it, if it may be
// reused (see Cache), and forgets it otherwise.
func (c *Cache) put(root, p string, ch *model.Chapter, doc ast.Node, st *chapterState) {
	if c == nil {
		return
	}
	key := cacheKey(root, p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*cachedChapter{}
	}
	if len(st.errs) > 0 || len(st.programs) > 0 || len(st.runs) > 0 || len(st.found) > 0 ||
		len(st.inputs) > 0 || len(st.uses) > 0 || len(st.fs) > 0 || len(st.broken) > 0 ||
		len(ch.Runs) > 0 || len(ch.Programs) > 0 || len(ch.Labels) > 0 || ch.Part != nil || ch.Number != "" || ch.Appendix {
		delete(c.m, key)
		return
	}
	c.m[key] = &cachedChapter{ch: *ch, doc: doc}
}
