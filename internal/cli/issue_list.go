package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
)

func (a *app) issueListCommand() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--limit N]",
		Short: "List every period's issue: state, items, deliveries, sent/failed, when, and what may be done next",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error { return a.printIssueList(ctx, st, limit) })
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 120, "show at most this many periods, newest first")
	return cmd
}

func (a *app) printIssueList(ctx context.Context, st *store.Store, limit int) error {
	if limit <= 0 {
		return fmt.Errorf("--limit %d: want a positive number: %w", limit, newsletter.ErrInvalid)
	}
	list, err := st.IssueSummaries(ctx, limit)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(a.stdout, "no issues yet")
		return nil
	}
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PERIOD\tSTATE\tITEMS\tDELIVERIES\tSENT\tFAILED\tWHEN\tNEXT")
	for _, s := range list {
		is := s.Issue
		state := newsletter.IssueLabel(is.Status, s.Failed)
		if is.SkipReason != "" {
			state += " (" + plaintext.Clip(plaintext.OneLine(is.SkipReason), 40) + ")"
		}
		next := []string{"-"}
		if acts := newsletter.IssueActionsFrom(is.Status); len(acts) > 0 {
			next = next[:0]
		}
		for _, act := range newsletter.IssueActionsFrom(is.Status) {
			next = append(next, string(act))
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", is.Period, state, len(is.ItemIDs), s.Deliveries, s.Sent, s.Failed,
			a.when(is), strings.Join(next, ","))
	}
	return w.Flush()
}

// when is the moment an issue last got somewhere: sent, started, approved,
// else made.
func (a *app) when(is newsletter.Issue) string {
	t := is.CreatedAt
	label := "created"
	for _, c := range []struct {
		at    *time.Time
		label string
	}{{is.SentAt, "sent"}, {is.StartedAt, "started"}, {is.ApprovedAt, "approved"}} {
		if c.at != nil {
			t, label = *c.at, c.label
			break
		}
	}
	return label + " " + t.In(a.cfg.Location()).Format("2006-01-02 15:04 MST")
}
