package scenario

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/poolload/poolload/driver"
)

// teardownTimeout bounds the teardown statements at the end of a run, which
// run even after Ctrl-C.
const teardownTimeout = 30 * time.Second

// Prepared is a scenario's target made ready for a run: what the runner
// opens before each window, and what has to be undone at the end.
type Prepared struct {
	Opener driver.Opener
	// Service is the running service block, or nil.
	Service *Service
	// Samplers, Marks and Facts come from the network emulator, if any:
	// its gauges, its fault windows' t0, and its conditions for run.json.
	Samplers []driver.Sampler
	Marks    []func(t0 time.Time)
	Facts    map[string]string
	undo     []func()
}

// Release undoes the preparation in reverse order (stops the service, runs
// teardown, stops a managed server). It is safe on a failed preparation
// and must be called once whatever happened.
func (p *Prepared) Release() {
	for i := len(p.undo) - 1; i >= 0; i-- {
		p.undo[i]()
	}
	p.undo = nil
}

// OpenTarget prepares the scenario's target for a run: it starts a managed
// server and runs setup, starts the service block, and checks that an HTTP
// target answers, so that a target that is down fails here, before
// anything is measured. The result is never nil; call its Release.
func (s *Scenario) OpenTarget(ctx context.Context) (*Prepared, error) {
	p := &Prepared{}
	var err error
	switch s.Target.Driver {
	case "noop":
		p.Opener = s.Target.Noop
	case "mysql":
		p.Opener, err = openMySQL(ctx, s, p)
	case "http":
		p.Opener, err = openHTTP(ctx, s, p)
	default:
		err = fmt.Errorf("target.driver: unknown driver %q", s.Target.Driver)
	}
	if err == nil && s.Service != nil {
		err = s.startService(ctx, p)
	}
	if err == nil && s.Target.Driver == "http" && s.Service == nil {
		err = s.checkHTTP(ctx)
	}
	return p, err
}

// startService runs the service block and waits until it is ready.
func (s *Scenario) startService(ctx context.Context, p *Prepared) error {
	ready, err := parseProbe(s.Service.Ready, s.baseURL())
	if err != nil {
		return fmt.Errorf("service.ready: %w", err)
	}
	svc, err := StartService(ctx, *s.Service, ready)
	if err != nil {
		return err
	}
	p.Service = svc
	p.undo = append(p.undo, func() { _ = svc.Stop() })
	return nil
}

// checkHTTP makes sure the HTTP target accepts connections before the run
// starts. Only the connection is checked: a service that answers 5xx is up,
// and the load is there to measure its answers.
func (s *Scenario) checkHTTP(ctx context.Context) error {
	addr, err := httpUpstream(s.baseURL())
	if err != nil {
		return fmt.Errorf("target.http.base_url: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := (probe{addr: addr}).once(ctx, nil); err != nil {
		return fmt.Errorf("the HTTP target %s does not answer: %w", s.baseURL(), err)
	}
	return nil
}

// baseURL is the HTTP target's base URL, or "".
func (s *Scenario) baseURL() string {
	if s.Target.HTTP != nil {
		return s.Target.HTTP.BaseURL
	}
	return ""
}

// openMySQL starts the managed server if asked for and runs setup once.
// Start must come before the Config is copied into the Opener: the copies
// share the managed server and the baseline it measured.
func openMySQL(ctx context.Context, s *Scenario, p *Prepared) (driver.Opener, error) {
	cfg := s.Target.MySQL
	p.undo = append(p.undo, func() { _ = cfg.Stop() })
	if err := cfg.Start(ctx); err != nil {
		return nil, fmt.Errorf("starting the MySQL target: %w", err)
	}
	if err := cfg.Setup(ctx); err != nil {
		return nil, fmt.Errorf("running setup: %w", err)
	}
	p.undo = append(p.undo, func() {
		tctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		_ = cfg.Teardown(tctx)
		cancel()
	})
	opener := *cfg
	if s.Target.Network != nil {
		addr, err := cfg.ServerAddr()
		if err != nil {
			return nil, fmt.Errorf("target.network: %w", err)
		}
		if opener.DialAddr, err = s.startLink(ctx, p, addr); err != nil {
			return nil, err
		}
	}
	return opener, nil
}

// openHTTP puts the network emulator, if any, between the load's client
// and the service.
func openHTTP(ctx context.Context, s *Scenario, p *Prepared) (driver.Opener, error) {
	h := *s.Target.HTTP
	if s.Target.Network == nil {
		return h, nil
	}
	addr, err := httpUpstream(h.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("target.http.base_url: %w", err)
	}
	if h.DialAddr, err = s.startLink(ctx, p, addr); err != nil {
		return nil, err
	}
	return h, nil
}

// GaugeNames lists the gauges the target's drivers sample, if any.
func (s *Scenario) GaugeNames() []string {
	var names []string
	switch {
	case s.Target.MySQL != nil && s.Target.Driver == "mysql":
		names = s.Target.MySQL.GaugeNames()
	case s.Target.HTTP != nil && s.Target.Driver == "http":
		names = s.Target.HTTP.GaugeNames()
	}
	return append(names, s.linkGaugeNames()...)
}

// Redacted returns a copy of s that is safe to print or store: passwords in
// DSNs and commands, credential headers and the HTTP auth body are replaced.
func (s *Scenario) Redacted() *Scenario {
	c := *s
	if s.Target.MySQL != nil {
		r := s.Target.MySQL.Redacted()
		c.Target.MySQL = &r
	}
	if s.Service != nil {
		sv := *s.Service
		sv.Run = redactCommand(sv.Run)
		c.Service = &sv
	}
	c.Variants = make([]Variant, len(s.Variants))
	for i, v := range s.Variants {
		if v.Before != nil {
			b := *v.Before
			b.Run = redactCommand(b.Run)
			v.Before = &b
		}
		c.Variants[i] = v
	}
	if s.Target.HTTP != nil {
		h := s.Target.HTTP.Redacted()
		c.Target.HTTP = &h
	}
	return &c
}

// credentialInCommand matches user:password@ in a DSN or URL written in a
// shell command (user:pw@tcp(…), mysql://user:pw@host), and
// --password=… or -pSECRET style flags.
var credentialInCommand = regexp.MustCompile(`([A-Za-z0-9_.%-]+):[^@\s'"/]+@|(--password[= ])\S+|(\s-p)\S+`)

// redactCommand hides the credentials a command line may carry.
func redactCommand(cmd string) string {
	return credentialInCommand.ReplaceAllStringFunc(cmd, func(m string) string {
		sub := credentialInCommand.FindStringSubmatch(m)
		switch {
		case sub[1] != "":
			return sub[1] + ":*****@"
		case sub[2] != "":
			return sub[2] + "*****"
		}
		return sub[3] + "*****"
	})
}
