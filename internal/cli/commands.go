package cli

import "github.com/spf13/cobra"

// extraCommands lists the command groups beyond the basics; each file adds
// its own constructor here.
func (a *app) extraCommands() []func() *cobra.Command {
	return []func() *cobra.Command{
		a.itemsCommand,
		a.issueCommand,
		a.serveCommand,
		a.sourcesCommand,
		a.subscribersCommand,
		a.tokenCommand,
		a.usersCommand,
	}
}
