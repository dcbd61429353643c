package engine

import (
	"os/exec"
	"strings"
	"testing"
)

// The engine is the hot path and what bench/harness links: it knows
// drivers only through the driver contract, and pulls in no YAML, no SQL
// driver, no eBPF and no package above it.
func TestEngineImportsOnlyWhatItNeeds(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"yaml", "go-sql-driver", "cilium/ebpf", "poolload/scenario", "poolload/runner",
			"poolload/network", "poolload/analysis", "poolload/driver/"} {
			if strings.Contains(dep, banned) {
				t.Errorf("engine depends on %s", dep)
			}
		}
	}
}
