package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/litbook/litbook/loader"
)

// TestBrowserBundledBook reads every page of the bundled book, rendered
// with -frozen from the results committed in results/ (so it runs nothing,
// and fails if a chapter changed without its results being committed), in
// a real browser: no console errors; every chart and timeline drawn with a
// size; and at phone width no page scrolls sideways, whatever tables and
// transcripts the chapters hold.
func TestBrowserBundledBook(t *testing.T) {
	ctx, cons := newBrowser(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := loader.Load(root)
	if err != nil {
		t.Fatalf("loading the bundled book: %v", err)
	}
	out := filepath.Join(t.TempDir(), "book")
	cmd := exec.Command("litbook", "build", "-frozen", "-d", out, root)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("litbook build -frozen of the bundled book: %v\n%s", err, msg)
	}
	pages := []string{"index.html", "print.html", "machines.html", "404.html"}
	for _, ch := range b.Chapters {
		pages = append(pages, ch.Slug+".html")
	}
	page := func(name string) string {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Fatalf("the site has no %s: %v", name, err)
		}
		return "file://" + filepath.Join(out, name)
	}

	for _, width := range []int{1280, 375} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 800)); err != nil {
			t.Fatal(err)
		}
		for _, name := range pages {
			navigate(t, ctx, page(name))
			waitFor(t, ctx, `document.querySelectorAll("#sidebar .chapters > li").length > 0`, 10*time.Second)
			if errs := cons.settled(t, ctx); len(errs) > 0 {
				t.Errorf("%s at %d px: console errors:\n%s", name, width, strings.Join(errs, "\n"))
			}
			empty := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("figure.chart"), f => {
				const r = f.querySelector("svg") ? f.querySelector("svg").getBoundingClientRect() : null;
				return r && r.width > 100 && r.height > 20 ? "" : (f.id || "a chart");
			}).filter(s => s)`)
			if len(empty) > 0 {
				t.Errorf("%s at %d px: figures drawn without a size: %v", name, width, empty)
			}
			if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > width {
				wide := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("main *"), e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest("pre, table, .chart-data, .timeline, figure") ? e.tagName + "." + e.className : "").filter(s => s).slice(0, 5)`)
				t.Errorf("%s is %d px wide at %d px: it scrolls sideways (widest: %v)", name, w, width, wide)
			}
		}
	}
}
