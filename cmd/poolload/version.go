package main

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version of poolload and of Go",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return badInput("version: takes no arguments")
			}
			fmt.Fprintf(c.App.Writer, "poolload %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
