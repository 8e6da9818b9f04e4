package runner

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestShells(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "shells.json")
	got := (&Runner{}).Shells(context.Background(), cache, []string{"bash", "appender", "bash"})
	if !regexp.MustCompile(`^sh=\S+@\S+( bash=bash@\S+)?$`).MatchString(got) {
		t.Fatalf("Shells = %q", got)
	}
	if _, err := os.Stat("/bin/bash"); err == nil && !strings.Contains(got, " bash=bash@") {
		t.Errorf("bash is installed but not in %q", got)
	}
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	// The cache answers the second time: make it lie to prove it is read.
	data, _ := os.ReadFile(cache)
	lie := regexp.MustCompile(`"id":"[^"]*"`).ReplaceAll(data, []byte(`"id":"cached"`))
	if err := os.WriteFile(cache, lie, 0o644); err != nil {
		t.Fatal(err)
	}
	if again := (&Runner{}).Shells(context.Background(), cache, []string{"bash"}); !strings.HasPrefix(again, "sh=") || strings.Count(again, "@cached") != strings.Count(again, "=") {
		t.Errorf("the second call did not use the cache: %q", again)
	}
}
