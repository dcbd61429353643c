package main

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/template"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/driver/mysqlserver"
	"github.com/poolload/poolload/driver/pgserver"
)

func initCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "write a commented starting scenario for a target, cold and warm variants included",
		UsageText: "poolload init --driver mysql --dsn 'user@tcp(host:3306)/db' [--out FILE]\n" +
			"   poolload init --driver postgres --dsn 'postgres://user@host:5432/db' [--out FILE]\n" +
			"   poolload init --driver http --url http://host:8080/path [--out FILE]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "driver", Usage: "mysql, postgres or http", Required: true},
			&cli.StringFlag{Name: "dsn", Usage: "the database to load (mysql, postgres)"},
			&cli.StringFlag{Name: "url", Usage: "the URL to load (http)"},
			&cli.StringFlag{Name: "out", Usage: "write the scenario to FILE (refused if it exists) instead of stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return badInput("init: unexpected arguments %q (flags only)", c.Args().Slice())
			}
			text, warn, err := renderInit(c.String("driver"), c.String("dsn"), c.String("url"))
			if err != nil {
				return err
			}
			if warn != "" {
				fmt.Fprintln(c.App.ErrWriter, "poolload:", warn)
			}
			out := c.String("out")
			if out == "" {
				_, err := io.WriteString(c.App.Writer, text)
				return err
			}
			// O_EXCL: a starting point must never overwrite a scenario
			// someone has since worked on.
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return badInput("init: %v", err)
			}
			if _, err := io.WriteString(f, text); err != nil {
				f.Close()
				return fmt.Errorf("writing %s: %w", out, err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("writing %s: %w", out, err)
			}
			fmt.Fprintf(c.App.Writer, "wrote %s: check it with poolload validate %s\n", out, out)
			return nil
		},
	}
}

// initTarget is what the template needs to know about the target.
type initTarget struct {
	Driver string
	// DSN is the database as the file writes it: the flag's value as the
	// default of an environment variable, or the variable alone when the
	// DSN holds a password, which a file must not keep.
	DSN, DSNVar string
	// DSNValue is dsn:'s value as written: a double-quoted ${VAR:-DSN}.
	DSNValue string
	// BaseURL and Path split --url: the driver appends request paths to
	// its base URL.
	BaseURL, Path string
}

// renderInit returns the starting scenario for a target and, if any, a
// warning for the terminal.
func renderInit(drv, dsn, rawURL string) (string, string, error) {
	t := initTarget{Driver: drv}
	var warn string
	switch drv {
	case "mysql", "postgres":
		if dsn == "" || rawURL != "" {
			return "", "", badInput("init: --driver %s takes --dsn (and no --url)", drv)
		}
		t.DSNVar, t.DSN = "POOLLOAD_DSN", dsn
		redacted := mysqlserver.RedactDSN(dsn)
		if drv == "postgres" {
			t.DSNVar, redacted = "POOLLOAD_PG_DSN", pgserver.RedactDSN(dsn)
		}
		if redacted != dsn {
			t.DSN = ""
			warn = fmt.Sprintf("the DSN holds a password, so the scenario reads it from $%s: export %s=… before running it", t.DSNVar, t.DSNVar)
		}
		if strings.Contains(t.DSN, "}") {
			return "", "", badInput("init: the DSN %q holds a }, which ${%s:-…} cannot quote: write it into the scenario by hand", redacted, t.DSNVar)
		}
	case "http":
		if rawURL == "" || dsn != "" {
			return "", "", badInput("init: --driver http takes --url (and no --dsn)")
		}
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", "", badInput("init: --url %q: want an absolute http:// or https:// URL", rawURL)
		}
		if u.User != nil {
			return "", "", badInput("init: --url: put credentials in auth: or headers:, not in the URL")
		}
		t.BaseURL = u.Scheme + "://" + u.Host
		t.Path = u.EscapedPath()
		if t.Path == "" {
			t.Path = "/"
		}
		if u.RawQuery != "" {
			t.Path += "?" + u.RawQuery
		}
	default:
		return "", "", badInput("init: --driver %q: one of mysql, postgres, http", drv)
	}
	if t.DSNVar != "" {
		t.DSNValue = "${" + t.DSNVar + "}"
		if t.DSN != "" {
			t.DSNValue = "${" + t.DSNVar + ":-" + t.DSN + "}"
		}
		t.DSNValue = yamlQuote(t.DSNValue)
	}
	var b bytes.Buffer
	if err := initTemplate.Execute(&b, t); err != nil {
		return "", "", fmt.Errorf("init: rendering the scenario: %w", err)
	}
	return b.String(), warn, nil
}

// yamlQuote writes s as a double-quoted YAML string.
func yamlQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

var initTemplate = template.Must(template.New("init").Funcs(template.FuncMap{"q": yamlQuote}).Parse(initText))
