package scenario

import "regexp"

// BaseURL is the HTTP target's base URL, or "".
func (s *Scenario) BaseURL() string {
	if s.Target.HTTP != nil {
		return s.Target.HTTP.BaseURL
	}
	return ""
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
