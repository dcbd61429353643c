//go:build !unix

package runner

import "time"

// selfCPU is unknown where there is no getrusage: harness_cpu_cores stays
// empty.
func selfCPU() (time.Duration, bool) { return 0, false }
