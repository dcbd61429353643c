//go:build race

package scenario

// raceEnabled: the race detector slows the client several-fold, so
// absolute timings are checked only without it.
const raceEnabled = true
