package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
)

// fsBook is a book with one block run on ext4 and xfs (fs=ext4,xfs).
func fsBook() *model.Book {
	b := planBook()
	b.Runs = b.Runs[2:] // plain: echo hi
	base := b.Runs[0]
	b.Runs = nil
	var family []*model.Run
	for _, fs := range []string{"ext4", "xfs"} {
		r := *base
		r.Base, r.FS, r.Name = base.Name, fs, base.Name+"["+fs+"]"
		r.ID = r.Chapter.Slug + "/" + r.Name
		family = append(family, &r)
	}
	for _, r := range family {
		r.Family = family
		b.Runs = append(b.Runs, r)
	}
	return b
}

func TestRefuseFS(t *testing.T) {
	// A machine that cannot make xfs shows the xfs run's result stored by
	// a machine that could, says so once at the block's line, and still
	// runs the ext4 run; without a stored result the run is Missing, with
	// an error at its line.
	const gover = "go1.26.8"
	b := fsBook()
	root := t.TempDir()
	cannot := func(fs string) error {
		if fs == "xfs" {
			return errors.New("mkfs.xfs not found (Debian package xfsprogs)")
		}
		return nil
	}
	ix, _ := store.Load(root)
	plan := func() *Plan {
		p := MakePlan(PlanInput{Book: b, Index: ix, Machine: here, GoVersion: gover})
		if got := p.ScratchTypes(); strings.Join(got, ",") != "ext4,xfs" {
			t.Fatalf("ScratchTypes = %v", got)
		}
		p.RefuseFS(ix, here, cannot)
		return p
	}
	p := plan()
	if p.Runs[0].Decision != Execute || p.Runs[1].Decision != Missing {
		t.Fatalf("decisions %v, %v; want execute, missing", p.Runs[0].Decision, p.Runs[1].Decision)
	}
	if err := p.Runs[1].Err; err == nil || err.Pos != b.Runs[1].Pos || !strings.Contains(err.Msg, "run plain[xfs] is on xfs (fs=), which litbook cannot make on this machine (mkfs.xfs not found (Debian package xfsprogs))") {
		t.Errorf("error %v", err)
	}

	key, sources := store.Key(b.Runs[1], b.Config, gover, there)
	rec := &model.Record{Run: b.Runs[1], Key: key, Sources: sources, GoVersion: gover, Machine: there,
		FS: &model.Filesystem{Type: "xfs", How: "512 MiB loop image, mkfs.xfs 6.1.0"}}
	rec.Trials = []*model.Result{{Run: b.Runs[1], Trial: 1, Machine: there, FS: rec.FS, Commands: make([]model.CommandResult, 1)}}
	if err := store.Save(root, ix, rec); err != nil {
		t.Fatal(err)
	}
	ix, _ = store.Load(root)
	p = plan()
	xfs := p.Runs[1]
	if xfs.Decision != Thaw || xfs.Record == nil || !store.SameMachine(xfs.Record.Machine, there) {
		t.Fatalf("the xfs run: %v from %+v; want thawed from the other machine", xfs.Decision, xfs.Record)
	}
	if !strings.HasPrefix(xfs.Note, "chapters/01-a.md:30: litbook cannot make xfs on this machine") {
		t.Errorf("note %q", xfs.Note)
	}
	if p.Runs[0].Decision != Execute {
		t.Errorf("the ext4 run: %v, want execute", p.Runs[0].Decision)
	}
}
