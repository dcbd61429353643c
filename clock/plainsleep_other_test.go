//go:build !linux

package clock

import "time"

func kernelSleep(d time.Duration) { time.Sleep(d) }
