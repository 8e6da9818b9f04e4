package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The real-browser tests drive Chromium headless through chromedp against
// a built book, from file:// and from litbook serve. Without Chromium they
// are skipped, saying how to run them; .ci/run installs it.

const browserHowTo = "the real-browser tests need Chromium: apt-get install chromium (or set LITBOOK_CHROMIUM to a Chrome or Chromium binary), then go test ./cmd/litbook -run Browser; .ci/run installs it and runs them"

// chromium returns the browser to drive, or "" if there is none.
func chromium() string {
	if p := os.Getenv("LITBOOK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// context for a tab in it, and the console messages of that tab. The
// browser lives at most 3 minutes.
func newBrowser(t *testing.T) (context.Context, *console) {
	t.Helper()
	return newBrowserFor(t, 3*time.Minute)
}

// newBrowserFor is newBrowser for a browser that lives at most d.
func newBrowserFor(t *testing.T, d time.Duration) (context.Context, *console) {
	t.Helper()
	path := chromium()
	if path == "" {
		if os.Getenv("LITBOOK_REQUIRE_BROWSER") != "" {
			t.Fatal("LITBOOK_REQUIRE_BROWSER is set and " + browserHowTo)
		}
		t.Skip(browserHowTo)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, d)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	c := &console{}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			c.add(m)
		}
	}()
	return ctx, c
}

// console collects what pages write to the browser's console.
type console struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func (c *console) add(m chromedp.ConsoleMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
}

// seen reports whether a message with text s has arrived.
func (c *console) seen(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if strings.Contains(m.String(), s) {
			return true
		}
	}
	return false
}

var consoleMarks atomic.Int64

// settled returns the errors and exceptions so far, and forgets them,
// once every message the page wrote before the call has arrived: it logs
// a mark and waits for it, as messages arrive in order.
func (c *console) settled(t *testing.T, ctx context.Context) []string {
	t.Helper()
	mark := fmt.Sprintf("litbook-test-mark-%d", consoleMarks.Add(1))
	eval[bool](t, ctx, fmt.Sprintf(`(console.info(%q), true)`, mark))
	deadline := time.Now().Add(10 * time.Second)
	for !c.seen(mark) {
		if time.Now().After(deadline) {
			t.Fatalf("the console mark %s never arrived", mark)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c.errors()
}

// errors returns the errors and exceptions so far, and forgets them.
func (c *console) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
		}
	}
	c.msgs = nil
	return out
}

// browserBook is the book the browser tests read: two chapters, a word
// that only a captured output holds, a plain code block and a transcript.
var browserBook = map[string]string{
	"book.toml": "[book]\ntitle = \"Browsed\"\ndescription = \"A book for the browser tests.\"\n",
	"chapters/01-a.md": "# First chapter\n\nOpening words of the first chapter, with `a_long_identifier_that_would_push_a_phone_screen_sideways` in it.\n\n" +
		"## Plain code\n\n```go\npackage main\n\nfunc main() {}\n```\n\nOn to [the second chapter](02-b.md#measured-words).\n\n" +
		"## Flags\n\nOpening a file with `O_APPEND` moves the offset to the end of the file before every write, so no other writer overwrites it.\n",
	"chapters/02-b.md": "# Second chapter\n\nNothing to find here.\n\n## Quiet section\n\nMore prose.\n\n" +
		"## Measured words\n\nThe next word is printed, not written:\n\n```console run=word\n$ printf '%s%s\\n' glimmer 7734\n```\n\n## After\n\nThe end.\n",
}

func writeBrowserBook(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range browserBook {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
	}
	return dir
}

func build(t *testing.T, dir string) {
	t.Helper()
	out, err := exec.Command("litbook", "build", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("litbook build: %v\n%s", err, out)
	}
}

func fileURL(dir, name string) string {
	return (&url.URL{Scheme: "file", Path: filepath.Join(dir, "book", name)}).String()
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds. It evaluates the
// condition afresh each time, so that it survives the navigations it may
// be waiting for.
func waitFor(t *testing.T, ctx context.Context, cond string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(ectx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: not true after %s (last error: %v)", cond, timeout, last)
}

func navigate(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("navigate to %s: %v", u, err)
	}
	waitFor(t, ctx, `document.readyState === "complete"`, 10*time.Second)
}

// waitPage waits until the page whose path ends with suffix has loaded,
// scripts included.
func waitPage(t *testing.T, ctx context.Context, suffix string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`location.pathname.endsWith(%q) && document.readyState === "complete"`, suffix), 10*time.Second)
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

func TestBrowserSite(t *testing.T) {
	ctx, cons := newBrowser(t)
	dir := writeBrowserBook(t)
	build(t, dir)

	t.Run("pages load without console errors", func(t *testing.T) {
		for _, name := range []string{"index.html", "01-a.html", "02-b.html", "print.html", "404.html"} {
			navigate(t, ctx, fileURL(dir, name))
			// The sidebar and the reader's tools are drawn by scripts.
			waitFor(t, ctx, `document.querySelectorAll("#sidebar .chapters > li").length === 2`, 10*time.Second)
			if name != "print.html" && name != "404.html" && name != "index.html" {
				waitFor(t, ctx, `document.querySelectorAll("main .copy").length > 0`, 10*time.Second)
			}
			if errs := cons.settled(t, ctx); len(errs) > 0 {
				t.Errorf("%s: console errors:\n%s", name, strings.Join(errs, "\n"))
			}
		}
	})

	t.Run("sidebar and previous/next", func(t *testing.T) {
		navigate(t, ctx, fileURL(dir, "02-b.html"))
		current := eval[string](t, ctx, `document.querySelector('#sidebar a[aria-current="page"]').textContent`)
		if current != "Second chapter" {
			t.Errorf("the sidebar marks %q as current", current)
		}
		sections := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#sidebar .sections a"), a => a.getAttribute("href"))`)
		if strings.Join(sections, " ") != "#quiet-section #measured-words #after" {
			t.Errorf("sections in the sidebar: %v", sections)
		}
		click(t, ctx, "a.prev")
		waitPage(t, ctx, "/01-a.html")
		click(t, ctx, "a.next")
		waitPage(t, ctx, "/02-b.html")
		click(t, ctx, `#sidebar .chapters a[href="01-a.html"]`)
		waitPage(t, ctx, "/01-a.html")
		// A heading's link icon links to the heading.
		href := eval[string](t, ctx, `document.querySelector("#plain-code .anchor").getAttribute("href")`)
		if href != "#plain-code" {
			t.Errorf("anchor of #plain-code links to %q", href)
		}
		if errs := cons.errors(); len(errs) > 0 {
			t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
		}
	})

	t.Run("search finds a word of a captured output", func(t *testing.T) {
		navigate(t, ctx, fileURL(dir, "index.html"))
		search(t, ctx, "/", "glimmer7734")
		waitPage(t, ctx, "/02-b.html")
		waitFor(t, ctx, `location.hash === "#measured-words"`, 10*time.Second)
		if errs := cons.errors(); len(errs) > 0 {
			t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
		}
	})

	t.Run("copy buttons", func(t *testing.T) {
		navigate(t, ctx, fileURL(dir, "02-b.html"))
		waitFor(t, ctx, `document.querySelectorAll(".terminal + .copy, .copyable .copy").length > 0`, 10*time.Second)
		click(t, ctx, ".copyable:has(.terminal) .copy")
		waitFor(t, ctx, `document.querySelector(".copyable:has(.terminal) .copy").textContent === "Copied"`, 5*time.Second)
		// What a transcript copies: its commands, without prompts or output.
		got := eval[string](t, ctx, `window.litbookLastCopy || ""`)
		if got != "printf '%s%s\\n' glimmer 7734\n" {
			t.Errorf("the transcript's copy button copied %q", got)
		}
		navigate(t, ctx, fileURL(dir, "01-a.html"))
		click(t, ctx, ".copyable .copy")
		waitFor(t, ctx, `document.querySelector(".copyable .copy").textContent === "Copied"`, 5*time.Second)
		if got := eval[string](t, ctx, `window.litbookLastCopy || ""`); !strings.HasPrefix(got, "package main\n") {
			t.Errorf("the code block's copy button copied %q", got)
		}
	})

	t.Run("theme persists across pages", func(t *testing.T) {
		navigate(t, ctx, fileURL(dir, "01-a.html"))
		light := eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`)
		keyword := `getComputedStyle(document.querySelector(".chroma .kn")).color`
		lightCode := eval[string](t, ctx, keyword)
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#theme"), "dark")); err != nil {
			t.Fatal(err)
		}
		eval[bool](t, ctx, `document.getElementById("theme").dispatchEvent(new Event("change"))`)
		waitFor(t, ctx, `document.documentElement.getAttribute("data-theme") === "dark"`, 5*time.Second)
		dark := eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`)
		if dark == light {
			t.Fatalf("the background stays %s in the dark theme", dark)
		}
		if darkCode := eval[string](t, ctx, keyword); darkCode == lightCode {
			t.Errorf("highlighted code keeps its colour %s in the dark theme", darkCode)
		}
		click(t, ctx, "a.next")
		waitPage(t, ctx, "/02-b.html")
		// The page's script sets the switch once it has run: wait for the
		// state rather than read it once.
		waitFor(t, ctx, fmt.Sprintf(`document.documentElement.getAttribute("data-theme") === "dark" && document.getElementById("theme").value === "dark" && getComputedStyle(document.body).backgroundColor === %q`, dark), 10*time.Second)
		// Back to following the system.
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#theme"), "")); err != nil {
			t.Fatal(err)
		}
		eval[bool](t, ctx, `document.getElementById("theme").dispatchEvent(new Event("change"))`)
		waitFor(t, ctx, `localStorage.getItem("litbook-theme") === null`, 5*time.Second)
		navigate(t, ctx, fileURL(dir, "01-a.html"))
		if got := eval[bool](t, ctx, `document.documentElement.hasAttribute("data-theme")`); got {
			t.Error("the system theme was not remembered")
		}
	})

	t.Run("usable at 375 px", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 740, chromedp.EmulateScale(2))); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)) }()
		navigate(t, ctx, fileURL(dir, "02-b.html"))
		if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("the page is %d px wide at 375 px: it scrolls sideways", w)
		}
		if top := eval[float64](t, ctx, `document.querySelector("main h1").getBoundingClientRect().top`); top > 300 {
			t.Errorf("the chapter's title starts %.0f px down, below the first screen", top)
		}
		visible := `(function(el){ var r = el.getBoundingClientRect(); return r.width > 0 && r.right > 0 && r.left < innerWidth && getComputedStyle(el).visibility !== "hidden"; })`
		if eval[bool](t, ctx, visible+`(document.getElementById("sidebar"))`) {
			t.Error("the sidebar covers the page before the menu is opened")
		}
		if !eval[bool](t, ctx, visible+`(document.getElementById("search"))`) {
			t.Error("the search box is not visible")
		}
		click(t, ctx, "#menu-button")
		waitFor(t, ctx, visible+`(document.getElementById("sidebar")) && getComputedStyle(document.getElementById("sidebar")).transform === "none"`, 5*time.Second)
		click(t, ctx, `#sidebar .chapters a[href="01-a.html"]`)
		waitPage(t, ctx, "/01-a.html")
		if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("01-a.html is %d px wide at 375 px: it scrolls sideways", w)
		}
		search(t, ctx, "s", "glimmer7734")
		waitFor(t, ctx, `location.hash === "#measured-words"`, 10*time.Second)
		if errs := cons.errors(); len(errs) > 0 {
			t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
		}
	})
}

// search focuses the search box with key ("/" or "s"), types query and
// opens the first result, which must be the "Measured words" section.
func search(t *testing.T, ctx context.Context, key, query string) {
	t.Helper()
	waitFor(t, ctx, `document.readyState === "complete"`, 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(key)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.activeElement && document.activeElement.id === "search"`, 5*time.Second)
	// chromedp sends the key's character as an event of its own, which a
	// browser would not after the page took the key down: drop it.
	eval[bool](t, ctx, `(document.getElementById("search").value = "", true)`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#search"), query)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelectorAll("#search-results a").length > 0`, 10*time.Second)
	// The list is on the screen, whatever its width.
	if out := eval[string](t, ctx, `(function(){ var r = document.getElementById("search-results").getBoundingClientRect(); return r.left < 0 || r.right > innerWidth ? r.left + "–" + r.right + " of " + innerWidth : ""; })()`); out != "" {
		t.Errorf("the search results run off the screen: %s px", out)
	}
	first := eval[string](t, ctx, `document.querySelector("#search-results a .title").textContent`)
	if first != "Measured words" {
		t.Fatalf("the first result for %q is %q, want the section Measured words", query, first)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#search-results a").length`); n != 1 {
		t.Errorf("%d results for %q, want 1: the word is only in one output", n, query)
	}
	click(t, ctx, "#search-results a")
	// The page it opens marks the words searched for.
	waitFor(t, ctx, fmt.Sprintf(`Array.from(document.querySelectorAll("main mark.search-hit"), m => m.textContent).includes(%q)`, query), 10*time.Second)
}

// TestBrowserServeReloads opens a page served by litbook serve, edits its
// chapter, and waits for the open page to show the edit; then breaks a
// link and waits for the error overlay, and fixes it.
func TestBrowserServeReloads(t *testing.T) {
	ctx, cons := newBrowser(t)
	dir := writeBrowserBook(t)
	s := startServe(t, dir)
	navigate(t, ctx, s.url+"/01-a.html")
	waitFor(t, ctx, `document.querySelectorAll("#sidebar .chapters > li").length === 2`, 10*time.Second)
	// Search works over HTTP too.
	search(t, ctx, "/", "glimmer7734")
	waitFor(t, ctx, `location.pathname === "/02-b.html" && location.hash === "#measured-words"`, 10*time.Second)
	navigate(t, ctx, s.url+"/01-a.html")
	eval[bool](t, ctx, `window.notReloaded = true`)
	waitFor(t, ctx, `!!window.litbookLive && window.litbookLive.readyState === EventSource.OPEN`, 10*time.Second)

	chapter := filepath.Join(dir, "chapters", "01-a.md")
	saveByRename(t, chapter, strings.Replace(browserBook["chapters/01-a.md"], "Opening words", "Edited words", 1))
	waitFor(t, ctx, `!window.notReloaded && document.body.textContent.includes("Edited words of the first chapter")`, 30*time.Second)

	// A broken link: the page stays and shows the error with its position.
	writeFile(t, chapter, strings.Replace(browserBook["chapters/01-a.md"], "02-b.md#measured-words", "02-b.md#nowhere", 1))
	waitFor(t, ctx, `!!document.getElementById("litbook-errors")`, 30*time.Second)
	overlay := eval[string](t, ctx, `document.getElementById("litbook-errors").textContent`)
	if !strings.Contains(overlay, "chapters/01-a.md:13: ") || !strings.Contains(overlay, "no anchor #nowhere") {
		t.Errorf("the overlay says %q", overlay)
	}
	if !eval[bool](t, ctx, `document.body.textContent.includes("Edited words")`) {
		t.Error("the page under the overlay is not the last good one")
	}
	// Readable in the light theme, where the page's pre is light: the
	// position and the message stand out from what is behind them.
	for _, sel := range []string{"#litbook-errors .pos", "#litbook-errors .msg"} {
		if c := eval[float64](t, ctx, contrastJS+fmt.Sprintf(`(document.querySelector(%q))`, sel)); c < 4.5 {
			t.Errorf("%s has a contrast of %.2f with its background, want 4.5 or more", sel, c)
		}
	}
	// Fixed: the overlay goes and the page shows the new text.
	writeFile(t, chapter, strings.Replace(browserBook["chapters/01-a.md"], "Opening words", "Fixed words", 1))
	waitFor(t, ctx, `!document.getElementById("litbook-errors") && document.body.textContent.includes("Fixed words")`, 30*time.Second)
	if errs := cons.errors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
	s.stop(t)
}

// contrastJS is a function of an element that returns the contrast ratio
// (WCAG 2) of its text colour with the first opaque background behind it.
const contrastJS = `(function(el){
  function rgb(s){ var m = s.match(/[\d.]+/g).map(Number); return {r:m[0], g:m[1], b:m[2], a: m.length > 3 ? m[3] : 1}; }
  function lum(c){ return [c.r, c.g, c.b].map(function(v){ v /= 255; return v <= 0.03928 ? v/12.92 : Math.pow((v+0.055)/1.055, 2.4); }).reduce(function(s, v, i){ return s + v*[0.2126, 0.7152, 0.0722][i]; }, 0); }
  var fg = rgb(getComputedStyle(el).color), bg = null;
  for (var e = el; e; e = e.parentElement) { var c = rgb(getComputedStyle(e).backgroundColor); if (c.a > 0.9) { bg = c; break; } }
  if (!bg) { bg = {r:255, g:255, b:255}; }
  var a = lum(fg), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})`
