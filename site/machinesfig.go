package site

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/litbook/litbook/claims"
	"github.com/litbook/litbook/loader"
	"github.com/litbook/litbook/store"
	"github.com/litbook/litbook/values"
)

// acrossView is what the "machines" template draws: a table of the values
// and claims of machines(...), a row per machine that measured them.
type acrossView struct {
	ID      string
	Caption string
	Columns []string // the expressions as written
	Rows    []acrossRow
}

type acrossRow struct {
	Machine  string // where it was measured, as provenance lines say it
	Href     string // the machine's row on the Machines page
	ThisOne  bool
	Cells    []acrossCell
	Measured string // when
}

type acrossCell struct {
	Text  string
	Title string // min, median, max or the claim's detail
	Claim bool
	Holds bool
	None  bool // not measured there from the current sources
}

// across draws e, an expression of machines(...), as a table with a row
// for every machine of the store that measured what it names.
func (x *exprs) across(e *loader.Expr) (template.HTML, error) {
	x.charts++
	v := acrossView{ID: x.id(fmt.Sprintf("chart-%d", x.charts))}
	if x.store == nil {
		return "", nil
	}
	rows := claims.AcrossMachines(x.book, e, x.store, x.machine)
	if len(rows) == 0 {
		return "", nil
	}
	for _, it := range rows[0].Items {
		v.Columns = append(v.Columns, cleanText([]byte(it.Src)))
	}
	for _, a := range rows {
		r := acrossRow{
			Machine:  strings.Join(machineParts(a.Machine.Machine), ", "),
			Href:     MachinesPage + "#m-" + a.Machine.Dir,
			ThisOne:  store.SameMachine(a.Machine.Machine, x.machine),
			Measured: a.Machine.Last.UTC().Format("2006-01-02"),
		}
		for _, it := range a.Items {
			r.Cells = append(r.Cells, acrossCellOf(it))
		}
		v.Rows = append(v.Rows, r)
	}
	holds, claimsN, dashes := 0, 0, false
	for _, r := range v.Rows {
		for _, c := range r.Cells {
			dashes = dashes || c.None
			if c.Claim {
				claimsN++
				if c.Holds {
					holds++
				}
			}
		}
	}
	v.Caption = "Measured on " + plural(len(v.Rows), "machine", "machines")
	if claimsN > 0 {
		v.Caption += fmt.Sprintf("; the claims hold on %d of %d", holds, claimsN)
	}
	v.Caption += "."
	if dashes {
		v.Caption += " A dash: that machine did not measure the run as it is now."
	}
	var b strings.Builder
	if err := x.tmpl.ExecuteTemplate(&b, "across", v); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}

func acrossCellOf(it values.Item) acrossCell {
	if it.Err != nil {
		return acrossCell{None: true, Text: "—", Title: cleanText([]byte(it.Err.Msg))}
	}
	c := acrossCell{Text: cleanText([]byte(it.Value.String())), Title: cleanText([]byte(it.Value.Summary())), Claim: it.Claim, Holds: it.Holds}
	if it.Claim {
		c.Title = cleanText([]byte(it.Detail))
	}
	return c
}
