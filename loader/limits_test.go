package loader

import (
	"os"
	"path/filepath"
	"strings"
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

func TestSiteURL(t *testing.T) {
	for v, want := range map[string]string{
		"":                          "",
		"/my-book":                  "/my-book/",
		"/":                         "/",
		"https://example.org/book/": "https://example.org/book/",
		"relative/":                 "error",
		"ftp://example.org/":        "error",
		"https:///nohost":           "error",
		"/book/?q=1":                "error",
	} {
		dir := t.TempDir()
		toml := "[book]\ntitle = \"T\"\n"
		if v != "" {
			toml += "site-url = \"" + v + "\"\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "book.toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := LoadConfig(dir)
		switch {
		case want == "error" && (err == nil || !strings.Contains(err.Error(), "book.toml:3:12: site-url")):
			t.Errorf("site-url %q: error %v, want one at book.toml:3:12", v, err)
		case want != "error" && (err != nil || b.Config.SiteURL != want):
			t.Errorf("site-url %q: %v, %q; want %q", v, err, b.Config.SiteURL, want)
		}
	}
}
