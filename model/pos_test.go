package model

import (
	"errors"
	"fmt"
	"testing"
)

func TestPosString(t *testing.T) {
	for _, tc := range []struct {
		p    Pos
		want string
	}{
		{Pos{File: "book.toml", Line: 3, Col: 9}, "book.toml:3:9"},
		{Pos{File: "chapters/a.md", Line: 47}, "chapters/a.md:47"},
		{Pos{File: "chapters/a.md"}, "chapters/a.md"},
		{Pos{}, "-"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestErrorList(t *testing.T) {
	var l ErrorList
	if l.Err() != nil {
		t.Fatal("empty list must give a nil error")
	}
	cause := errors.New("cause")
	l.Add(Pos{File: "b.md", Line: 2}, "second")
	l.Append(&Error{Pos: Pos{File: "a.md", Line: 9}, Msg: "first", Detail: "tail 1\ntail 2", Err: cause})
	l.Append(ErrorList{{Pos: Pos{File: "b.md", Line: 1}, Msg: "zeroth"}})
	l.Sort()
	want := "a.md:9: first\n\ttail 1\n\ttail 2\nb.md:1: zeroth\nb.md:2: second"
	if got := l.Err().Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !errors.Is(l[0], cause) {
		t.Error("Error does not unwrap to its cause")
	}
}

func TestErrorListJoinedAndUnwrap(t *testing.T) {
	sentinel := errors.New("sentinel")
	a := &Error{Pos: Pos{File: "a.md", Line: 1}, Msg: "a"}
	b := &Error{Pos: Pos{File: "b.md", Line: 2}, Msg: "b", Err: sentinel}
	c := errors.New("plain")
	var l ErrorList
	l.Append(errors.Join(a, errors.Join(ErrorList{b}, c)))
	if len(l) != 3 {
		t.Fatalf("Append of joined errors kept %d, want 3: %v", len(l), l)
	}
	if l[0] != a || l[1] != b || l[2].Msg != "plain" || l[2].Err != c {
		t.Errorf("Append flattened to %#v", l)
	}
	if !errors.Is(l.Err(), sentinel) {
		t.Error("errors.Is does not see a sentinel inside the list")
	}
	var one *Error
	if !errors.As(l.Err(), &one) || one != a {
		t.Errorf("errors.As found %v, want the first error", one)
	}
	wrapped := fmt.Errorf("context: %w", ErrorList{a, b})
	var m ErrorList
	m.Append(wrapped)
	if len(m) != 2 {
		t.Errorf("Append of a wrapped list kept %d, want 2", len(m))
	}
}

func TestKernelVersion(t *testing.T) {
	for release, want := range map[string]string{
		"6.18.44-fc-v1147":     "6.18.44",
		"6.18.44-fc-v669":      "6.18.44",
		"6.1.0-28-amd64":       "6.1.0",
		"5.15.0-1051-azure":    "5.15.0",
		"6.8.0":                "6.8.0",
		"6.12.1.2-custom":      "6.12.1",
		"4.19":                 "4.19",
		"23.6.0":               "23.6.0",
		"unknown":              "unknown",
		"6.18.44+rpt-rpi-2712": "6.18.44",
		"6.2.0-rc1":            "6.2.0",
		"":                     "",
	} {
		if got := KernelVersion(release); got != want {
			t.Errorf("KernelVersion(%q) = %q, want %q", release, got, want)
		}
	}
}
