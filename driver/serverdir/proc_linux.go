package serverdir

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ProcessID names a live process as "pid starttime": the start time (in
// clock ticks since boot, /proc/PID/stat field 22) changes when a pid is
// reused. A zombie has exited.
func ProcessID(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	// The command name (field 2) may hold spaces and parentheses: count
	// fields from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); the start time is field 22.
	if len(f) < 20 {
		return "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	if f[0] == "Z" {
		return "", fmt.Errorf("process %d has exited", pid)
	}
	return strconv.Itoa(pid) + " " + f[19], nil
}

// ProcessServes reports whether pid is alive and has dir on its command
// line (mariadbd --datadir=DIR/data, postgres -D DIR/data).
func ProcessServes(pid int, dir string) bool {
	if _, err := ProcessID(pid); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && bytes.Contains(b, []byte(dir))
}
