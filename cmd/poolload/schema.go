package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/scenario"
)

// schemaFile is the schema committed beside the scenarios, which their
// yaml-language-server comments name; a test keeps it up to date.
const schemaFile = "scenarios/scenario.schema.json"

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the JSON Schema of the scenario format, for editors",
		Description: "Prints the JSON Schema (draft 2020-12) of a scenario file. A YAML language server\n" +
			"(VS Code's YAML extension, Neovim, Helix…) uses it for completion and checking when the\n" +
			"file's first line is\n\n   # yaml-language-server: $schema=PATH/TO/scenario.schema.json\n\n" +
			"The repository keeps one in " + schemaFile + ".",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return badInput("schema: takes no arguments")
			}
			b, err := scenario.Schema()
			if err != nil {
				return err
			}
			if _, err := c.App.Writer.Write(b); err != nil {
				return fmt.Errorf("writing the schema: %w", err)
			}
			return nil
		},
	}
}
