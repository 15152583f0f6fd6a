package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/store"
)

func (a *app) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage bearer tokens for the admin API under /api/"}
	cmd.AddCommand(a.tokenCreateCommand(), a.tokenListCommand(), a.tokenRevokeCommand())
	return cmd
}

func (a *app) tokenCreateCommand() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create a token and print it once; only its hash is stored",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				token, t, err := st.CreateAPIToken(ctx, name)
				if err != nil {
					return err
				}
				// The token alone on stdout, so scripts can capture it.
				fmt.Fprintln(a.stdout, token)
				fmt.Fprintf(a.stderr, "token %q created; store it now: it cannot be shown again\n", t.Name)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for, e.g. crm-sync (required, unique)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (a *app) tokenListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tokens (never the tokens themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				tokens, err := st.ListAPITokens(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tCREATED\tLAST USED\tREVOKED")
				for _, t := range tokens {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, a.at(&t.CreatedAt), a.at(t.LastUsedAt), a.at(t.RevokedAt))
				}
				return tw.Flush()
			})
		},
	}
}

func (a *app) tokenRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token: requests with it get 401 from now on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				t, err := st.RevokeAPIToken(ctx, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "token %q revoked\n", t.Name)
				return nil
			})
		},
	}
}
