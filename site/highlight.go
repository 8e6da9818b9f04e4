package site

import (
	"bufio"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/litbook/litbook/internal/fsx"
)

// The chroma styles of light and dark pages. Highlighted code carries
// classes only, so one markup serves both; the stylesheet decides.
const (
	lightStyle = "github"
	darkStyle  = "github-dark"
)

// The two styles are copies of chroma's (see chromastyles/COPYING), read
// when first used: chroma's styles package parses all of its styles when
// litbook starts, which cost every command 5 ms.
//
//go:embed chromastyles/*.xml
var chromaStyleFiles embed.FS

var chromaStyles = sync.OnceValues(func() (map[string]*chroma.Style, error) {
	out := map[string]*chroma.Style{}
	for _, name := range []string{lightStyle, darkStyle} {
		f, err := chromaStyleFiles.Open("chromastyles/" + name + ".xml")
		if err != nil {
			return nil, err
		}
		st, err := chroma.NewXMLStyle(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("chroma style %s: %w", name, err)
		}
		out[name] = st
	}
	return out, nil
})

// chromaStyle returns the chroma style named name, lightStyle or
// darkStyle.
func chromaStyle(name string) (*chroma.Style, error) {
	all, err := chromaStyles()
	if err != nil {
		return nil, err
	}
	return all[name], nil
}

// highlightFormat changes whenever highlight's output for the same input
// changes in a way chroma's version does not tell: it is part of the
// cache's key.
const highlightFormat = "litbook-highlight-1"

// highlighter turns code into HTML with chroma's classes. Lexing is slow
// (about 1 MB/s of Go), so it keeps what it did on disk, by the digest of
// language and code: a build reads the cache the previous build left
// (known) and writes every block it uses to a new cache as it goes, so
// that highlighted blocks never pile up in memory and blocks no longer in
// the book drop out. It is safe for concurrent use; chroma's lexers and
// formatter are.
type highlighter struct {
	formatter *chromahtml.Formatter
	file      string                  // the cache; "" for none
	known     map[highlightKey]string // read only after loadHighlighter

	mu      sync.Mutex
	written map[highlightKey]bool // blocks in the new cache
	fresh   int                   // how many of them known lacked
	tmp     *os.File              // the new cache, until commit
	w       *bufio.Writer
	err     error // writing the new cache failed: keep the old one
}

type highlightKey [sha256.Size]byte

// blockKey is the cache key of code in lang.
func blockKey(lang string, code []byte) highlightKey {
	h := sha256.New()
	h.Write([]byte(lang))
	h.Write([]byte{0})
	h.Write(code)
	var key highlightKey
	h.Sum(key[:0])
	return key
}

// loadHighlighter returns a highlighter whose cache is file (none if
// empty). A missing, unreadable or outdated cache is an empty one: the
// cache only saves time.
func loadHighlighter(file string) *highlighter {
	h := &highlighter{
		formatter: chromahtml.New(chromahtml.WithClasses(true)),
		file:      file,
		known:     map[highlightKey]string{},
		written:   map[highlightKey]bool{},
	}
	if file == "" {
		return h
	}
	data, err := fsx.ReadRegular(file) // a cache, but never one that blocks
	if err != nil {
		return h
	}
	header := cacheVersion() + "\n"
	if !strings.HasPrefix(string(data), header) {
		return h
	}
	data = data[len(header):]
	known := map[highlightKey]string{}
	for len(data) > 0 {
		var key highlightKey
		if len(data) < len(key) {
			return h
		}
		copy(key[:], data)
		data = data[len(key):]
		n, size := binary.Uvarint(data)
		if size <= 0 || uint64(len(data)-size) < n {
			return h // truncated: ignore the whole cache
		}
		known[key] = string(data[size : size+int(n)])
		data = data[size+int(n):]
	}
	h.known = known
	return h
}

// highlight returns code, whose blockKey is key, as a <pre class="chroma">
// element, coloured if chroma knows lang and plain (escaped) otherwise.
func (h *highlighter) highlight(key highlightKey, lang string, code []byte) string {
	s, ok := h.known[key]
	if !ok {
		s = h.format(lang, string(code))
	}
	h.record(key, s, !ok)
	return s
}

// record adds a block to the new cache.
func (h *highlighter) record(key highlightKey, s string, fresh bool) {
	if h.file == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.written[key] || h.err != nil {
		return
	}
	h.written[key] = true
	if fresh {
		h.fresh++
	}
	if h.tmp == nil {
		if h.err = os.MkdirAll(filepath.Dir(h.file), 0o755); h.err != nil {
			return
		}
		if h.tmp, h.err = os.CreateTemp(filepath.Dir(h.file), filepath.Base(h.file)+".tmp-"); h.err != nil {
			return
		}
		h.w = bufio.NewWriterSize(h.tmp, 256<<10)
		_, h.err = h.w.WriteString(cacheVersion() + "\n")
	}
	var n [binary.MaxVarintLen64]byte
	h.w.Write(key[:])
	h.w.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	_, h.err = h.w.WriteString(s)
}

// commit makes the new cache the cache, unless it holds the same blocks
// as the old one. Failing to write a cache is not an error: it only
// costs time next build.
func (h *highlighter) commit() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tmp == nil {
		return
	}
	name := h.tmp.Name()
	err := h.err
	if err == nil {
		err = h.w.Flush()
	}
	if cerr := h.tmp.Close(); err == nil {
		err = cerr
	}
	h.tmp = nil
	if err != nil || (h.fresh == 0 && len(h.written) == len(h.known)) {
		_ = os.Remove(name)
		return
	}
	if err := os.Rename(name, h.file); err != nil {
		_ = os.Remove(name)
	}
}

// abort drops the new cache.
func (h *highlighter) abort() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tmp != nil {
		h.tmp.Close()
		_ = os.Remove(h.tmp.Name())
		h.tmp = nil
	}
}

func (h *highlighter) format(lang, code string) string {
	plain := `<pre class="chroma"><code>` + html.EscapeString(code) + "</code></pre>"
	if lang == "" {
		return plain
	}
	lexer := lexers.Get(lang)
	if lexer == nil {
		return plain
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, code)
	if err != nil {
		return plain
	}
	style, err := chromaStyle(lightStyle)
	if err != nil {
		return plain
	}
	var b strings.Builder
	// The style only matters for inline styles; with classes any will do.
	if err := h.formatter.Format(&b, style, it); err != nil {
		return plain
	}
	return b.String()
}

// cacheVersion identifies the highlighting code: litbook's format and the
// version of chroma it is built with. A cache made by other code is
// ignored.
func cacheVersion() string {
	v := highlightFormat
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/alecthomas/chroma/v2" {
				v += " chroma " + d.Version
			}
		}
	}
	return v
}

// chromaCSS returns the rules for chroma's classes in the named style.
// Backgrounds come from the page palette (--code-bg), so that plain and
// highlighted blocks look alike.
func chromaCSS(style string) (string, error) {
	f := chromahtml.New(
		chromahtml.WithClasses(true),
		chromahtml.WithCSSComments(false),
		chromahtml.WithCustomCSS(map[chroma.TokenType]string{
			chroma.Background: "background-color: var(--code-bg); color: var(--code-fg)",
		}),
	)
	st, err := chromaStyle(style)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := f.WriteCSS(&b, st); err != nil {
		return "", err
	}
	return b.String(), nil
}
