package cli

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

func (a *app) subscribersUnsuppressCommand() *cobra.Command {
	var email, reason string
	cmd := &cobra.Command{
		Use:   "unsuppress --email E --reason TEXT",
		Short: "Take an address off the suppression list (a complaint, a block or an erase), with the reason logged",
		Long: `Unsuppress lifts a suppression by hand: after a complaint made by mistake, say.
The reason is required and goes to the audit log with who lifted it. A
subscriber who complained becomes unsubscribed, so that a new double opt-in
through the subscribe form can bring them back; nobody is mailed by this.
An erased address needs no unsuppress: its owner may subscribe again
through the form, and their confirmation lifts the suppression.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := subscribers.NormaliseAddress(email)
			if err != nil {
				return flagError("--email", err)
			}
			reason = strings.TrimSpace(reason)
			if reason == "" || len(reason) > 500 || strings.ContainsFunc(reason, unicode.IsControl) {
				return fmt.Errorf("%w: --reason: say in one line (at most 500 characters) why the suppression is lifted", newsletter.ErrInvalid)
			}
			ctx := cmd.Context()
			return a.withList(ctx, func(st *store.Store) error {
				res, err := st.LiftSuppression(ctx, addr, viaCLI())
				if err != nil {
					return err
				}
				e := newsletter.AuditEntry{Actor: a.cliActor(), Action: "subscriber.unsuppress", Target: addr,
					Detail: "was " + res.Reason + "; " + plaintext.OneLine(reason)}
				if err := st.AppendAudit(ctx, e, netip.Addr{}); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s is off the suppression list (it was %s)\n", addr, res.Reason)
				if res.SubscriberID != 0 {
					fmt.Fprintf(a.stdout, "subscriber %d is now unsubscribed: the subscribe form can bring them back\n", res.SubscriberID)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "the address (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why the suppression is lifted, for the audit log (required)")
	_ = cmd.MarkFlagRequired("email")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}
