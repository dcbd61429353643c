package scenario

import (
	"testing"
	"time"

	"github.com/poolload/poolload/units"
)

func TestApplyOverrides(t *testing.T) {
	sec := units.Duration(time.Second)
	cases := []struct {
		name    string
		ramp    bool
		o       Overrides
		check   func(l LoadConfig) bool
		wantErr string
	}{
		{name: "nothing", check: func(l LoadConfig) bool { return l.Rate == 10 && l.Duration == sec && l.PreAllocatedVUs == 1 }},
		{name: "constant rate and duration", o: Overrides{Rate: 250, Duration: time.Minute},
			check: func(l LoadConfig) bool { return l.Rate == 250 && l.Duration.D() == time.Minute }},
		{name: "VUs raise max", o: Overrides{VUs: 40},
			check: func(l LoadConfig) bool { return l.PreAllocatedVUs == 40 && l.MaxVUs == 40 }},
		{name: "VUs keep a higher max", o: Overrides{VUs: 2},
			check: func(l LoadConfig) bool { return l.PreAllocatedVUs == 2 && l.MaxVUs == 8 }},
		{name: "ramp rate scales to the peak", ramp: true, o: Overrides{Rate: 50},
			check: func(l LoadConfig) bool {
				return l.StartRate == 5 && l.Stages[0].Target == 50 && l.Stages[1].Target == 25 && l.Stages[0].Duration == sec
			}},
		{name: "ramp duration", ramp: true, o: Overrides{Duration: time.Minute},
			wantErr: "a duration override applies to constant-arrival-rate only: this scenario's load is ramping-arrival-rate, whose length is the sum of its stages"},
		{name: "negative rate", o: Overrides{Rate: -1}, wantErr: "rate override must be a number greater than 0, got -1"},
		{name: "negative duration", o: Overrides{Duration: -time.Second}, wantErr: "duration override must be greater than 0, got -1s"},
		{name: "too many VUs", o: Overrides{VUs: MaxVUsLimit + 1}, wantErr: "VUs override must be between 1 and 100000, got 100001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validScenario()
			s.Load.MaxVUs = 8
			if tc.ramp {
				ramping(s)
				s.Load.StartRate = 2
				s.Load.Stages = []Stage{{Target: 20, Duration: sec}, {Target: 10, Duration: sec}}
			}
			err := s.ApplyOverrides(tc.o)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(s.Load) {
				t.Fatalf("unexpected load: %+v", s.Load)
			}
			if errs := s.Validate(); len(errs) > 0 {
				t.Fatalf("invalid after overrides: %v", errs)
			}
		})
	}
}

func TestRateOverrideOfAFlatRamp(t *testing.T) {
	s := validScenario()
	ramping(s)
	s.Load.Stages[0].Target = 0
	if err := s.ApplyOverrides(Overrides{Rate: 5}); err == nil {
		t.Fatal("scaled a ramp with no arrivals")
	}
}
