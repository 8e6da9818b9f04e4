package site

import (
	"html"
	"strings"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
)

// The chroma styles of light and dark pages. Highlighted code carries
// classes only, so one markup serves both; the stylesheet decides.
const (
	lightStyle = "github"
	darkStyle  = "github-dark"
)

// highlighter turns code into HTML with chroma's classes. Lexing is slow
// (about 1 MB/s), so it remembers what it has done: a book shows the same
// code more than once only rarely, but a site is rendered often and the
// cache costs nothing.
type highlighter struct {
	formatter *chromahtml.Formatter
	cache     map[highlightKey]string
}

type highlightKey struct{ lang, code string }

func newHighlighter() *highlighter {
	return &highlighter{
		formatter: chromahtml.New(chromahtml.WithClasses(true)),
		cache:     map[highlightKey]string{},
	}
}

// highlight returns code as a <pre class="chroma"> element, coloured if
// chroma knows lang and plain (escaped) otherwise.
func (h *highlighter) highlight(lang string, code []byte) string {
	key := highlightKey{lang, string(code)}
	if s, ok := h.cache[key]; ok {
		return s
	}
	s := h.format(lang, key.code)
	h.cache[key] = s
	return s
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
	var b strings.Builder
	// The style only matters for inline styles; with classes any will do.
	if err := h.formatter.Format(&b, styles.Get(lightStyle), it); err != nil {
		return plain
	}
	return b.String()
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
	var b strings.Builder
	if err := f.WriteCSS(&b, styles.Get(style)); err != nil {
		return "", err
	}
	return b.String(), nil
}
