package scenario

import "fmt"

// validateService checks the service block and every variant's before
// step, which may refer to it.
func (s *Scenario) validateService(p *problems) {
	if sv := s.Service; sv != nil {
		if sv.Run == "" {
			p.add("service.run", "required: the shell command that runs the service in the foreground")
		}
		if _, err := ParseProbe(sv.Ready, s.BaseURL()); err != nil {
			p.add("service.ready", "%v", err)
		} else if sv.Ready == "" && s.BaseURL() == "" {
			p.add("service.ready", "required unless the target is %s (then it defaults to base_url)", baseURLDrivers())
		}
		p.duration("service.timeout", sv.Timeout.D(), MaxDuration, false)
	}
	for i, v := range s.Variants {
		b := v.Before
		if b == nil {
			continue
		}
		field := fmt.Sprintf("variants[%d].before", i)
		if !b.Restart && b.Run == "" {
			p.add(field, "needs restart: true or run: COMMAND")
		}
		if b.Restart && s.Service == nil {
			p.add(field+".restart", "there is no service block to restart (add service: {run: COMMAND})")
		}
		if b.Ready != "" {
			if _, err := ParseProbe(b.Ready, s.BaseURL()); err != nil {
				p.add(field+".ready", "%v", err)
			}
		}
		p.duration(field+".timeout", b.Timeout.D(), MaxDuration, false)
	}
}
