package scenario

import (
	"maps"
	"regexp"
	"strings"

	"github.com/poolload/poolload/redact"
)

// BaseURL is the base URL of the target's block, for a driver that has one
// (ready probes may be paths under it), or "".
func (s *Scenario) BaseURL() string {
	for _, r := range registered() {
		if b := s.Target.Blocks[r.Name]; b != nil && r.BaseURL != nil {
			return r.BaseURL(b)
		}
	}
	return ""
}

// baseURLDrivers names the drivers that have a base URL, for messages.
func baseURLDrivers() string {
	var names []string
	for _, r := range registered() {
		if r.BaseURL != nil {
			names = append(names, r.Name)
		}
	}
	return strings.Join(names, " or ")
}

// Redacted returns a copy of s that is safe to print or store: passwords in
// commands and secrets in ready URLs are replaced, and each driver's block
// is redacted by its driver (passwords in DSNs and URLs, credential
// headers, request bodies).
func (s *Scenario) Redacted() *Scenario {
	c := *s
	c.Target.Blocks = maps.Clone(s.Target.Blocks)
	for _, r := range registered() {
		if b := c.Target.Blocks[r.Name]; b != nil && r.Redact != nil {
			c.Target.Blocks[r.Name] = r.Redact(b)
		}
	}
	if s.Service != nil {
		sv := *s.Service
		sv.Run = redactCommand(sv.Run)
		sv.Ready = redact.URL(sv.Ready)
		c.Service = &sv
	}
	c.Variants = make([]Variant, len(s.Variants))
	for i, v := range s.Variants {
		if v.Before != nil {
			b := *v.Before
			b.Run = redactCommand(b.Run)
			b.Ready = redact.URL(b.Ready)
			v.Before = &b
		}
		c.Variants[i] = v
	}
	return &c
}

// credentialInCommand matches user:password@ in a DSN or URL written in a
// shell command (user:pw@tcp(…), mysql://user:pw@host), and
// --password=… or -pSECRET style flags.
var credentialInCommand = regexp.MustCompile(`([A-Za-z0-9_.%-]+):[^@\s'"/]+@|(--password[= ])\S+|(\s-p)\S+`)

// redactCommand hides the credentials a command line may carry, URLs'
// secret query parameters (curl …?token=…) included.
func redactCommand(cmd string) string {
	cmd = redact.Text(cmd)
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
