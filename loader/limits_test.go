package loader

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/litbook/litbook/model"
)

func TestRunLimits(t *testing.T) {
	for _, tc := range []struct {
		toml            string
		fileSize, procs int64
	}{
		{"", model.DefaultFileSizeLimit, model.DefaultProcessLimit},
		{"[build]\nfile-size-limit = 1000\nprocess-limit = 64\n", 1000, 64},
	} {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "chapters"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(tc.toml), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "chapters", "a.md"), []byte("# A\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if c := b.Config; c.FileSizeLimit != tc.fileSize || c.ProcessLimit != tc.procs {
			t.Errorf("%q: file-size-limit %d process-limit %d, want %d and %d", tc.toml, c.FileSizeLimit, c.ProcessLimit, tc.fileSize, tc.procs)
		}
	}
}
