//go:build race

package runner

// raceEnabled: the race detector multiplies the memory a process uses.
const raceEnabled = true
