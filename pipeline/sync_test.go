package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litbook/litbook/store"
)

// The records a build stores are synced while it checks its claims and
// draws its site. A sync that fails fails the build, after the site, and
// leaves no stamp: the next build does the work again.
func TestSyncFailureFailsBuild(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "chapters"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"book.toml":     "[book]\ntitle = \"Sync\"\n",
		"chapters/a.md": "# A\n\n```console run=r\n$ echo n=1\n```\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	saved := syncStored
	defer func() { syncStored = saved }()
	syncStored = func(s *store.Syncer) error {
		s.Close()
		return errors.New("input/output error")
	}
	published := 0
	bd := &Builder{Stamp: "test", Publish: func(*Result) error { published++; return nil }}
	_, err := bd.Build(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "cannot sync the stored results to the disk: input/output error") {
		t.Fatalf("Build: %v, want the failed sync", err)
	}
	if published != 1 {
		t.Errorf("the site was published %d times, want once", published)
	}
	syncStored = saved
	res, err := bd.Build(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.UpToDate {
		t.Error("a build after a failed sync was up to date: the failed one wrote its stamp")
	}
}
