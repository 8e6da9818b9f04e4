package main

import (
	"os"
	"testing"
)

func TestMkCorpus(t *testing.T) {
	d := os.Getenv("MKCORPUS")
	if d == "" {
		t.Skip()
	}
	if err := writeCorpus(d, 1000); err != nil {
		t.Fatal(err)
	}
	if err := hugoSite(d); err != nil {
		t.Fatal(err)
	}
}
