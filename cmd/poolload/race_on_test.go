//go:build race

package main

// raceEnabled: the race detector slows the harness several times over.
const raceEnabled = true
