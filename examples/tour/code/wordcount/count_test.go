package main

import (
	"os"
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		in           string
		lines, words int
	}{
		{"", 0, 0},
		{"one\n", 1, 1},
		{"two words\nand three more\n", 2, 5},
		{"no newline at the end", 1, 5},
	} {
		lines, words, err := count(strings.NewReader(c.in))
		if err != nil || lines != c.lines || words != c.words {
			t.Errorf("count(%q) = %d, %d, %v; want %d, %d", c.in, lines, words, err, c.lines, c.words)
		}
	}
}

// TestPoem counts a file of testdata/, which go test runs beside.
func TestPoem(t *testing.T) {
	f, err := os.Open("testdata/poem.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, words, err := count(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("testdata/poem.txt: %d lines, %d words", lines, words)
	if lines != 4 {
		t.Errorf("lines = %d, want 4", lines)
	}
}
