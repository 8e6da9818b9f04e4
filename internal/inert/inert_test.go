package inert

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain\ttext\n", "plain\ttext\n"},
		{"a\x00b", "a␀b"},
		{"bell\x07", "bell␇"},
		{"del\x7f", "del␡"},
		{"crlf\r\nline", "crlf\nline"},
		{"progress 10%\rprogress 20%", "progress 10%␍progress 20%"},
		{"\x1b[1;31mred\x1b[0m", "red"},
		{"\x1b[2K\x1b[1Gclear", "clear"},
		{"\x1b[?25lcursor", "cursor"},
		{"esc \x1bc alone", "esc ␛c alone"},
		{"cut \x1b[3", "cut "},           // a sequence cut off by truncation
		{"bad \x1b[1\x01m", "bad ␛[1␁m"}, // not a CSI: every byte shown
		{"\xff\xfe", "\uFFFD\uFFFD"},
		{"ok é ünïcode ␀", "ok é ünïcode ␀"},
		{"half \xe2\x82", "half \uFFFD\uFFFD"},
		{"osc \x1b]0;title\x07", "osc ␛]0;title␇"},
		{"8-bit csi \xc2\x9b2J", "8-bit csi \uFFFD2J"},
	} {
		if got := Text([]byte(tc.in)); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPiecesJoinToText cuts text at every offset, and at every pair of
// offsets: the pieces joined are always Text of the whole, whatever a cut
// falls in (a UTF-8 character, a CSI sequence, CRLF), and a cut between
// two units splits the text there.
func TestPiecesJoinToText(t *testing.T) {
	for _, data := range []string{
		"caf\xc3\xa9 \x1b[31mred\x1b[0m\r\nend\n",
		"\xe2\x82\xac\xf0\x9f\x98\x80\x1b[1;2\x1b[m\r\r\n\xc2\x9b",
		"\x1b[", "\xff\xfe", "",
	} {
		whole := Text([]byte(data))
		for i := 0; i <= len(data); i++ {
			for j := i; j <= len(data); j++ {
				p := Pieces([]byte(data), []int{i, j, len(data)})
				if len(p) != 3 || strings.Join(p, "") != whole {
					t.Fatalf("Pieces(%q, %d, %d) = %q, want pieces of %q", data, i, j, p, whole)
				}
			}
		}
	}
	if p := Pieces([]byte("ab\xc3\xa9cd"), []int{2, 3, 6}); p[0] != "ab" || p[1] != "é" || p[2] != "cd" {
		t.Errorf("cuts at and inside a character: %q", p)
	}
	if p := Pieces([]byte("abc"), []int{1}); len(p) != 1 || p[0] != "a" {
		t.Errorf("bytes after the last cut: %q", p)
	}
}
