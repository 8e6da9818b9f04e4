package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a new pseudo-terminal and returns its two ends.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// TestNoControllingTerminal runs a Runner in a process whose controlling
// terminal is a pseudo-terminal, as litbook is when a user types litbook
// build: a run must not reach that terminal (opening /dev/tty fails with
// ENXIO), and its standard input is /dev/null.
func TestNoControllingTerminal(t *testing.T) {
	if os.Getenv("LITBOOK_TEST_ON_TTY") != "1" {
		master, slave := openPTY(t)
		defer master.Close()
		go func() { // keep the terminal's output flowing
			buf := make([]byte, 4096)
			for {
				if _, err := master.Read(buf); err != nil {
					return
				}
			}
		}()
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoControllingTerminal$", "-test.v")
		cmd.Env = append(os.Environ(), "LITBOOK_TEST_ON_TTY=1")
		var out strings.Builder
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		err := cmd.Run()
		slave.Close()
		if err != nil || !strings.Contains(out.String(), "--- PASS: TestNoControllingTerminal") {
			t.Fatalf("on a terminal: %v\n%s", err, out.String())
		}
		return
	}
	// This process has a controlling terminal: it may open /dev/tty.
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("the test process has no terminal to hide: %v", err)
	}
	tty.Close()
	b := book(t,
		"(exec 3<>/dev/tty && echo opened) 2>&1 || echo failed",
		"wc -c; test -c /dev/stdin && ls -lL /dev/stdin | cut -c1",
	)
	res := runBook(t, context.Background(), &Runner{}, b)
	if r := res[0]; r.Err != nil || !strings.Contains(string(r.Commands[0].Stdout.Data), "/dev/tty: No such device or address\nfailed\n") {
		t.Errorf("a run opened /dev/tty: err %v, printed %q", r.Err, r.Commands[0].Stdout.Data)
	}
	if r := res[1]; r.Err != nil || string(r.Commands[0].Stdout.Data) != "0\nc\n" {
		t.Errorf("a run's standard input is not /dev/null: err %v, printed %q", r.Err, r.Commands[0].Stdout.Data)
	}
}
