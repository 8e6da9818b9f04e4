// ANCHOR: header

// Command wordcount counts the lines and words of the files it is given,
// or of its standard input.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// ANCHOR_END: header

// ANCHOR: count

// count returns the number of lines and words that r holds.
func count(r io.Reader) (lines, words int, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines++
		words += len(strings.Fields(sc.Text()))
	}
	return lines, words, sc.Err()
}

// ANCHOR_END: count

// ANCHOR: main

func main() {
	inputs := os.Args[1:]
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	for _, name := range inputs {
		f := os.Stdin
		if name != "-" {
			var err error
			if f, err = os.Open(name); err != nil {
				fmt.Fprintln(os.Stderr, "wordcount:", err)
				os.Exit(1)
			}
		}
		lines, words, err := count(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wordcount:", err)
			os.Exit(1)
		}
		fmt.Printf("%s: lines=%d words=%d\n", name, lines, words)
	}
}

// ANCHOR_END: main
