package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// figuresBook has parts, callouts, a captioned drawing, a captioned table,
// a chart with a title and cross-references between its chapters.
var figuresBook = map[string]string{
	"book.toml": "[book]\ntitle = \"Figures\"\n\n[[book.parts]]\ntitle = \"First part\"\nchapters = [\"chapters/01-a.md\"]\n\n[[book.parts]]\ntitle = \"Second part\"\nchapters = [\"chapters/02-b.md\"]\n",
	"chapters/01-a.md": "# First\n\n> [!NOTE]\n> Read this first.\n\n> [!CAUTION]\n> Mind the race.\n\n" +
		"![A wide diagram](wide.svg)\n\nFigure: A diagram wider than a phone. {#fig-wide}\n\n" +
		"| a | b |\n|---|---|\n| 1 | 2 |\n\nTable: Two columns. {#tbl-two}\n\n" +
		"```console run=count trials=3\n$ echo n=$((1 + 1))\n```\n\n`=chart(count.n, title=\"Counted\")`\n\nFigure: The count. {#fig-count}\n\n" +
		"See [](#fig-wide), [](#tbl-two) and [](02-b.md#fig-b).\n",
	"chapters/02-b.md":  "# Second\n\n![b](wide.svg)\n\nFigure: Again. {#fig-b}\n\nBack to [](01-a.md#fig-wide).\n",
	"chapters/wide.svg": `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 200" width="800" height="200"><rect width="800" height="200" fill="#eee"/><text x="10" y="100" font-size="20">a diagram</text></svg>`,
}

// TestBrowserFigures reads a book with callouts, figures, references and
// parts in a real browser: no console errors; callouts are notes named by
// their visible label and change colour with the theme; a reference reads
// "Figure 1.1" and leads to its figure; the sidebar shows the parts; and
// at phone width the page does not scroll sideways, the wide drawing
// scrolling inside its figure instead.
func TestBrowserFigures(t *testing.T) {
	ctx, cons := newBrowser(t)
	dir := t.TempDir()
	for name, content := range figuresBook {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
	}
	build(t, dir)
	navigate(t, ctx, fileURL(dir, "01-a.html"))
	if errs := cons.errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}

	t.Run("callouts are labelled notes", func(t *testing.T) {
		got := eval[[]string](t, ctx, `[...document.querySelectorAll(".callout")].map(c => c.getAttribute("role") + ":" + document.getElementById(c.getAttribute("aria-labelledby")).textContent)`)
		if len(got) != 2 || got[0] != "note:Note" || got[1] != "note:Caution" {
			t.Errorf("callouts %v, want [note:Note note:Caution]", got)
		}
		light := eval[string](t, ctx, `getComputedStyle(document.querySelector(".callout-caution")).borderLeftColor`)
		eval[any](t, ctx, `document.documentElement.setAttribute("data-theme", "dark")`)
		dark := eval[string](t, ctx, `getComputedStyle(document.querySelector(".callout-caution")).borderLeftColor`)
		eval[any](t, ctx, `document.documentElement.setAttribute("data-theme", "light")`)
		if light == dark || light == "" {
			t.Errorf("the caution's border is %q in the light theme and %q in the dark one", light, dark)
		}
	})

	t.Run("references read and lead to figures", func(t *testing.T) {
		got := eval[[]string](t, ctx, `[...document.querySelectorAll("a.xref")].map(a => a.textContent)`)
		if len(got) != 3 || got[0] != "Figure 1.1" || got[1] != "Table 1.1" || got[2] != "Figure 2.1" {
			t.Errorf("references read %v", got)
		}
		if n := eval[string](t, ctx, `document.querySelector("#fig-count figcaption .figure-number").textContent + document.querySelector("#fig-count .chart-title").textContent`); n != "Figure 1.2.Counted" {
			t.Errorf("the chart's figure reads %q", n)
		}
		click(t, ctx, `a.xref[href="02-b.html#fig-b"]`)
		waitPage(t, ctx, "02-b.html")
		waitFor(t, ctx, `location.hash === "#fig-b" && document.querySelector("a.xref").textContent === "Figure 1.1"`, 5*time.Second)
	})

	t.Run("the sidebar shows the parts", func(t *testing.T) {
		got := eval[[]string](t, ctx, `[...document.querySelectorAll(".sidebar li.part")].map(li => li.textContent)`)
		if len(got) != 2 || got[0] != "First part" || got[1] != "Second part" {
			t.Errorf("parts in the sidebar: %v", got)
		}
	})

	t.Run("usable at 375 px", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 740, chromedp.EmulateScale(2))); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)) }()
		navigate(t, ctx, fileURL(dir, "01-a.html"))
		if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("the page is %d px wide at 375 px: it scrolls sideways", w)
		}
		if w := eval[int](t, ctx, `document.querySelector("#fig-wide img").getBoundingClientRect().width`); w < 500 {
			t.Errorf("the drawing shrank to %d px at 375 px: its text would be unreadable", w)
		}
	})
	if errs := cons.errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
