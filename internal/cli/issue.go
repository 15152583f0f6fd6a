package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
)

func (a *app) issueCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "issue", Short: "Preview, create, approve, send and watch monthly issues"}
	cmd.AddCommand(a.issuePreviewCommand(), a.issueCreateCommand(), a.issueSendCommand(), a.issueStatusCommand(), a.issueCheckCommand(),
		a.issueListCommand(),
		a.issueActionCommand("approve", "Approve a draft: its bytes freeze and a running serve starts sending it",
			(*issues.Service).Approve),
		a.issueActionCommand("pause", "Pause sending; every sender stops within a second", (*issues.Service).Pause),
		a.issueActionCommand("resume", "Resume a paused issue (then run `issue send` or let `serve` continue)",
			(*issues.Service).Resume),
		a.issueActionCommand("cancel", "Cancel an issue: nothing more is sent", (*issues.Service).Cancel),
		a.issueActionCommand("reopen", "Take a skipped, approved or cancelled issue that sent nothing back to draft",
			(*issues.Service).Reopen),
		a.issueActionCommand("refresh", "Collect and render a draft again from the items as they are now",
			(*issues.Service).Refresh),
		a.issueActionCommand("retry-failed", "Requeue failed deliveries of subscribers still active (after an outage)",
			(*issues.Service).RetryFailed),
	)
	return cmd
}

// actor is who a change made from this command line is logged as.
func (a *app) actor() string {
	u := lookupEnv(a.env, "USER")
	if u == "" {
		u = "unknown"
	}
	return "cli:" + u
}

// withPeriod parses --period, opens the store and runs fn.
func (a *app) withPeriod(cmd *cobra.Command, period string, fn func(ctx context.Context, st *store.Store, p newsletter.Period) error) error {
	p, err := newsletter.ParsePeriod(period)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	err = a.withStore(ctx, func(st *store.Store) error { return fn(ctx, st, p) })
	var pr *newsletter.Problem
	if errors.As(err, &pr) && errors.Is(err, newsletter.ErrNotFound) && cmd.Name() != "create" {
		return newsletter.Problemf(newsletter.ErrNotFound, "%s; run enews issue create --period %s", pr.Msg, p)
	}
	return err
}

// withIssues is withPeriod for commands that act through the lifecycle
// service.
func (a *app) withIssues(cmd *cobra.Command, period string, fn func(ctx context.Context, st *store.Store, svc *issues.Service, p newsletter.Period) error) error {
	return a.withPeriod(cmd, period, func(ctx context.Context, st *store.Store, p newsletter.Period) error {
		svc, err := a.issues(st)
		if err != nil {
			return err
		}
		return fn(ctx, st, svc, p)
	})
}

func periodFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "period", "", "the issue's month, YYYY-MM (required)")
	_ = cmd.MarkFlagRequired("period")
}

func (a *app) issuePreviewCommand() *cobra.Command {
	var period, out string
	var text, reportOnly bool
	cmd := &cobra.Command{
		Use:   "preview --period YYYY-MM [--out FILE] [--text] [--report]",
		Short: "Show a month's issue without sending it, and why each item is in or out",
		Long: `Preview shows a month's issue without sending or storing anything: the frozen
bytes once approved, else the month rendered now, with sample links. On
stderr (stdout with --report, which prints nothing else) comes the inclusion
report: every item published within a day of the month, in or out and why
(in the month in schedule.timezone, with its local time; hidden; a draft;
outside the month; a duplicate URL; over content.max_items), and whether the
issue is made or skipped as a quiet month. A frozen issue shows the report
kept from its freeze.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withPeriod(cmd, period, func(ctx context.Context, st *store.Store, p newsletter.Period) error {
				svc, err := a.issues(st)
				if err != nil {
					return err
				}
				rep, kept, err := svc.Report(ctx, p)
				if err != nil {
					return err
				}
				if reportOnly {
					a.printInclusion(a.stdout, rep, kept)
					return nil
				}
				a.printInclusion(a.stderr, rep, kept)
				html, txt, err := a.previewParts(ctx, svc, p)
				if err != nil {
					return err
				}
				msg, err := digest.Preview(html, txt, digest.SampleValues())
				if err != nil {
					return err
				}
				body := msg.HTML
				if text {
					body = msg.Text
				}
				if out == "" {
					_, err = a.stdout.Write(body)
					return err
				}
				if err := writePrivate(out, body); err != nil {
					return fmt.Errorf("preview: %w", err)
				}
				fmt.Fprintf(a.stderr, "wrote %s\n", out)
				return nil
			})
		},
	}
	periodFlag(cmd, &period)
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of stdout")
	cmd.Flags().BoolVar(&text, "text", false, "the plain-text part instead of the HTML")
	cmd.Flags().BoolVar(&reportOnly, "report", false, "print only the inclusion report, on stdout")
	return cmd
}

// previewParts gives the frozen issue once approved, so the preview shows
// the bytes subscribers get; otherwise the month rendered now. Nothing is
// stored.
func (a *app) previewParts(ctx context.Context, svc *issues.Service, p newsletter.Period) (html, text string, err error) {
	is, err := svc.Draft(ctx, p)
	if err != nil {
		return "", "", err
	}
	return is.HTML, is.Text, nil
}

// printInclusion writes the inclusion report as a table, newest first.
func (a *app) printInclusion(w io.Writer, rep newsletter.InclusionReport, kept bool) {
	when := "as it would be made now"
	if kept {
		when = "as kept when its bytes froze"
	}
	fmt.Fprintf(w, "issue %s, %s: %d of %d items considered are in; %s\n", rep.Period, when, rep.Included, len(rep.Items), rep.Outcome)
	fmt.Fprintf(w, "month in %s: %s to %s\n", rep.Zone, rep.From.Format(newsletter.LocalLayout), rep.To.Format(newsletter.LocalLayout))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tID\tTITLE\tWHY")
	for _, d := range rep.Items {
		mark := "out"
		if d.In {
			mark = "IN"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", mark, d.ID, plaintext.Clip(plaintext.OneLine(d.Title), 60), d.Reason)
	}
	_ = tw.Flush()
}

func (a *app) issueCreateCommand() *cobra.Command {
	var period string
	var force bool
	cmd := &cobra.Command{
		Use:   "create --period YYYY-MM [--force]",
		Short: "Collect and render a month's issue as a draft, or skip a quiet month (finds the existing one if there is one)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withIssues(cmd, period, func(ctx context.Context, st *store.Store, svc *issues.Service, p newsletter.Period) error {
				is, created, err := svc.Create(ctx, p, issues.CreateOptions{Actor: a.actor(), Force: force})
				if err != nil {
					return err
				}
				verb := "exists"
				if created {
					verb = "created"
				}
				fmt.Fprintf(a.stdout, "issue %s %s: %s, %d items, subject %q%s\n", p, verb, is.Status, len(is.ItemIDs), is.Subject, reasonSuffix(is))
				return nil
			})
		},
	}
	periodFlag(cmd, &period)
	cmd.Flags().BoolVar(&force, "force", false, "create for a month that has not ended, or a quiet month (fewer than content.min_items items)")
	return cmd
}

func reasonSuffix(is newsletter.Issue) string {
	if is.SkipReason == "" {
		return ""
	}
	return " (" + is.SkipReason + ")"
}

// issueActionCommand runs one lifecycle action on the period's issue.
func (a *app) issueActionCommand(name, short string,
	action func(*issues.Service, context.Context, newsletter.Period, string) (issues.Result, error)) *cobra.Command {
	var period string
	cmd := &cobra.Command{
		Use:   name + " --period YYYY-MM",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withIssues(cmd, period, func(ctx context.Context, st *store.Store, svc *issues.Service, p newsletter.Period) error {
				res, err := action(svc, ctx, p, a.actor())
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "issue %s is now %s", p, res.Issue.Status)
				if res.Deliveries > 0 {
					fmt.Fprintf(a.stdout, " (%d deliveries)", res.Deliveries)
				}
				fmt.Fprintln(a.stdout)
				return nil
			})
		},
	}
	periodFlag(cmd, &period)
	return cmd
}

// engine builds a delivery engine and the compiled issue, returning a close
// function for the SMTP pool.
func (a *app) engine(st *store.Store, is newsletter.Issue, metrics *delivery.Metrics) (*delivery.Engine, *delivery.Compiled, func(), error) {
	l, err := a.links()
	if err != nil {
		return nil, nil, nil, err
	}
	pool, err := a.pool()
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := delivery.CompileIssue(is, l)
	if err != nil {
		return nil, nil, nil, err
	}
	svc, err := a.issues(st)
	if err != nil {
		_ = pool.Close(context.Background())
		return nil, nil, nil, err
	}
	sender, err := a.mailSender(pool, l)
	if err != nil {
		_ = pool.Close(context.Background())
		return nil, nil, nil, err
	}
	e := delivery.New(st, svc, sender, delivery.ClassifyMailError, a.engineOptions(), a.log, metrics)
	return e, c, func() { _ = pool.Close(context.Background()) }, nil
}

// writePrivate writes body to a file only its owner can read.
func writePrivate(path string, body []byte) error {
	f, err := createPrivate(path)
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
