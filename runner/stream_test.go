package runner

import (
	"bytes"
	"os"
	"slices"
	"testing"
	"time"
)

// finish reads what is left of a stream itself; what drain read before
// and what finish read are kept once each, in order, and a drain that
// runs only after finish reads nothing more.
func TestStreamFinish(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 40<<10) // 640 KiB: more than a pipe holds
	for _, drainFirst := range []bool{true, false} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		s := &stream{r: r, cap: capture{budget: newBudget(1 << 30), seq: &sequence{}}, done: make(chan struct{})}
		if drainFirst {
			go s.drain()
		}
		wrote := make(chan error, 1)
		go func() {
			_, err := w.Write(data)
			w.Close()
			wrote <- err
		}()
		if !drainFirst {
			// Nothing reads until finish: the writer waits on the full pipe
			// until finish drains it.
			time.Sleep(20 * time.Millisecond)
		}
		s.finish(time.Now().Add(5 * time.Second))
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
		if !drainFirst {
			go s.drain() // late: reads nothing more
		}
		r.Close()
		<-s.done
		if !bytes.Equal(s.cap.data, data) || s.cap.total != int64(len(data)) {
			t.Errorf("drain first %v: captured %d bytes (total %d), want the %d written, once, in order", drainFirst, len(s.cap.data), s.cap.total, len(data))
		}
		n := 0
		for _, c := range s.cap.chunks {
			n += c.n
		}
		if n != len(data) {
			t.Errorf("drain first %v: chunks account for %d bytes, want %d", drainFirst, n, len(data))
		}
	}
}

// A writer that never stops is read until the deadline; after finish, the
// capture no longer changes, though drain was reading too (a read of
// drain's that waited for the lock while finish read finds the stream
// over).
func TestStreamFinishEndsReads(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s := &stream{r: r, cap: capture{budget: newBudget(1 << 30)}, done: make(chan struct{})}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		chunk := bytes.Repeat([]byte("x"), 1024)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	go s.drain() // reading along with finish, until finish ends it
	start := time.Now()
	s.finish(time.Now().Add(50 * time.Millisecond))
	if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
		t.Errorf("finish took %v with a writer that never stops, want its 50 ms deadline", d)
	}
	s.mu.Lock()
	got := s.cap.total
	s.mu.Unlock()
	time.Sleep(30 * time.Millisecond)
	r.Close()
	<-s.done
	if s.cap.total != got || got == 0 {
		t.Errorf("captured %d bytes by the deadline, then %d", got, s.cap.total)
	}
}

// The control pipe's lines are parsed across reads, and a last line
// without its newline still counts.
func TestControlFeed(t *testing.T) {
	c := &control{n: 3}
	at := time.Now()
	for _, piece := range []string{"B 0\nE 0 ", "0\nB", " 1\nnot an event\nE 7 1\nX 0"} {
		c.feed([]byte(piece), at)
	}
	var got []string
	for _, e := range c.done() {
		got = append(got, string(e.kind)+" "+string(rune('0'+e.i)))
	}
	if want := []string{"B 0", "E 0", "B 1", "X 0"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}
