package naming

import (
	"testing"

	"github.com/litbook/litbook/model"
)

func TestPageURL(t *testing.T) {
	for slug, want := range map[string]string{
		"02-append":      "02-append.html",
		"with space":     "with%20space.html",
		"a#b":            "a%23b.html",
		"javascript:x":   "./javascript:x.html",
		"日本語 & <b>":      "%E6%97%A5%E6%9C%AC%E8%AA%9E%20&%20%3Cb%3E.html",
		"100%":           "100%25.html",
		"what?":          "what%3F.html",
		"already%20done": "already%2520done.html",
	} {
		if got := PageURL(slug); got != want {
			t.Errorf("PageURL(%q) = %q, want %q", slug, got, want)
		}
		if got := PageFile(slug); got != slug+".html" {
			t.Errorf("PageFile(%q) = %q: the file must be named as the chapter, unescaped", slug, got)
		}
	}
}

func TestPrintID(t *testing.T) {
	ch := &model.Chapter{Slug: "01-atomic"}
	if got := PrintID(ch, ""); got != "01-atomic" {
		t.Errorf("PrintID of the chapter = %q", got)
	}
	if got := Fragment(PrintID(ch, RunIDOf("race"))); got != "#01-atomic:run-race" {
		t.Errorf("fragment of a print id = %q", got)
	}
	if got := Fragment(""); got != "" {
		t.Errorf("Fragment(\"\") = %q", got)
	}
}
