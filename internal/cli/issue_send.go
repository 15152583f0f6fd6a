package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

func (a *app) issueSendCommand() *cobra.Command {
	var period, to string
	var yes bool
	cmd := &cobra.Command{
		Use:   "send --period YYYY-MM [--yes] | --period YYYY-MM --to ADDRESS",
		Short: "Send a month's issue to every subscriber in the foreground, or a test copy with --to",
		Long: `Send creates the month's issue if needed, fans it out to every active
subscriber and sends until nothing is left, with progress on a terminal.
Ctrl-C stops cleanly (messages in flight finish) and a rerun resumes.
A sent issue sends nothing more. With --to ADDRESS, one test copy of the
frozen issue goes to that address only, outside the ledger.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withPeriod(cmd, period, func(ctx context.Context, st *store.Store, p newsletter.Period) error {
				svc, err := a.issues(st)
				if err != nil {
					return err
				}
				is, _, err := svc.Create(ctx, p, false)
				if err != nil {
					return err
				}
				if to != "" {
					return a.sendTest(ctx, is, to)
				}
				return a.sendIssue(ctx, st, is, yes)
			})
		},
	}
	periodFlag(cmd, &period)
	cmd.Flags().StringVar(&to, "to", "", "send one test copy to this address only (not recorded in the ledger)")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

func (a *app) sendTest(ctx context.Context, is newsletter.Issue, to string) error {
	if is.HTML == "" {
		return fmt.Errorf("issue %s is %s%s: nothing to send: %w", is.Period, is.Status, reasonSuffix(is), newsletter.ErrInvalid)
	}
	if strings.ContainsAny(to, "\r\n") || !strings.Contains(to, "@") {
		return fmt.Errorf("--to %q: want an email address: %w", to, newsletter.ErrInvalid)
	}
	l, err := a.links()
	if err != nil {
		return err
	}
	pool, err := a.pool(nil)
	if err != nil {
		return err
	}
	defer pool.Close(context.Background())
	c, err := delivery.Compile(is, l)
	if err != nil {
		return err
	}
	if err := a.mailSender(pool, l).SendTest(ctx, c, to, "[TEST]"); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "test copy of issue %s sent to %s\n", is.Period, to)
	return nil
}

func (a *app) sendIssue(ctx context.Context, st *store.Store, is newsletter.Issue, yes bool) error {
	switch is.Status {
	case newsletter.IssueSent:
		fmt.Fprintf(a.stdout, "issue %s was sent on %s: nothing more to send\n", is.Period, is.SentAt.In(a.cfg.Location()).Format("2006-01-02 15:04"))
		return nil
	case newsletter.IssueSkipped, newsletter.IssueCancelled:
		return fmt.Errorf("issue %s is %s%s: %w", is.Period, is.Status, reasonSuffix(is), newsletter.ErrConflict)
	case newsletter.IssueDraft:
		return fmt.Errorf("issue %s awaits approval: run `enews issue approve --period %s`: %w", is.Period, is.Period, newsletter.ErrConflict)
	case newsletter.IssuePaused:
		return fmt.Errorf("issue %s is paused: run `enews issue resume --period %s` first: %w", is.Period, is.Period, newsletter.ErrConflict)
	case newsletter.IssueApproved:
		if !yes && isTerminal(a.stdin) {
			fmt.Fprintf(a.stdout, "Send %q to every active subscriber? [y/N] ", is.Subject)
			line, _ := bufio.NewReader(a.stdin).ReadString('\n')
			if ans := strings.ToLower(strings.TrimSpace(line)); ans != "y" && ans != "yes" {
				return fmt.Errorf("not sent: not confirmed")
			}
		}
		added, err := st.StartSending(ctx, is.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "issue %s: %d deliveries queued\n", is.Period, added)
		is.Status = newsletter.IssueSending
	}
	e, c, closePool, err := a.engine(st, is, nil)
	if err != nil {
		return err
	}
	defer closePool()
	stopProgress := a.progress(ctx, st, is)
	sum, err := e.Run(ctx, is, c, true)
	stopProgress()
	if err != nil {
		return err
	}
	stats, serr := st.Stats(context.WithoutCancel(ctx), is.ID)
	if serr != nil {
		return serr
	}
	fmt.Fprintf(a.stdout, "issue %s: this run sent %d, retried %d, failed %d, skipped %d; ledger: %s\n",
		is.Period, sum.Sent, sum.Retried, sum.Failed, sum.Skipped, formatCounts(stats))
	switch {
	case sum.Done:
		fmt.Fprintf(a.stdout, "issue %s is sent\n", is.Period)
	case sum.Stopped != "":
		fmt.Fprintf(a.stdout, "stopped: issue is %s\n", sum.Stopped)
	case ctx.Err() != nil:
		fmt.Fprintf(a.stdout, "interrupted: run the same command again to resume\n")
	}
	return nil
}

// progress prints a one-line progress display on a terminal until stopped.
func (a *app) progress(ctx context.Context, st *store.Store, is newsletter.Issue) func() {
	if !isTerminal(a.stdout) {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(a.stdout, "\r\033[K")
				return
			case <-t.C:
				s, err := st.Stats(ctx, is.ID)
				if err == nil {
					fmt.Fprintf(a.stdout, "\r\033[K%s", progressLine(s))
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func progressLine(s store.DeliveryStats) string {
	total := s.Total()
	finished := s.ByStatus[newsletter.DeliverySent] + s.ByStatus[newsletter.DeliveryFailed] + s.ByStatus[newsletter.DeliverySkipped]
	width := 30
	filled := 0
	if total > 0 {
		filled = int(int64(width) * finished / total)
	}
	return fmt.Sprintf("[%s%s] %d/%d  %d/min", strings.Repeat("#", filled), strings.Repeat(".", width-filled), finished, total, s.SentLastMin)
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func formatCounts(s store.DeliveryStats) string {
	var parts []string
	for _, st := range []string{newsletter.DeliveryQueued, newsletter.DeliverySending, newsletter.DeliveryRetry, newsletter.DeliverySent, newsletter.DeliveryFailed, newsletter.DeliverySkipped} {
		if n := s.ByStatus[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, ", ")
}
