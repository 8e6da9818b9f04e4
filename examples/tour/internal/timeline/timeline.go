// Package timeline prints the events of the tour's programs in the form
// litbook draws as a timeline: one line per event, "t=DURATION what".
// DURATION is the time since the moment that the environment variable T0
// names, in nanoseconds since the Unix epoch (as date +%s%N prints it), so
// that the events of several processes started with one T0 line up; without
// T0, it is the time since the process started.
package timeline

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

var t0 = start()

func start() time.Time {
	if ns, err := strconv.ParseInt(os.Getenv("T0"), 10, 64); err == nil {
		return time.Unix(0, ns)
	}
	return time.Now()
}

// Event prints one event, now.
func Event(format string, args ...any) {
	fmt.Printf("t=%v %s\n", time.Since(t0).Round(time.Microsecond), fmt.Sprintf(format, args...))
}
