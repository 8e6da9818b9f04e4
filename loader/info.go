package loader

import (
	"fmt"
	"strings"
)

// attr is one word of a fence's info string after the language:
// key=value, key="quoted value", or a bare key.
type attr struct {
	Key, Value string
	HasValue   bool
	Col        int // 1-based column of the key in the fence line
}

// info is a parsed info string.
type info struct {
	Lang  string
	Attrs []attr
}

// parseInfo splits an info string that starts at column col of its line.
// The first word is the language unless it contains "=". An unterminated
// quote is an error with the column of the quote.
func parseInfo(s string, col int) (info, error) {
	var in info
	i, first := 0, true
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return in, nil
		}
		start := i
		for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '=' {
			i++
		}
		a := attr{Key: s[start:i], Col: col + start}
		if i < len(s) && s[i] == '=' {
			i++
			a.HasValue = true
			if i < len(s) && s[i] == '"' {
				end := strings.IndexByte(s[i+1:], '"')
				if end < 0 {
					return in, &infoError{Col: col + i, Msg: fmt.Sprintf("unterminated quote in %s=", a.Key)}
				}
				a.Value = s[i+1 : i+1+end]
				i += end + 2
			} else {
				vstart := i
				for i < len(s) && s[i] != ' ' && s[i] != '\t' {
					i++
				}
				a.Value = s[vstart:i]
			}
		}
		if first && !a.HasValue {
			in.Lang = a.Key
		} else {
			in.Attrs = append(in.Attrs, a)
		}
		first = false
	}
}

// has reports whether the info string carries key, with or without a value.
func (in info) has(key string) bool {
	for _, a := range in.Attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

// infoError is a syntax error in an info string, at a column of the fence line.
type infoError struct {
	Col int
	Msg string
}

func (e *infoError) Error() string { return e.Msg }

// suggest returns ` (did you mean "x"?)` when key is one edit or a
// transposition away from one of known, and "" otherwise.
func suggest(key string, known []string) string {
	for _, k := range known {
		if closeEnough(key, k) {
			return fmt.Sprintf(" (did you mean %s?)", k)
		}
	}
	return ""
}

func closeEnough(a, b string) bool {
	if a == b {
		return false
	}
	if strings.EqualFold(a, b) {
		return true
	}
	// Levenshtein distance <= 1, or one adjacent transposition.
	if len(a) == len(b) {
		diff := []int{}
		for i := range a {
			if a[i] != b[i] {
				diff = append(diff, i)
			}
		}
		if len(diff) == 1 {
			return true
		}
		return len(diff) == 2 && diff[1] == diff[0]+1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]]
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) != 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return a[i:] == b[i+1:]
}
