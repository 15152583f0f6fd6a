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
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

func (a *app) issueSendCommand() *cobra.Command {
	var period, to string
	var wait time.Duration
	var yes, force bool
	cmd := &cobra.Command{
		Use:   "send --period YYYY-MM [--yes] | --period YYYY-MM --to ADDRESS[,ADDRESS…]",
		Short: "Send a month's issue to every subscriber in the foreground, or test copies with --to",
		Long: `Send makes the month's issue if there is none, freezes a draft when
approval is not required, fans it out to every active subscriber and sends
until nothing is left, with progress on a terminal. A send already under
way (another send, or serve) is joined, not refused. Ctrl-C stops cleanly
(messages in flight finish) and a rerun resumes. A sent issue sends nothing
more. Before a send starts, the compliance receipt (enews issue check) is
made and kept with the issue; a failed check stops the send unless --force,
which the receipt records.

With --to, one test copy goes to each address given, outside the ledger:
the frozen issue once approved, else the month rendered now. A test send
never makes, changes or freezes an issue. Copies go through the outbox:
one the SMTP server does not take within --wait stays queued, and enews
serve sends it when the server answers again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withIssues(cmd, period, func(ctx context.Context, st *store.Store, svc *issues.Service, p newsletter.Period) error {
				if to != "" {
					return a.sendTest(ctx, st, svc, p, to, wait)
				}
				return a.sendIssue(ctx, st, svc, p, yes, force)
			})
		},
	}
	periodFlag(cmd, &period)
	cmd.Flags().DurationVar(&wait, "wait", 20*time.Second, "with --to: how long to try before leaving a copy queued for enews serve to send")
	cmd.Flags().StringVar(&to, "to", "", "send one test copy to each of these comma-separated addresses only (not recorded in the ledger)")
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&force, "force", false, "make the issue even for a month that has not ended, or a quiet month; send even when the compliance receipt fails (recorded)")
	return cmd
}

// testAddresses splits --to into addresses, refusing anything that is not
// one (a header injection included).
func testAddresses(to string) ([]string, error) {
	var out []string
	for _, addr := range strings.Split(to, ",") {
		addr = strings.TrimSpace(addr)
		if addr == "" {
			continue
		}
		if strings.ContainsAny(addr, "\r\n<>\" ") || strings.Count(addr, "@") != 1 || strings.HasPrefix(addr, "@") || strings.HasSuffix(addr, "@") {
			return nil, fmt.Errorf("--to %q: want an email address: %w", addr, newsletter.ErrInvalid)
		}
		out = append(out, addr)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--to: no address given: %w", newsletter.ErrInvalid)
	}
	return out, nil
}

func (a *app) sendTest(ctx context.Context, st *store.Store, svc *issues.Service, p newsletter.Period, to string, wait time.Duration) error {
	addrs, err := testAddresses(to)
	if err != nil {
		return err
	}
	is, err := svc.Draft(ctx, p)
	if err != nil {
		return err
	}
	l, err := a.links()
	if err != nil {
		return err
	}
	pool, err := a.pool()
	if err != nil {
		return err
	}
	defer pool.Close(context.Background())
	c, err := delivery.CompileIssue(is, l)
	if err != nil {
		return err
	}
	sender, err := a.mailSender(pool, l)
	if err != nil {
		return err
	}
	box := a.outbox(st, pool)
	for _, addr := range addrs {
		m, err := box.SendNow(ctx, newsletter.MailTestCopy, sender.TestMessage(c, addr, "[TEST]"), wait)
		if err != nil {
			return fmt.Errorf("test copy to %s: %w", addr, err)
		}
		if m.Status == newsletter.OutboxPending {
			fmt.Fprintf(a.stdout, "test copy of issue %s to %s not sent yet (%s): it stays queued, and enews serve sends it once the SMTP server takes it\n",
				p, addr, m.LastError)
			continue
		}
		fmt.Fprintf(a.stdout, "test copy of issue %s (%s) sent to %s\n", p, describeBytes(is), addr)
	}
	return nil
}

// describeBytes says which bytes a test copy or preview shows.
func describeBytes(is newsletter.Issue) string {
	if newsletter.IssueFrozen(is.Status) {
		return "the frozen " + is.Status + " issue"
	}
	return "rendered now from the month's items"
}

func (a *app) sendIssue(ctx context.Context, st *store.Store, svc *issues.Service, p newsletter.Period, yes, force bool) error {
	if is, err := st.IssueByPeriod(ctx, p); err == nil && is.Status == newsletter.IssueSent {
		fmt.Fprintf(a.stdout, "issue %s was sent on %s: nothing more to send\n", p, is.SentAt.In(a.cfg.Location()).Format("2006-01-02 15:04"))
		return nil
	}
	if !yes && isTerminal(a.stdin) {
		fmt.Fprintf(a.stdout, "Send the %s issue to every active subscriber? [y/N] ", p)
		line, _ := bufio.NewReader(a.stdin).ReadString('\n')
		if ans := strings.ToLower(strings.TrimSpace(line)); ans != "y" && ans != "yes" {
			return fmt.Errorf("not sent: not confirmed")
		}
	}
	if _, _, err := svc.Create(ctx, p, issues.CreateOptions{Actor: a.actor(), Force: force}); err != nil {
		return err
	}
	if err := a.gateSend(ctx, st, svc, p, force); err != nil {
		return err
	}
	res, err := svc.Send(ctx, p, issues.CreateOptions{Actor: a.actor(), Force: force})
	if err != nil {
		return err
	}
	is := res.Issue
	if res.Deliveries > 0 {
		fmt.Fprintf(a.stdout, "issue %s: %d deliveries queued\n", p, res.Deliveries)
	}
	if is.Status == newsletter.IssueSent {
		fmt.Fprintf(a.stdout, "issue %s is sent\n", p)
		return nil
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
	// After a database restart the pool may still hold connections the
	// server ended: the send is done, so is its report.
	var stats newsletter.DeliveryStats
	serr := delivery.WhileUnavailable(ctx, a.cfg.Sending.Lease, func() (err error) {
		stats, err = st.Stats(context.WithoutCancel(ctx), is.ID)
		return err
	})
	if serr != nil {
		return serr
	}
	fmt.Fprintf(a.stdout, "issue %s: this run sent %d, retried %d, failed %d, skipped %d; ledger: %s\n",
		is.Period, sum.Sent, sum.Retried, sum.Failed, sum.Skipped, formatCounts(stats))
	switch {
	case sum.Done:
		fmt.Fprintf(a.stdout, "issue %s is %s\n", is.Period, newsletter.IssueLabel(newsletter.IssueSent, stats.ByStatus[newsletter.DeliveryFailed]))
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

// progressLine is a send's progress: the bar, how many of the ledger's
// deliveries are done (sent, failed or skipped) and the recent rate.
func progressLine(s newsletter.DeliveryStats) string {
	total := s.Total()
	finished := s.ByStatus[newsletter.DeliverySent] + s.ByStatus[newsletter.DeliveryFailed] + s.ByStatus[newsletter.DeliverySkipped]
	if total == 0 {
		return "no deliveries in the ledger"
	}
	return fmt.Sprintf("%s  %d of %d done  %.0f/min", bar(14, finished, total), finished, total, s.PerMinute())
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func formatCounts(s newsletter.DeliveryStats) string {
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
