// Package inert turns bytes that a program wrote into text that shows every
// byte for what it is and that no terminal or browser acts on: the site
// shows captured output through it, and litbook prints the error details
// that carry a program's output through it too.
package inert

import (
	"strings"
	"unicode/utf8"
)

// Control pictures stand in for control characters.
const (
	controlPictures = 0x2400 // U+2400 ␀ is the picture of NUL; U+241B ␛ of ESC
	deletePicture   = 0x2421 // ␡
)

// Text turns data into text that shows every byte for what it is: invalid
// UTF-8 becomes U+FFFD, ANSI CSI sequences (colours, cursor motion) are
// dropped, CRLF becomes LF, other C0 control characters except newline and
// tab become their visible control pictures (␀, ␛, ␍, ...), and C1 control
// characters (U+0080 to U+009F, which terminals may read as 8-bit CSI or
// OSC) become U+FFFD. The result is plain text: it still needs HTML
// escaping on a page.
func Text(data []byte) string {
	var b strings.Builder
	b.Grow(len(data))
	for i := 0; i < len(data); {
		i = step(&b, data, i)
	}
	return b.String()
}

// Pieces is Text of data cut into pieces at the byte offsets cuts
// (ascending, at most len(data)): piece k is the text of the bytes
// from cuts[k-1] (0 for the first) to cuts[k]. A cut that falls inside
// what Text handles as one (a UTF-8 character, an ANSI CSI sequence, CRLF)
// moves to its end, so that the pieces joined are Text of the whole and
// not of its halves; a piece whose bytes all went to the one before is
// empty. There are len(cuts) pieces; bytes after the last cut are left
// out.
func Pieces(data []byte, cuts []int) []string {
	pieces := make([]string, 0, len(cuts))
	var b strings.Builder
	i := 0
	for _, c := range cuts {
		for i < min(c, len(data)) {
			i = step(&b, data, i)
		}
		pieces = append(pieces, b.String())
		b.Reset()
	}
	return pieces
}

// step writes to b what Text shows of the unit of data that starts at i,
// and returns where the next one starts.
func step(b *strings.Builder, data []byte, i int) int {
	c := data[i]
	switch {
	case c == 0x1b && i+1 < len(data) && data[i+1] == '[':
		// CSI: ESC [, parameter and intermediate bytes (0x20-0x3F),
		// one final byte (0x40-0x7E).
		j := i + 2
		for j < len(data) && data[j] >= 0x20 && data[j] <= 0x3f {
			j++
		}
		switch {
		case j == len(data): // cut off by truncation: drop the fragment
			return j
		case data[j] >= 0x40 && data[j] <= 0x7e:
			return j + 1
		}
		// Not a CSI after all: show the ESC.
		b.WriteRune(controlPictures + 0x1b)
		return i + 1
	case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
		b.WriteByte('\n')
		return i + 2
	case c == '\n' || c == '\t':
		b.WriteByte(c)
	case c < 0x20:
		b.WriteRune(controlPictures + rune(c))
	case c == 0x7f:
		b.WriteRune(deletePicture)
	case c < utf8.RuneSelf:
		b.WriteByte(c)
	default:
		r, size := utf8.DecodeRune(data[i:])
		if r >= 0x80 && r <= 0x9f {
			r = utf8.RuneError
		}
		b.WriteRune(r) // utf8.RuneError (U+FFFD) for each invalid byte
		return i + size
	}
	return i + 1
}

// String is Text for a string. It returns s itself when s is already inert,
// which is the common case.
func String(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f {
			return Text([]byte(s))
		}
	}
	return s
}
