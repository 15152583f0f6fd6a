package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
)

func (a *app) issueStatusCommand() *cobra.Command {
	var period string
	var watch bool
	cmd := &cobra.Command{
		Use:   "status --period YYYY-MM [--watch]",
		Short: "Show an issue's state, delivery counts, rate, ETA, deliveries in doubt and recent errors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withPeriod(cmd, period, func(ctx context.Context, st *store.Store, p newsletter.Period) error {
				for {
					status, err := a.printStatus(ctx, st, p, watch)
					if err != nil {
						return err
					}
					if !watch || watchEnds(status) {
						return nil
					}
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(2 * time.Second):
					}
				}
			})
		},
	}
	periodFlag(cmd, &period)
	cmd.Flags().BoolVar(&watch, "watch", false, "refresh every 2 seconds until the issue is sent (or skipped or cancelled), or until interrupted")
	return cmd
}

// printStatus prints one screen of an issue's state and returns its status.
func (a *app) printStatus(ctx context.Context, st *store.Store, p newsletter.Period, clear bool) (string, error) {
	is, err := st.IssueByPeriod(ctx, p)
	if errors.Is(err, newsletter.ErrNotFound) {
		return "", a.notMadeYet(ctx, st, p, err)
	}
	if err != nil {
		return "", err
	}
	s, err := st.Stats(ctx, is.ID)
	if err != nil {
		return "", err
	}
	if clear && isTerminal(a.stdout) {
		fmt.Fprint(a.stdout, "\033[H\033[2J")
	}
	w := a.stdout
	fmt.Fprintf(w, "issue %s (id %d): %s%s\n", p, is.ID, newsletter.IssueLabel(is.Status, s.ByStatus[newsletter.DeliveryFailed]), reasonSuffix(is))
	fmt.Fprintf(w, "subject: %s\nitems: %d\n", is.Subject, len(is.ItemIDs))
	fmt.Fprintf(w, "deliveries: %d (%s)\n", s.Total(), formatCounts(s))
	fmt.Fprintln(w, rateLine(is.Status, s))
	// In doubt: leases that ran out because their sender died. Each may have
	// been sent once already; at most sending.connections per dead process
	// were really on the wire.
	fmt.Fprintf(w, "in doubt after a crash (possible duplicates): %d\n", s.InDoubt)
	if err := a.printSMTPWaiting(ctx, w, st, is); err != nil {
		return "", err
	}
	history, err := st.IssueTransitions(ctx, is.ID)
	if err != nil {
		return "", err
	}
	if err := a.printBounces(ctx, w, st, is, history); err != nil {
		return "", err
	}
	if err := printLatestReceipt(ctx, w, st, is.ID); err != nil {
		return "", err
	}
	if len(history) > 0 {
		fmt.Fprintln(w, "history:")
		for _, h := range history[max(0, len(history)-8):] {
			note := ""
			if h.Note != "" {
				note = "  (" + plaintext.Clip(plaintext.OneLine(h.Note), 60) + ")"
			}
			fmt.Fprintf(w, "  %s  %-12s %-9s → %-9s by %s%s\n", h.At.In(a.cfg.Location()).Format("2006-01-02 15:04:05 MST"),
				h.Action, orNone(h.From), h.To, h.Actor, note)
		}
	}
	ob, err := st.OutboxBacklog(ctx)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(w, "transactional mail: %s\n", a.describeOutbox(ob))
	if len(s.RecentErrors) > 0 {
		fmt.Fprintln(w, "recent errors:")
		for _, e := range s.RecentErrors {
			fmt.Fprintf(w, "  subscriber %d  %s  attempt %d  %s  %s\n", e.SubscriberID, e.Status, e.Attempts,
				e.At.In(a.cfg.Location()).Format("01-02 15:04:05 MST"), plaintext.Clip(plaintext.OneLine(e.Reply), 80))
		}
	}
	return is.Status, nil
}

// watchEnds says when --watch has nothing more to show: the issue is sent,
// or skipped or cancelled (until someone reopens it).
func watchEnds(status string) bool {
	return status == newsletter.IssueSent || status == newsletter.IssueSkipped || status == newsletter.IssueCancelled
}

// rateLine is the recent sending rate and when the send should end; a
// paused or stopped issue shows neither, as nothing is being sent.
func rateLine(status string, s newsletter.DeliveryStats) string {
	if status != newsletter.IssueSending {
		return "rate: none (the issue is " + status + ")"
	}
	rate := s.PerMinute()
	if rate == 0 {
		return "rate: nothing sent in the last minute"
	}
	line := fmt.Sprintf("rate: %.0f/min", rate)
	if eta, ok := s.ETA(); ok {
		line += fmt.Sprintf(", ETA %s (%s)", eta, "at this rate")
	}
	return line
}

func orNone(status string) string {
	if status == newsletter.StatusNone {
		return "(none)"
	}
	return status
}

// describeOutbox says what waits in the outbox (confirmations, approver
// notices, test copies) and what failed in the last 7 days.
func (a *app) describeOutbox(b newsletter.OutboxBacklog) string {
	if b.Pending == 0 && b.FailedRecent == 0 {
		return "nothing waiting"
	}
	out := fmt.Sprintf("%d waiting", b.Pending)
	if b.Retrying > 0 {
		out += fmt.Sprintf(" (%d retrying)", b.Retrying)
	}
	if b.OldestPending != nil {
		out += ", oldest queued " + b.OldestPending.In(a.cfg.Location()).Format("2006-01-02 15:04:05 MST")
	}
	if b.FailedRecent > 0 {
		out += fmt.Sprintf(", %d failed in the last 7 days", b.FailedRecent)
	}
	if b.LastError != "" {
		out += "; last error: " + plaintext.Clip(plaintext.OneLine(b.LastError), 100)
	}
	return out
}

// notMadeYet explains a period without an issue: the failing sources an
// issue due now waits for (content.source_grace), if any.
func (a *app) notMadeYet(ctx context.Context, st *store.Store, p newsletter.Period, notFound error) error {
	list, err := st.EnabledSources(ctx)
	if err != nil {
		return err
	}
	var failing []newsletter.Source
	for _, s := range list {
		if s.Failing() {
			failing = append(failing, s)
		}
	}
	if len(failing) == 0 {
		return notFound
	}
	fmt.Fprintf(a.stdout, "issue %s: not made yet; a due issue waits up to content.source_grace (%s) for these sources:\n",
		p, a.cfg.Content.SourceGrace)
	for _, s := range failing {
		fmt.Fprintf(a.stdout, "  %s: failing since %s (%d in a row): %s\n", plaintext.Clip(s.Name, 40), a.at(s.FailingSince),
			s.Failures, plaintext.Clip(plaintext.OneLine(s.LastError), 200))
	}
	return notFound
}
