package main

import (
	"strings"
	"testing"
)

func TestDiagnose(t *testing.T) {
	run := writeRecord(t, 100, nil)
	code, stdout, stderr := runCLI(t, "diagnose", run)
	if code != exitOK || !strings.HasPrefix(stdout, "FINDINGS  no problem found (checked: generator saturation,") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "diagnose", "--json", run)
	if code != exitOK || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("--json: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCLI(t, "diagnose", t.TempDir()); code != exitBadInput || !strings.Contains(stderr, "is not a run record") {
		t.Errorf("not a record: exit %d, %q", code, stderr)
	}
}
