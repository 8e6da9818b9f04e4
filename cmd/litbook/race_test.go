//go:build race

package main

// raceEnabled: the race detector multiplies the memory a process uses.
const raceEnabled = true
