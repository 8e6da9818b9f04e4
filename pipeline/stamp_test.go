package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
)

// TestStampInputsAsLoaded: the files of stdin= and files= are read when the
// book is loaded (their digest is the run's key, and runs use that content
// or fail), so a stamp taken after that must not vouch for what they hold
// then: one changed too recently to trust its identity (as one edited
// while the build ran is) is stamped never to match, not by the hash of
// its new content, which would make the next build skip with a result of
// the old content on the page.
func TestStampInputsAsLoaded(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"in.txt", "tree/f"} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("edited\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := &model.Run{Stdin: &model.Input{Path: "in.txt"}, Files: []model.Input{{Path: "tree", Name: "tree", Dir: true}}}
	b := &loader.Parsed{Book: &model.Book{Root: root, Runs: []*model.Run{run}}}

	// The files changed just now, after the build started.
	sp := newStamper(root, time.Now().Add(-time.Minute))
	sp.inputsLoaded(b)
	for _, name := range []string{"in.txt", "tree/f"} {
		p := filepath.Join(root, name)
		if id := sp.st.Files[p]; !id.Unreadable {
			t.Errorf("%s, changed during the build, is stamped as %+v (hash %q): the next build would trust it", name, id, sp.st.Hash[p])
		}
	}
	// Long enough before the build, their identity is trusted.
	sp = newStamper(root, time.Now().Add(time.Minute))
	sp.inputsLoaded(b)
	for _, name := range []string{"in.txt", "tree/f"} {
		p := filepath.Join(root, name)
		if id := sp.st.Files[p]; id.Unreadable || id != statID(p) {
			t.Errorf("%s, unchanged, is stamped as %+v", name, id)
		}
	}
}
