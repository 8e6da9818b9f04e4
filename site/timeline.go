package site

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/litbook/litbook/values"
)

// The height of one lane of a timeline and the advance of a digit of an
// event's number, in viewBox units.
const (
	timelineLane = 44
	timelineNumW = 6
)

// timelineSVG draws tl as a figure: one lane per command, its label on
// the left, the span from its first event to its last as a bar, a dot at
// each event numbered in time order, on a shared axis of time since the
// first event. The events themselves, with their times and what each
// command said, follow as a table: the SVG holds only their numbers, so
// that labels never collide however close the events are, and readers
// without SVG lose nothing. Colours follow the page theme as chartSVG's
// do. Every piece of text is escaped.
func timelineSVG(tl *values.Timeline, id, caption string) template.HTML {
	type event struct {
		lane, index int
		values.Event
	}
	var events []event
	var times []float64
	labelW := 0
	for i, l := range tl.Lanes {
		labelW = max(labelW, utf8.RuneCountInString(shorten(l.Label)))
		for j, e := range l.Events {
			events = append(events, event{i, j, e})
			times = append(times, e.At)
		}
	}
	// Stable, so that events at the same instant keep their lanes' order.
	slices.SortStableFunc(events, func(a, b event) int { return cmp.Compare(a.At, b.At) })
	number := make([][]int, len(tl.Lanes)) // number[lane][index], from 1
	for i, l := range tl.Lanes {
		number[i] = make([]int, len(l.Events))
	}
	for k, e := range events {
		number[e.lane][e.index] = k + 1
	}

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	f := openFrame(p, frame{
		class: "chart timeline", id: id, title: "Timeline of run " + tl.Run, axis: "time since the first event",
		desc: fmt.Sprintf("%d events of %d commands over %s; the table below lists them in order.",
			len(events), len(tl.Lanes), values.Format(values.Duration, tl.Span)),
		kind: values.Duration, values: times, labelW: labelW, rows: len(tl.Lanes), rowH: timelineLane,
	})
	x0, xOf := f.x0, f.xOf

	for i, l := range tl.Lanes {
		y := float64(chartTop+i*timelineLane) + timelineLane*0.6
		p(`<g class="chart-row">`)
		chartLabel(p, l.Label, x0-10, y)
		lo, hi := l.Events[0].At, l.Events[0].At
		for _, e := range l.Events {
			lo, hi = min(lo, e.At), max(hi, e.At)
		}
		p(`<line class="timeline-span" x1="%s" y1="%s" x2="%s" y2="%s" stroke="currentColor" stroke-width="3" stroke-opacity="0.35"/>`,
			num(xOf(lo)), num(y), num(xOf(hi)), num(y))
		// Each number goes on the first of a few label rows, above and
		// below the lane, where it clears the one before it, so that
		// events close together stay legible.
		rows := []float64{-9, 17, -19}
		last := make([]float64, len(rows))
		for k := range last {
			last[k] = math.Inf(-1)
		}
		order := make([]int, len(l.Events))
		for j := range order {
			order[j] = j
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(l.Events[a].At, l.Events[b].At) })
		for _, j := range order {
			e := l.Events[j]
			n := number[i][j]
			x := xOf(e.At)
			at := values.Format(values.Duration, e.At)
			p(`<circle class="chart-dot" cx="%s" cy="%s" r="%d" fill="currentColor"><title>%d. %s at %s</title></circle>`,
				num(x), num(y), chartDotR, n, esc(e.Label), esc(at))
			row := 0
			for k := range rows {
				if x-last[k] >= timelineNumW*float64(len(strconv.Itoa(n))+1) {
					row = k
					break
				}
				if last[k] < last[row] {
					row = k // nowhere clear: the row whose last number is furthest
				}
			}
			last[row] = x
			p(`<text class="timeline-num" x="%s" y="%s" fill="currentColor" font-size="10" text-anchor="middle">%d</text>`,
				num(x), num(y+rows[row]), n)
		}
		p("</g>\n")
	}
	p("</svg>\n")
	if caption != "" {
		p("<figcaption>%s</figcaption>\n", esc(caption))
	}
	p("<table class=\"timeline-events\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">Time</th><th scope=\"col\">Command</th><th scope=\"col\">Event</th></tr></thead>\n<tbody>\n")
	for i, e := range events {
		p(`<tr><td class="num">%d</td><td class="num">%s</td><td><code>%s</code></td><td>%s</td></tr>`+"\n",
			i+1, esc(values.Format(values.Duration, e.At)), esc(tl.Lanes[e.lane].Label), esc(e.Label))
	}
	p("</tbody>\n</table>\n</figure>\n")
	return template.HTML(b.String())
}
