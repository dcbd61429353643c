// Command poolload drives an open-model load against a database pool (or a
// service that holds one), records blocked, wait and dropped iterations
// without coordinated omission, and writes a run record others can analyse.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitOK        = 0
	exitFailed    = 1 // the run failed or was stopped early
	exitBadInput  = 2 // bad scenario, flags or arguments: the target was not touched
	exitThreshold = 99
)

// version is set with -ldflags "-X main.version=…" by make build.
var version = "dev"

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(format string, args ...any) error {
	return &exitError{code: exitBadInput, err: fmt.Errorf(format, args...)}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:            "poolload",
		Usage:           "load-test a database connection pool, cold and warm, without coordinated omission",
		Writer:          stdout,
		ErrWriter:       stderr,
		HideVersion:     true,
		ExitErrHandler:  func(*cli.Context, error) {},
		OnUsageError:    func(_ *cli.Context, err error, _ bool) error { return badInput("%v", err) },
		Commands:        []*cli.Command{runCommand(), validateCommand(), compareCommand(), checkCommand(), reportCommand(), plotCommand(), diagnoseCommand(), mergeCommand(), k8sCommand(), schemaCommand(), initCommand(), versionCommand()},
		CommandNotFound: func(c *cli.Context, name string) { fmt.Fprintf(stderr, "poolload: unknown command %q\n", name) },
	}
}

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run is main without os.Exit, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).Run(args)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "poolload:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitBadInput // urfave/cli's own errors are about flags and arguments
}

// oneFile returns the single FILE argument. urfave/cli v2 stops parsing
// flags at the first positional argument, so a flag written after FILE
// would be silently ignored: refuse it instead.
func oneFile(c *cli.Context) (string, error) {
	switch c.NArg() {
	case 0:
		return "", badInput("%s: a scenario FILE is required (usage: poolload %s [flags] FILE)", c.Command.Name, c.Command.Name)
	case 1:
		return c.Args().First(), nil
	}
	return "", badInput("%s: unexpected arguments after %s: %q (flags go before FILE)",
		c.Command.Name, c.Args().First(), c.Args().Tail())
}
