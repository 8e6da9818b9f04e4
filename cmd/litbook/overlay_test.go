package main

import (
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
)

// TestOverlayErrorsInert checks that the errors serve sends to the pages'
// overlay carry a program's terminal escapes as control pictures, as the
// terminal gets them.
func TestOverlayErrorsInert(t *testing.T) {
	err := &model.Error{
		Pos:    model.Pos{File: "chapters/a.md", Line: 4},
		Msg:    "command exited with status 1",
		Detail: "\x1b]0;PWNED\x07\x1b[2Jred \xc2\x9b2J \xff\n",
	}
	got := buildErrors(err)
	if len(got) != 1 {
		t.Fatalf("buildErrors = %v", got)
	}
	want := "command exited with status 1\n␛]0;PWNED␇red \uFFFD2J \uFFFD"
	if got[0].Msg != want || strings.ContainsAny(got[0].Msg, "\x1b\x07\u009b") {
		t.Errorf("overlay message %q, want %q", got[0].Msg, want)
	}
}
