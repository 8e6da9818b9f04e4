package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/litbook/litbook/internal/inert"
	"github.com/litbook/litbook/runner"
	"golang.org/x/term"
)

// progress shows what the runner is doing on stderr: on a terminal, one
// status line redrawn in place; otherwise, one line per finished step, so
// that logs stay readable.
type progress struct {
	w     io.Writer
	tty   bool
	fd    int
	start time.Time

	mu       sync.Mutex
	line     string // the live status, without elapsed time
	running  []string
	quit     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
	compile  time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, start: time.Now(), quit: make(chan struct{})}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.fd = true, int(f.Fd())
		p.wg.Add(1)
		go p.redraw()
	}
	return p
}

func (p *progress) redraw() {
	defer p.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			p.mu.Lock()
			fmt.Fprint(p.w, "\r\x1b[K")
			p.mu.Unlock()
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// draw writes the status line; p.mu is held.
func (p *progress) draw() {
	if p.line == "" {
		return
	}
	s := fmt.Sprintf("%s  %s", inert.String(p.line), time.Since(p.start).Round(100*time.Millisecond))
	if width, _, err := term.GetSize(p.fd); err == nil && width > 1 && len(s) >= width {
		s = s[:width-1]
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", s)
}

// event receives runner events; the runner serializes calls.
// Event implements pipeline.Progress.
func (p *progress) Event(e runner.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case runner.Compiling:
		p.compile = time.Now()
		p.line = fmt.Sprintf("compiling %d program%s", e.Total, plural(e.Total))
		if !p.tty {
			fmt.Fprintln(p.w, p.line)
		}
	case runner.Compiled:
		if !p.tty {
			fmt.Fprintf(p.w, "compiled in %s\n", time.Since(p.compile).Round(10*time.Millisecond))
		}
	case runner.RunStarted:
		p.running = append(p.running, e.Run.ID)
		p.line = fmt.Sprintf("run %d/%d: %s", e.Done, e.Total, strings.Join(p.running, ", "))
	case runner.RunFinished:
		for i, id := range p.running {
			if id == e.Run.ID {
				p.running = append(p.running[:i], p.running[i+1:]...)
				break
			}
		}
		p.line = fmt.Sprintf("run %d/%d: %s", e.Done, e.Total, strings.Join(p.running, ", "))
		if !p.tty {
			status := "ok  "
			switch {
			case e.Result.TimedOut:
				status = "TIME"
			case e.Result.Err != nil:
				status = "FAIL"
			}
			id := e.Run.ID
			if e.Run.Trials > 1 {
				id = fmt.Sprintf("%s [%d/%d]", id, e.Trial, e.Run.Trials)
			}
			fmt.Fprintf(p.w, "%s %-28s %s  %s\n", status, inert.String(id), inert.String(e.Run.Pos.String()), e.Result.Duration.Round(10*time.Millisecond))
		}
	}
}

// Stop ends the status line (pipeline.Progress). It is safe to call more than
// once.
func (p *progress) Stop() {
	p.stopOnce.Do(func() {
		close(p.quit)
		p.wg.Wait()
	})
}
