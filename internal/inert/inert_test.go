package inert

import "testing"

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
