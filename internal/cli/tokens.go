package cli

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

func (a *app) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage bearer tokens for the admin API under /api/"}
	cmd.AddCommand(a.tokenCreateCommand(), a.tokenListCommand(), a.tokenRevokeCommand())
	return cmd
}

func (a *app) tokenCreateCommand() *cobra.Command {
	var name, expires string
	var scopes []string
	cmd := &cobra.Command{
		Use:   "create --name NAME [--scope read,subscribers,issues] [--expires YYYY-MM-DD|Nd]",
		Short: "Create a token and print it once; only its hash is stored",
		Long: `Create an admin API token and print it once; only its hash is stored.
Scopes: read (every GET), subscribers (add, change, import, unsubscribe,
erase), issues (approve, pause, resume, cancel, reopen, refresh, retry;
add, enable, disable and remove sources).
A request beyond the token's scopes gets 403.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := newsletter.ParseScopes(scopes)
			if err != nil {
				return fmt.Errorf("--scope: %w", err)
			}
			spec := store.TokenSpec{Name: name, Scopes: sc, CreatedBy: a.cliActor()}
			if expires != "" {
				at, err := parseExpiry(expires, time.Now(), a.cfg.Location())
				if err != nil {
					return fmt.Errorf("--expires: %w", err)
				}
				spec.ExpiresAt = &at
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				token, t, err := st.CreateAPIToken(ctx, spec)
				if err != nil {
					return err
				}
				if err := a.auditCLI(ctx, st, "token.create", "token "+t.Name); err != nil {
					return err
				}
				// The token alone on stdout, so scripts can capture it.
				fmt.Fprintln(a.stdout, token)
				fmt.Fprintf(a.stderr, "token %q created (%s); store it now: it cannot be shown again\n", t.Name, strings.Join(t.Scopes, ", "))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for, e.g. crm-sync (required, unique)")
	cmd.Flags().StringSliceVar(&scopes, "scope", []string{"read", "subscribers", "issues"}, "what the token may do: read, subscribers, issues")
	cmd.Flags().StringVar(&expires, "expires", "", "when the token stops working: a date (YYYY-MM-DD, at its start in schedule.timezone) or a number of days (90d); default never")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// parseExpiry reads a token's expiry: a date, at its start in loc, or a
// number of days from now.
func parseExpiry(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 3660 {
			return time.Time{}, fmt.Errorf("%w: %q: want a number of days from 1 to 3660, like 90d", newsletter.ErrInvalid, s)
		}
		return now.AddDate(0, 0, n), nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q: want a date YYYY-MM-DD or a number of days like 90d", newsletter.ErrInvalid, s)
	}
	return t, nil
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
				fmt.Fprintln(tw, "NAME\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
				for _, t := range tokens {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, strings.Join(t.Scopes, ","), a.at(&t.CreatedAt),
						a.at(t.ExpiresAt), a.at(t.LastUsedAt), a.at(t.RevokedAt))
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
				if err := a.auditCLI(ctx, st, "token.revoke", "token "+t.Name); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "token %q revoked\n", t.Name)
				return nil
			})
		},
	}
}
