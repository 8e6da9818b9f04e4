package runner

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// shellNames are the commands that are shells: a transcript that calls one
// measures it, so its identity joins the machine fingerprint.
var shellNames = []string{"sh", "bash", "dash", "zsh", "ksh", "mksh", "busybox", "yash", "posh", "fish"}

// IsShell reports whether name is the name of a shell.
func IsShell(name string) bool { return slices.Contains(shellNames, name) }

// Shells identifies the shells that runs use: /bin/sh, which runs every
// transcript, and each shell of names that resolves on a run's PATH, as
// "sh=dash@sha256:1a2b3c4d bash=bash@5.2.15(1)-release": the binary the
// name resolves to, and its version where the shell prints one, else a
// digest of the binary. The identity of each binary is cached in
// cacheFile, by its path, size and modification time, so that a build with
// nothing changed reads no binary and starts no process; a shell that
// prints its version is started as r starts go (see Runner.command).
func (r *Runner) Shells(ctx context.Context, cacheFile string, names []string) string {
	cache := map[string]shellID{}
	if data, err := os.ReadFile(cacheFile); err == nil {
		_ = json.Unmarshal(data, &cache) // a damaged cache is rebuilt
	}
	changed := false
	var parts []string
	names = append([]string{"sh"}, names...)
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] || !IsShell(name) {
			continue
		}
		seen[name] = true
		p := "/bin/sh"
		if name != "sh" {
			p = lookSystemPath(name)
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue // not on this machine: the run fails, and says so
		}
		fi, err := os.Stat(real)
		if err != nil {
			continue
		}
		id, ok := cache[real]
		if !ok || id.Size != fi.Size() || !id.Mtime.Equal(fi.ModTime()) {
			id = shellID{Size: fi.Size(), Mtime: fi.ModTime(), ID: r.identify(ctx, real)}
			cache[real] = id
			changed = true
		}
		parts = append(parts, fmt.Sprintf("%s=%s@%s", name, filepath.Base(real), id.ID))
	}
	if changed {
		if data, err := json.Marshal(cache); err == nil && os.MkdirAll(filepath.Dir(cacheFile), 0o755) == nil {
			tmp := fmt.Sprintf("%s.%d", cacheFile, os.Getpid())
			if os.WriteFile(tmp, data, 0o644) == nil {
				_ = os.Rename(tmp, cacheFile)
			}
		}
	}
	return strings.Join(parts, " ")
}

type shellID struct {
	Size  int64     `json:"size"`
	Mtime time.Time `json:"mtime"`
	ID    string    `json:"id"`
}

// lookSystemPath finds name in the system part of a run's PATH.
func lookSystemPath(name string) string {
	for _, d := range filepath.SplitList(systemPath) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// identify returns the version that the shell at path prints, for the
// shells whose --version says it on its first line (bash, zsh), else
// "sha256:" and the first 8 hex digits of the binary's digest.
func (r *Runner) identify(ctx context.Context, path string) string {
	switch filepath.Base(path) {
	case "bash", "zsh":
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		out, err := r.output(r.command(ctx, path, "--version"), false)
		if err == nil {
			line, _, _ := strings.Cut(string(out), "\n")
			// "GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)",
			// "zsh 5.9 (x86_64-debian-linux-gnu)"
			f := strings.Fields(strings.TrimPrefix(line, "GNU bash, version "))
			if len(f) > 0 && f[0] != "zsh" {
				return f[0]
			}
			if len(f) > 1 {
				return f[1]
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)[:4])
}
