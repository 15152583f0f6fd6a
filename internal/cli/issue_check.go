package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/compliance"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

func (a *app) issueCheckCommand() *cobra.Command {
	var period string
	cmd := &cobra.Command{
		Use:   "check --period YYYY-MM",
		Short: "Check an issue against the bulk-sender rules and store the receipt",
		Long: `Check makes the issue's compliance receipt and keeps it with the issue:
https base URL, a one-click unsubscribe endpoint that answers a real POST,
DKIM configured and verifying over both List-Unsubscribe headers, the SPF,
DKIM selector and DMARC records of the From and return-path domains and
their alignment (looked up through compliance.resolver), List-Id, the
unsubscribe link in both parts, suppression counts and pending
unsubscribes. It exits non-zero when a blocking check fails. issue send
runs it before a send starts and refuses to send on a failure unless --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withIssues(cmd, period, func(ctx context.Context, st *store.Store, svc *issues.Service, p newsletter.Period) error {
				is, err := svc.Draft(ctx, p)
				if err != nil {
					return err
				}
				if is.ID == 0 {
					return fmt.Errorf("issue %s: no issue yet to keep a receipt with (enews issue create --period %s): %w", p, p, newsletter.ErrNotFound)
				}
				rec, err := a.checkIssue(ctx, st, is, false)
				if err != nil {
					return err
				}
				printReceipt(a.stdout, rec)
				if !rec.Passed {
					return fmt.Errorf("issue %s: %d compliance checks failed: %w", p, len(rec.Failed()), newsletter.ErrInvalid)
				}
				return nil
			})
		},
	}
	periodFlag(cmd, &period)
	return cmd
}

// checkIssue runs the compliance checks on is and stores the receipt.
func (a *app) checkIssue(ctx context.Context, st *store.Store, is newsletter.Issue, forced bool) (compliance.Receipt, error) {
	pool, err := a.pool()
	if err != nil {
		return compliance.Receipt{}, err
	}
	defer pool.Close(context.Background())
	c, err := a.checker(st, pool)
	if err != nil {
		return compliance.Receipt{}, err
	}
	rec, err := c.Run(ctx, is)
	if err != nil {
		return rec, err
	}
	rec.Forced = forced && !rec.Passed
	rec.Actor = a.actor()
	b, err := json.Marshal(rec)
	if err != nil {
		return rec, fmt.Errorf("receipt: %w", err)
	}
	_, err = st.SaveIssueCheck(ctx, store.IssueCheck{IssueID: is.ID, Passed: rec.Passed, Forced: rec.Forced, Actor: rec.Actor, Receipt: b})
	return rec, err
}

func (a *app) checker(st *store.Store, pool *mailer.Pool) (*compliance.Checker, error) {
	l, err := a.links()
	if err != nil {
		return nil, err
	}
	res, err := compliance.NewResolver(a.cfg.Compliance.Resolver, a.cfg.Compliance.DNSTimeout)
	if err != nil {
		return nil, err
	}
	from := a.cfg.SMTP.From
	rp := a.cfg.Bounces.Domain
	if rp == "" {
		_, rp, _ = strings.Cut(bareAddress(from), "@")
	}
	mailto := ""
	if a.cfg.SMTP.UnsubscribeMailto != "" {
		mailto = "mailto:" + strings.TrimPrefix(a.cfg.SMTP.UnsubscribeMailto, "mailto:")
	}
	n := a.cfg.Newsletter
	return compliance.NewChecker(compliance.Config{
		BaseURL: a.cfg.Web.BaseURL, From: from, ReturnPathDomain: rp, ListID: n.ListID, ListName: n.ProductName,
		// A genuine token for a subscriber id that never exists: the POST
		// reaches the store and changes nothing.
		ProbeUnsubscribeURL: l.Unsubscribe(-1), UnsubscribeMailto: mailto,
	}, res, pool, st), nil
}

// gateSend checks an issue that is about to start sending; a failed check
// stops the send unless force, and a forced send is recorded as such.
func (a *app) gateSend(ctx context.Context, st *store.Store, svc *issues.Service, p newsletter.Period, force bool) error {
	mode := a.cfg.Compliance.BeforeSend
	if mode == "off" {
		return nil
	}
	is, err := svc.Draft(ctx, p)
	if errors.Is(err, newsletter.ErrNotFound) {
		return nil // Send makes it, or says why not
	}
	if err != nil {
		return err
	}
	if is.Status != newsletter.IssueDraft && is.Status != newsletter.IssueApproved {
		return nil // already sending, paused or done: nothing new starts
	}
	rec, err := a.checkIssue(ctx, st, is, force && mode == "block")
	if err != nil {
		return err
	}
	if rec.Passed {
		fmt.Fprintf(a.stdout, "compliance receipt: passed (%d checks)\n", len(rec.Items))
		return nil
	}
	printReceipt(a.stdout, rec)
	if mode == "warn" {
		fmt.Fprintf(a.stdout, "compliance receipt: %d checks failed; sending anyway (compliance.before_send: warn)\n", len(rec.Failed()))
		return nil
	}
	if force {
		fmt.Fprintf(a.stdout, "compliance receipt: %d checks failed; sending anyway (--force, recorded)\n", len(rec.Failed()))
		return nil
	}
	return fmt.Errorf("issue %s not sent: %d compliance checks failed (fix them, or send with --force, which the receipt records): %w",
		p, len(rec.Failed()), newsletter.ErrConflict)
}

func printReceipt(w io.Writer, rec compliance.Receipt) {
	verdict := "passed"
	if !rec.Passed {
		verdict = "FAILED"
		if rec.Forced {
			verdict = "FAILED, sent anyway (--force)"
		}
	}
	fmt.Fprintf(w, "compliance receipt for issue %s, %s by %s: %s\n", rec.Period, rec.At.Format("2006-01-02 15:04:05 MST"), rec.Actor, verdict)
	for _, it := range rec.Items {
		mark := "ok  "
		switch {
		case !it.OK && it.Blocking:
			mark = "FAIL"
		case !it.OK:
			mark = "warn"
		case !it.Blocking:
			mark = "info"
		}
		fmt.Fprintf(w, "  %s  %s: %s\n", mark, it.Name, it.Detail)
	}
}

// printLatestReceipt shows an issue's newest receipt in issue status.
func printLatestReceipt(ctx context.Context, w io.Writer, st *store.Store, issueID int64) error {
	c, err := st.LatestIssueCheck(ctx, issueID)
	if errors.Is(err, newsletter.ErrNotFound) {
		fmt.Fprintln(w, "compliance receipt: none yet (enews issue check)")
		return nil
	}
	if err != nil {
		return err
	}
	var rec compliance.Receipt
	if err := json.Unmarshal(c.Receipt, &rec); err != nil {
		return fmt.Errorf("receipt %d: %w", c.ID, err)
	}
	printReceipt(w, rec)
	return nil
}

// bareAddress is the address part of "Name <addr>".
func bareAddress(s string) string {
	if i, j := strings.LastIndexByte(s, '<'), strings.LastIndexByte(s, '>'); i >= 0 && j > i {
		return s[i+1 : j]
	}
	return strings.TrimSpace(s)
}
