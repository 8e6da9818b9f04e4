package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/litbook/litbook/loader"
)

// bundledSite builds the bundled book with -frozen (it runs nothing: the
// results committed in results/ are used) into a temporary directory, and
// returns the directory and the names of its pages.
func bundledSite(t *testing.T) (string, []string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := loader.Load(root)
	if err != nil {
		t.Fatalf("loading the bundled book: %v", err)
	}
	out := filepath.Join(t.TempDir(), "book")
	if msg, err := exec.Command("litbook", "build", "-frozen", "-d", out, root).CombinedOutput(); err != nil {
		t.Fatalf("litbook build -frozen of the bundled book: %v\n%s", err, msg)
	}
	pages := []string{"index.html", "print.html", "machines.html", "404.html"}
	for _, ch := range b.Chapters {
		pages = append(pages, ch.Slug+".html")
	}
	return out, pages
}

// siteURL is the file:// URL of a page of the site in dir.
func siteURL(dir, name string) string { return "file://" + filepath.Join(dir, name) }

// media emulates a media type ("print", or "" for the screen) and a
// colour scheme ("light", "dark", or "" for the browser's own).
func media(t *testing.T, ctx context.Context, typ, scheme string) {
	t.Helper()
	p := emulation.SetEmulatedMediaParams{Media: typ}
	if scheme != "" {
		p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, p); err != nil {
		t.Fatal(err)
	}
}

func viewport(t *testing.T, ctx context.Context, width int64) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
		t.Fatal(err)
	}
}

func key(t *testing.T, ctx context.Context, k string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
		t.Fatal(err)
	}
}

// screenshot saves the element sel of the page to the directory named by
// LITBOOK_SCREENSHOTS, if it is set, for a person to look at.
func screenshot(t *testing.T, ctx context.Context, sel, name string) {
	t.Helper()
	dir := os.Getenv("LITBOOK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", sel, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserReader reads the bundled book as its review did, in a real
// browser, and checks each defect it found stays fixed.
func TestBrowserReader(t *testing.T) {
	ctx, cons := newBrowser(t)
	dir, pages := bundledSite(t)
	load := func(name string) {
		t.Helper()
		navigate(t, ctx, siteURL(dir, name))
		waitFor(t, ctx, `document.querySelectorAll("#sidebar .chapters > li").length > 0`, 10*time.Second)
	}

	t.Run("every in-page link reaches its target", func(t *testing.T) {
		// The print page's value links were all #ZgotmplZ.
		for _, name := range pages {
			load(name)
			broken := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('a[href^="#"]'), a => {
				const id = decodeURIComponent(a.getAttribute("href").slice(1));
				return id === "" || document.getElementById(id) ? "" : a.getAttribute("href");
			}).filter(s => s).slice(0, 5)`)
			if len(broken) > 0 {
				t.Errorf("%s: links to no element: %v", name, broken)
			}
		}
	})

	t.Run("the Machines page is in every page's sidebar", func(t *testing.T) {
		for _, name := range pages {
			load(name)
			if !eval[bool](t, ctx, `!!document.querySelector('#sidebar a[href="machines.html"]')`) {
				t.Errorf("%s: the sidebar does not link to machines.html", name)
			}
		}
	})

	t.Run("code is at the prose's scale", func(t *testing.T) {
		load("02-append.html")
		// mdBook's 0.875em: code 13 px beside 17 px prose read small.
		if r := eval[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector("main pre")).fontSize) / parseFloat(getComputedStyle(document.querySelector("main p")).fontSize)`); r < 0.85 {
			t.Errorf("code is %.2f of the prose's size, want 0.85 or more", r)
		}
	})

	t.Run("charts are whole at 375 px", func(t *testing.T) {
		viewport(t, ctx, 375)
		defer viewport(t, ctx, 1280)
		charts := 0
		for _, name := range pages {
			if name == "print.html" {
				continue
			}
			load(name)
			// Each figure shows its whole drawing: nothing scrolls inside
			// it, and its labels stay readable.
			bad := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("figure.chart"), f => {
				const svg = f.querySelector("svg"), fr = f.getBoundingClientRect(), r = svg.getBoundingClientRect();
				const small = Array.from(svg.querySelectorAll(".chart-label, .chart-ticks text"), x => x.getBoundingClientRect().height).filter(h => h > 0 && h < 8);
				if (f.scrollWidth > f.clientWidth + 1 || r.right > fr.right + 1 || r.left < fr.left - 1) return f.id + ": cropped (" + r.width + " px drawn in " + fr.width + ")";
				if (small.length) return f.id + ": " + small.length + " labels under 8 px";
				return "";
			}).filter(s => s)`)
			for _, b := range bad {
				t.Errorf("%s at 375 px: %s", name, b)
			}
			charts += eval[int](t, ctx, `document.querySelectorAll("figure.chart").length`)
			if name == "13-replace.html" || name == "01-atomic.html" {
				screenshot(t, ctx, "figure.chart", "375-"+strings.TrimSuffix(name, ".html")+".png")
			}
		}
		if charts == 0 {
			t.Fatal("the bundled book has no charts to check")
		}
	})

	t.Run("timeline lanes stand out in the dark theme", func(t *testing.T) {
		media(t, ctx, "", "dark")
		defer media(t, ctx, "", "")
		load("01-atomic.html")
		// The contrast of a lane's line, as drawn (its colour at its
		// opacity over the page), with the page: 3:1 for graphics.
		c := eval[float64](t, ctx, `(function(){
			const line = document.querySelector(".timeline-span"), st = getComputedStyle(line);
			const rgb = s => s.match(/[\d.]+/g).map(Number);
			const fg = rgb(st.stroke), bg = rgb(getComputedStyle(document.body).backgroundColor), a = parseFloat(st.strokeOpacity);
			const mix = fg.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a));
			const lum = c => c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
			const x = lum(mix), y = lum(bg.slice(0, 3));
			return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
		})()`)
		if c < 3 {
			t.Errorf("a timeline lane has a contrast of %.2f with the dark page, want 3 or more", c)
		}
	})

	t.Run("value details open by tap and by keyboard", func(t *testing.T) {
		load("01-atomic.html")
		if eval[int](t, ctx, `document.querySelectorAll("button.value").length`) == 0 {
			t.Fatal("01-atomic.html has no values")
		}
		note := `document.getElementById(document.querySelector("button.value").getAttribute("popovertarget"))`
		click(t, ctx, "button.value")
		waitFor(t, ctx, note+`.matches(":popover-open")`, 5*time.Second)
		text := eval[string](t, ctx, note+`.textContent`)
		if !strings.Contains(text, "measured on") || !strings.Contains(text, "See the transcript") {
			t.Errorf("the note says %q, want where it was measured and a link to the run", text)
		}
		key(t, ctx, kb.Escape)
		waitFor(t, ctx, `!`+note+`.matches(":popover-open")`, 5*time.Second)
		// The keyboard: focus the value, Enter opens the note.
		eval[bool](t, ctx, `(document.querySelector("button.value").focus(), true)`)
		key(t, ctx, kb.Enter)
		waitFor(t, ctx, note+`.matches(":popover-open")`, 5*time.Second)
		// Its link leads to the run, and closes the note.
		eval[bool](t, ctx, `(`+note+`.querySelector("a").click(), true)`)
		waitFor(t, ctx, `location.hash.startsWith("#run-") && !`+note+`.matches(":popover-open")`, 5*time.Second)
	})

	t.Run("print", func(t *testing.T) {
		media(t, ctx, "print", "")
		defer media(t, ctx, "", "")
		load("print.html")
		// Charts no wider than body-size labels allow.
		ratio := eval[float64](t, ctx, `(function(){
			const body = parseFloat(getComputedStyle(document.body).fontSize);
			const label = document.querySelector("figure.chart .chart-label");
			return label.getBoundingClientRect().height / body;
		})()`)
		if ratio > 1.35 {
			t.Errorf("printed chart labels are %.2f times the body text", ratio)
		}
		// Disclosures print open: trials tables, files, folded code.
		closed := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("details"), d => {
			const inner = d.querySelector(":scope > :not(summary)");
			return inner && inner.getBoundingClientRect().height === 0 ? (d.className || "details") : "";
		}).filter(s => s).slice(0, 5)`)
		if len(closed) > 0 {
			t.Errorf("disclosures print closed: %v", closed)
		}
		if eval[int](t, ctx, `document.querySelectorAll(".hidden-code").length`) == 0 {
			t.Error("the print page has no folded code to check")
		}
		// Value details are printed.
		if n := eval[int](t, ctx, `Array.from(document.querySelectorAll(".value-note")).filter(n => n.getBoundingClientRect().height === 0).length`); n > 0 {
			t.Errorf("%d value notes are not printed", n)
		}
	})

	if errs := cons.settled(t, ctx); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestBrowserNavigation checks what mdBook readers expect: arrow keys turn
// pages, the sidebar marks the section being read, and search marks whole
// words.
func TestBrowserNavigation(t *testing.T) {
	ctx, cons := newBrowser(t)
	dir := writeBrowserBook(t)
	build(t, dir)

	t.Run("arrow keys turn pages", func(t *testing.T) {
		navigate(t, ctx, fileURL(dir, "01-a.html"))
		key(t, ctx, kb.ArrowRight)
		waitPage(t, ctx, "/02-b.html")
		key(t, ctx, kb.ArrowLeft)
		waitPage(t, ctx, "/01-a.html")
		key(t, ctx, kb.ArrowLeft)
		waitPage(t, ctx, "/index.html")
	})

	t.Run("the sidebar marks the section being read", func(t *testing.T) {
		viewport(t, ctx, 1280)
		navigate(t, ctx, fileURL(dir, "02-b.html"))
		// A page tall enough to scroll each section to the top.
		eval[bool](t, ctx, `(document.querySelector("main").style.paddingBottom = "3000px", true)`)
		for _, id := range []string{"quiet-section", "after", "measured-words"} {
			eval[bool](t, ctx, fmt.Sprintf(`(document.getElementById(%q).scrollIntoView(), true)`, id))
			waitFor(t, ctx, fmt.Sprintf(`(document.querySelector('#sidebar .sections a[aria-current="location"]') || {}).hash === "#%s"`, id), 5*time.Second)
		}
	})

	t.Run("a heading's link icon stays with its last word", func(t *testing.T) {
		navigate(t, ctx, fileURL(dir, "01-a.html"))
		// The heading exactly as wide as its text: the icon does not fit
		// on the line, and must take the last word with it.
		got := eval[string](t, ctx, `(function(){
			const h = document.getElementById("plain-code"), a = h.querySelector(".anchor");
			const all = document.createRange(); all.selectNodeContents(h); all.setEndBefore(a);
			h.style.width = Math.ceil(all.getBoundingClientRect().width) + "px";
			const word = document.createRange();
			word.selectNodeContents(h); word.setEndBefore(a);
			word.setStart(word.endContainer.nodeType === 3 ? word.endContainer : h, 0);
			const text = [...h.childNodes].flatMap(n => n.nodeType === 3 ? [n] : [...n.childNodes].filter(c => c.nodeType === 3)).pop();
			word.setStart(text, text.nodeValue.search(/\S+\s*$/)); word.setEnd(text, text.nodeValue.length);
			const rects = word.getClientRects(), last = rects[rects.length - 1], icon = a.getBoundingClientRect();
			return Math.abs(icon.top - last.top) < last.height / 2 ? "" : "icon at y " + icon.top + ", last word at y " + last.top;
		})()`)
		if got != "" {
			t.Errorf("the link icon of a heading wraps alone: %s", got)
		}
	})

	t.Run("search marks whole words", func(t *testing.T) {
		navigate(t, ctx, fileURL(dir, "index.html"))
		eval[bool](t, ctx, `(document.getElementById("search").focus(), true)`)
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#search"), "O_APPEND")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `document.querySelectorAll("#search-results a").length > 0`, 10*time.Second)
		marks := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#search-results mark"), m => m.textContent)`)
		if len(marks) == 0 {
			t.Fatal("no word marked in the results for O_APPEND")
		}
		for _, m := range marks {
			if strings.ToLower(m) != "o_append" {
				t.Errorf("the results for O_APPEND mark %q (all marks: %q)", m, marks)
				break
			}
		}
		click(t, ctx, "#search-results a")
		waitPage(t, ctx, "/01-a.html")
		waitFor(t, ctx, `Array.from(document.querySelectorAll("main mark.search-hit"), m => m.textContent).join() === "O_APPEND"`, 10*time.Second)
	})

	if errs := cons.settled(t, ctx); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestBrowserKeyboard reads with the keyboard only: Tab and Enter open the
// drawer on a phone, a disclosure, a copy button and a search result.
func TestBrowserKeyboard(t *testing.T) {
	ctx, _ := newBrowser(t)
	dir, _ := bundledSite(t)
	// tabTo presses Tab until the focused element matches sel.
	tabTo := func(sel string) {
		t.Helper()
		for range 400 {
			if eval[bool](t, ctx, fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
				return
			}
			key(t, ctx, kb.Tab)
		}
		t.Fatalf("Tab never reached %s", sel)
	}

	viewport(t, ctx, 375)
	navigate(t, ctx, siteURL(dir, "02-append.html"))
	tabTo("#menu-button")
	key(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.documentElement.classList.contains("menu-open") && getComputedStyle(document.getElementById("sidebar")).visibility === "visible"`, 5*time.Second)
	tabTo(`#sidebar a[href="03-many-writers.html"]`)
	key(t, ctx, kb.Enter)
	waitPage(t, ctx, "/03-many-writers.html")
	viewport(t, ctx, 1280)

	// A disclosure: its summary takes the focus, Enter opens it.
	tabTo("details > summary")
	key(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.activeElement.parentElement.open === true`, 5*time.Second)
	// A copy button.
	tabTo("button.copy")
	key(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.activeElement.textContent === "Copied" || document.activeElement.textContent === "Failed"`, 5*time.Second)
	// Search, from the keyboard: "/" focuses it, arrows choose, Enter opens.
	eval[bool](t, ctx, `(document.activeElement.blur(), true)`)
	key(t, ctx, "/")
	waitFor(t, ctx, `document.activeElement.id === "search"`, 5*time.Second)
	eval[bool](t, ctx, `(document.getElementById("search").value = "", true)`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#search"), "EEXIST")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelectorAll("#search-results a").length > 0`, 10*time.Second)
	key(t, ctx, kb.ArrowDown)
	key(t, ctx, kb.Enter)
	waitFor(t, ctx, `document.querySelectorAll("main mark.search-hit").length > 0`, 10*time.Second)
}

// TestBrowserNotFoundNested asks litbook serve for a page at a nested path
// that does not exist: the not-found page is styled and its links work.
func TestBrowserNotFoundNested(t *testing.T) {
	ctx, _ := newBrowser(t)
	dir := writeBrowserBook(t)
	s := startServe(t, dir)
	navigate(t, ctx, s.url+"/a/b/c.html")
	if !eval[bool](t, ctx, `document.body.textContent.includes("Page not found")`) {
		t.Fatal("not the not-found page")
	}
	if pos := eval[string](t, ctx, `getComputedStyle(document.querySelector(".topbar")).position`); pos != "sticky" {
		t.Errorf("the not-found page is not styled (its bar is %q)", pos)
	}
	waitFor(t, ctx, `document.querySelectorAll("#sidebar .chapters > li").length === 2`, 10*time.Second)
	click(t, ctx, `.notfound a[href="index.html"]`)
	waitFor(t, ctx, fmt.Sprintf(`location.href === %q && document.readyState === "complete"`, s.url+"/index.html"), 10*time.Second)
	if !eval[bool](t, ctx, `!!document.getElementById("contents")`) {
		t.Error("the not-found page's link did not lead to the title page")
	}
	s.stop(t)
}

// TestBrowserChapterNames follows links to chapters whose file names need
// escaping, from file:// and from litbook serve.
func TestBrowserChapterNames(t *testing.T) {
	ctx, _ := newBrowser(t)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"book.toml":              "[book]\ntitle = \"Names\"\n",
		"chapters/01-start.md":   "# Start\n\nSee [spaces](<my chapter.md#hello>) and [unicode](日本語%20%26%20%3Cb%3E.md).\n",
		"chapters/my chapter.md": "# Spaces\n\n## Hello\n\nHi.\n",
		"chapters/日本語 & <b>.md":  "# Unicode\n\nHi.\n",
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
	}
	build(t, dir)
	s := startServe(t, dir)
	for _, base := range []string{fileURL(dir, "") + "/", s.url + "/"} {
		navigate(t, ctx, base+"01-start.html")
		click(t, ctx, `main a[href^="my"]`)
		waitFor(t, ctx, `document.readyState === "complete" && !!document.querySelector("main h1") && document.querySelector("main h1").textContent === "Spaces"`, 10*time.Second)
		navigate(t, ctx, base+"01-start.html")
		click(t, ctx, `main a[href^="%E6"]`)
		waitFor(t, ctx, `document.readyState === "complete" && !!document.querySelector("main h1") && document.querySelector("main h1").textContent === "Unicode"`, 10*time.Second)
		// The sidebar marks the page, though its name is escaped.
		waitFor(t, ctx, `(document.querySelector('#sidebar a[aria-current="page"]') || {}).textContent === "Unicode"`, 10*time.Second)
	}
	s.stop(t)
}
