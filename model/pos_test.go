package model

import (
	"errors"
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
