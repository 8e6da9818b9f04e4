package model

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a file of the book, relative to the book root
// (for example chapters/02-append.md or book.toml). Line and Col count from
// 1; a zero Col means the column is unknown or irrelevant.
type Pos struct {
	File string
	Line int
	Col  int
}

// String prints the position the way compilers do: file:line or
// file:line:col. An invalid position prints as the file name alone.
func (p Pos) String() string {
	switch {
	case p.File == "":
		return "-"
	case p.Line <= 0:
		return p.File
	case p.Col <= 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsValid reports whether p names a line in a file.
func (p Pos) IsValid() bool { return p.File != "" && p.Line > 0 }

// Error is a problem found at a position: bad input in a chapter or in
// book.toml, a compile error mapped back to its chapter line, a run that
// failed. Detail holds further lines (a stderr tail, a snippet) that are
// printed indented below the message.
type Error struct {
	Pos    Pos
	Msg    string
	Detail string
	Err    error // the underlying cause, if any; see Unwrap
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos.File != "" {
		b.WriteString(e.Pos.String())
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Detail != "" {
		for _, line := range strings.Split(strings.TrimRight(e.Detail, "\n"), "\n") {
			b.WriteString("\n\t")
			b.WriteString(line)
		}
	}
	return b.String()
}

// Unwrap returns the underlying cause, so errors.Is(err, runner.ErrTimeout)
// works on a reported error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error at pos with a formatted message.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// ErrorList collects independent problems so that one pass reports all of
// them, like go/scanner.ErrorList.
type ErrorList []*Error

// Add appends an error at pos.
func (l *ErrorList) Add(pos Pos, format string, args ...any) {
	*l = append(*l, Errorf(pos, format, args...))
}

// Append adds err to the list, flattening an ErrorList, an *Error and
// errors joined with errors.Join (or any error with Unwrap() []error),
// however deeply nested, and wrapping any other error without a position.
func (l *ErrorList) Append(err error) {
	switch e := err.(type) {
	case nil:
		return
	case ErrorList:
		*l = append(*l, e...)
		return
	case *Error:
		*l = append(*l, e)
		return
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			l.Append(inner)
		}
		return
	}
	// A wrapped list or position (fmt.Errorf("...: %w", list)) keeps its
	// positions; the wrapping text is lost, as go/scanner's would be.
	var list ErrorList
	var one *Error
	switch {
	case errors.As(err, &list):
		*l = append(*l, list...)
	case errors.As(err, &one):
		*l = append(*l, one)
	default:
		*l = append(*l, &Error{Msg: err.Error(), Err: err})
	}
}

// Unwrap returns the list's errors, so that errors.Is and errors.As look
// into each of them: errors.Is(list, runner.ErrTimeout) holds when any run
// of the list timed out.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

func (l ErrorList) Len() int      { return len(l) }
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l ErrorList) Less(i, j int) bool {
	a, b := l[i].Pos, l[j].Pos
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Col != b.Col {
		return a.Col < b.Col
	}
	return l[i].Msg < l[j].Msg
}

// Sort orders the list by position, then message. It keeps the order of
// files as they appear (book.toml before chapters) only if the caller sorts
// before appending; litbook sorts within one stage, never across stages.
func (l ErrorList) Sort() { sort.Stable(l) }

// Error prints one error per line.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns nil for an empty list and the list itself otherwise, so that
// `return errs.Err()` never returns a non-nil interface holding nothing.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
