package site

import (
	"time"

	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/naming"
	"github.com/litbook/litbook/store"
	"github.com/litbook/litbook/values"
)

// MachinesPage lists the machines whose results the book's store holds,
// and for each run whether each machine's result is current.
const MachinesPage = naming.MachinesPage

// machinesView is what the "machines" template draws.
type machinesView struct {
	Machines []machineRow
	Runs     []machineRunRow
	None     bool // the store is empty
	// RunTime is the wall time of every trial of the results this site
	// shows that the machine building it measured, added up: about what a
	// build that ran them all took, since races run alone. Trials counts
	// them; zero when this machine measured none.
	RunTime string
	Trials  int
}

type machineRow struct {
	ID      string // anchor: m-<dir>
	Dir     string // under results/
	System  string // Linux 6.18.44 (amd64)
	CPUs    int
	FS      string // ext4 at /tmp
	Go      string // go1.26.8, go1.26.9
	Records int
	Current int // records measured from the book's current sources
	First   time.Time
	Last    time.Time
	ThisOne bool // the machine that built this site
}

type machineRunRow struct {
	Chapter, Run, Href string
	Cells              []machineCell // parallel to Machines
}

type machineCell struct {
	State string // "current", "stale" or "" (none)
	Shown bool   // the page shows this result
	Title string
}

// newMachinesView compares the stored records in ix with the book's runs.
// records are the results the site shows (parallel to b.Runs).
func newMachinesView(b *loader.Parsed, records []*model.Record, ix *store.Index, this model.Machine) *machinesView {
	v := &machinesView{}
	if ix == nil || len(ix.Entries) == 0 {
		v.None = true
		return v
	}
	infos := ix.Machines()
	col := map[string]int{}
	var total time.Duration
	for i, mi := range infos {
		m := mi.Machine
		fs := m.FS
		if m.RunDirRoot != "" {
			fs += " at " + m.RunDirRoot
		}
		if m.Unisolated {
			fs += ", " + unisolated
		}
		v.Machines = append(v.Machines, machineRow{
			ID: "m-" + mi.Dir, Dir: mi.Dir, System: systemName(m), CPUs: m.CPUs, FS: fs,
			Go: joinAnd(mi.GoVersions), Records: mi.Records,
			First: mi.First, Last: mi.Last, ThisOne: store.SameMachine(m, this),
		})
		col[mi.Dir] = i
	}
	for i, run := range b.Runs {
		row := machineRunRow{Chapter: run.Chapter.Title, Run: run.Name, Href: naming.PageURL(run.Chapter.Slug) + naming.Fragment(naming.RunID(run)),
			Cells: make([]machineCell, len(infos))}
		var rec *model.Record
		if i < len(records) {
			rec = records[i]
		}
		for _, e := range ix.Entries {
			if e.RunID != run.ID {
				continue
			}
			j, ok := col[store.EntryDir(e)]
			if !ok {
				continue
			}
			c := &row.Cells[j]
			switch {
			case rec != nil && e.Sources == rec.Sources:
				c.State = "current"
				c.Title = "measured from the current sources, " + e.Stored.UTC().Format("2006-01-02 15:04 UTC")
				v.Machines[j].Current++
			case c.State == "":
				c.State = "stale"
				c.Title = "measured from earlier sources, " + e.Stored.UTC().Format("2006-01-02 15:04 UTC")
			}
			if rec != nil && rec.Path == e.Path {
				c.Shown = true
			}
		}
		v.Runs = append(v.Runs, row)
		if rec != nil && store.SameMachine(rec.Machine, this) {
			for _, t := range rec.Trials {
				total += t.Duration
				v.Trials++
			}
		}
	}
	if v.Trials > 0 {
		v.RunTime = values.Format(values.Duration, total.Seconds())
	}
	return v
}
