package main

import (
	"testing"

	"github.com/poolload/poolload/analysis"
)

// pgQuickstart: on the managed PostgreSQL the cold pgxpool opens its
// connections inside the window and the warm one none, and a healthy run
// says nothing alarming beyond the cold start it is there to show. On a
// host that other processes saturated (two cores shared with other test
// binaries) the run says so itself, and what follows from a starved
// generator is not the scenario's doing.
func pgQuickstart(t *testing.T, s *analysis.Summary) {
	coldOpensWarmDoesNot(t, s)
	starved := finding(s, "host-saturated") != nil || finding(s, "host-steal") != nil
	for _, f := range s.Findings {
		if starved && machineFindings[f.ID] {
			continue
		}
		if f.Severity != analysis.SevInfo && f.ID != "cold-start-penalty" {
			t.Errorf("healthy pg-quickstart: %s finding %s: %s", f.Severity, f.ID, f.Evidence)
		}
	}
	for _, g := range s.Variants {
		if g.Totals.Errors != 0 {
			t.Errorf("%s: errors %v", g.Variant, g.Totals.ErrorsBy)
		}
	}
}

// machineFindings are what a starved host makes a run report.
var machineFindings = map[string]bool{
	"host-saturated": true, "host-steal": true, "generator-saturated": true, "too-few-vus": true,
}
