package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeViolation is what axe-core reports of one rule that a page breaks.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axeRun runs axe-core, loaded from testdata/axe, on the page open in ctx
// and returns its serious and critical violations.
func axeRun(t *testing.T, ctx context.Context, axe string) []axeViolation {
	t.Helper()
	if !eval[bool](t, ctx, `typeof window.axe === "object"`) {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+"\n;true")); err != nil {
			t.Fatalf("loading axe-core: %v", err)
		}
	}
	actx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out, err := chromedp.Run(actx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical")))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestBrowserAccessibility runs axe-core on every page of the bundled book
// (built with -frozen), in the light and the dark theme, at 1280 and
// 375 px: no serious or critical violation, whether of contrast, names,
// landmarks or keyboard use. axe-core is vendored for this test only
// (testdata/axe); no site holds it.
func TestBrowserAccessibility(t *testing.T) {
	// About 2.5 minutes on a 2-CPU machine: axe takes 15 s on the print
	// page, which holds the whole book, in each of the four settings.
	ctx, _ := newBrowserFor(t, 15*time.Minute)
	axe, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	dir, pages := bundledSite(t)
	if only := os.Getenv("LITBOOK_AXE_PAGES"); only != "" { // to look at a few pages while fixing them
		pages = strings.Split(only, ",")
	}
	for _, scheme := range []string{"light", "dark"} {
		media(t, ctx, "", scheme)
		for _, width := range []int64{1280, 375} {
			viewport(t, ctx, width)
			for _, name := range pages {
				navigate(t, ctx, siteURL(dir, name))
				waitFor(t, ctx, `document.querySelectorAll("#sidebar .chapters > li").length > 0`, 10*time.Second)
				start := time.Now()
				vs := axeRun(t, ctx, string(axe))
				t.Logf("%s, %s, %d px: checked in %s", name, scheme, width, time.Since(start).Round(time.Millisecond))
				for _, v := range vs {
					var where []string
					for i, n := range v.Nodes {
						if i == 3 {
							where = append(where, fmt.Sprintf("and %d more", len(v.Nodes)-3))
							break
						}
						where = append(where, fmt.Sprint(n.Target)+" "+n.HTML)
					}
					t.Errorf("%s, %s, %d px: %s %s (%s):\n\t%s", name, scheme, width, v.Impact, v.ID, v.Help, strings.Join(where, "\n\t"))
				}
			}
		}
	}
	media(t, ctx, "", "")
}
