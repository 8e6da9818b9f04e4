package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// runMemorySlack is how much more litbook's peak RSS may be for a run that
// prints hundreds of megabytes, in many commands or many trials, than for a
// run that prints nothing: the runs' output kept is output-limit (1 MiB by
// default) per run, whatever the number of commands, streams and trials.
// The README's "Limits of a run" states it. The race detector's shadow
// memory multiplies litbook's own by about 4, and the slack with it.
const runMemorySlack = 16 << 20

// sixMB is the command of the attack report's F5 case: 6 MB of output, half
// on each stream.
const sixMB = "yes abcdefghijklmnopqrstuvwxyz | head -c 3000000; yes 0123456789 | head -c 3000000 >&2"

// TestRunMemoryBounded runs, each in a fresh process of its own, a run of
// 20 and one of 40 commands printing 6 MB each, and one of 30 trials each
// printing 6 MB, and compares the peak RSS of each process (VmHWM) with
// that of one whose run prints nothing.
func TestRunMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("prints about 600 MB")
	}
	if c := os.Getenv("LITBOOK_TEST_MEMORY"); c != "" {
		memoryCase(t, c)
		return
	}
	peak := func(c string) int64 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRunMemoryBounded$", "-test.v")
		cmd.Env = append(os.Environ(), "LITBOOK_TEST_MEMORY="+c)
		out, err := cmd.CombinedOutput()
		i := bytes.Index(out, []byte("VmHWM "))
		if err != nil || i < 0 {
			t.Fatalf("case %s: %v\n%s", c, err, out)
		}
		f := strings.Fields(string(out[i+len("VmHWM "):]))
		kib, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t.Fatalf("case %s: %v\n%s", c, err, out)
		}
		return kib << 10
	}
	slack := int64(runMemorySlack)
	if raceEnabled {
		slack *= 4
	}
	base := peak("quiet")
	t.Logf("peak RSS of a run that prints nothing: %.1f MiB", float64(base)/(1<<20))
	for _, c := range []string{"20 commands", "40 commands", "30 trials"} {
		p := peak(c)
		t.Logf("%s of 6 MB: peak RSS %.1f MiB (%+.1f MiB)", c, float64(p)/(1<<20), float64(p-base)/(1<<20))
		if p-base > slack {
			t.Errorf("%s of 6 MB: peak RSS %.1f MiB, more than %d MiB above a quiet run's", c, float64(p)/(1<<20), slack>>20)
		}
	}
}

// memoryCase runs case c and prints this process's peak RSS.
func memoryCase(t *testing.T, c string) {
	tr, trials := "true", 1
	switch c {
	case "20 commands":
		tr = strings.Repeat(sixMB+"\n", 19) + sixMB
	case "40 commands":
		tr = strings.Repeat(sixMB+"\n", 39) + sixMB
	case "30 trials":
		tr, trials = sixMB, 30
	}
	b := book(t, tr)
	b.Runs[0].Trials = trials
	b.Runs[0].Timeout = 0
	records, err := (&Runner{}).Run(context.Background(), b, b.Runs, &Programs{BinDir: t.TempDir(), GoVersion: "go-test"})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, res := range records[0].Trials {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		for _, cr := range res.Commands {
			total += cr.Stdout.Total + cr.Stderr.Total
		}
	}
	if want := int64(len(b.Runs[0].Commands)*trials) * 6000000; c != "quiet" && total != want {
		t.Fatalf("counted %d bytes of output, want %d", total, want)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Printf("VmHWM %s\n", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
}
