package engine

import (
	"os/exec"
	"strings"
	"testing"
)

// The packages' imports point down the data flow (DESIGN.md, "Layout"):
// the engine is the hot path and what bench/harness links, so it knows
// drivers only through the driver contract and pulls in no YAML, no SQL
// driver and no eBPF; the scenario format plays nothing and analyses
// nothing; the link emulator and the leaves know no driver.
func TestImportsPointDown(t *testing.T) {
	for pkg, banned := range map[string][]string{
		".":            {"yaml", "go-sql-driver", "cilium/ebpf", "poolload/scenario", "poolload/runner", "poolload/network", "poolload/analysis", "poolload/driver/"},
		"../scenario":  {"poolload/analysis", "poolload/runner", "poolload/engine", "poolload/record", "poolload/driver/"},
		"../network":   {"poolload/driver", "poolload/scenario", "poolload/record"},
		"../units":     {"poolload/"},
		"../redact":    {"poolload/"},
		"../threshold": {"poolload/analysis", "poolload/scenario", "poolload/driver/"},
		"../record":    {"poolload/analysis", "poolload/runner", "poolload/scenario", "poolload/driver/"},
	} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range banned {
				if strings.Contains(dep, b) && !strings.HasSuffix(dep, strings.TrimPrefix(pkg, "..")) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
