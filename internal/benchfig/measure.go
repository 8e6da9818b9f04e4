package benchfig

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Sample is what running one command cost.
type Sample struct {
	Wall time.Duration
	// CPU is user and system time, and MaxRSS (KiB) the peak resident
	// memory, of the command and every descendant it waited for, as
	// wait4 reports them.
	CPU    time.Duration
	MaxRSS int64
}

// Measure runs cmd and returns what it cost; its standard error is in the
// error if it fails.
func Measure(cmd *exec.Cmd) (Sample, error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	s := Sample{Wall: time.Since(start)}
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		s.MaxRSS = ru.Maxrss // KiB on Linux
	}
	return s, nil
}

// Median returns the median of vs, which it does not change.
func Median[T int64 | time.Duration](vs []T) T {
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// BuildLitbook builds the litbook of the repository in the current
// directory into dir, and returns the binary's path.
func BuildLitbook(dir string) (string, error) {
	bin := filepath.Join(dir, "litbook")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/litbook").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}
