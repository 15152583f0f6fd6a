package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/enews/enews/internal/bounce"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// printBounces shows an issue's bounce and complaint rates, the thresholds
// that pause a send, and why the policy paused it, if it did.
func (a *app) printBounces(ctx context.Context, w io.Writer, st *store.Store, is newsletter.Issue, history []newsletter.IssueTransitionRecord) error {
	r, err := st.IssueBounceRates(ctx, is.ID)
	if err != nil {
		return err
	}
	hard, complaint, _ := a.cfg.Bounces.PauseThresholds()
	fmt.Fprintf(w, "bounces: hard %d (%.2f%%, pauses above %g%%), soft %d, complaints %d (%.3f%%, pauses above %g%%) of %d sent\n",
		r.Hard+r.Failed, 100*r.HardRate(), 100*hard, r.Soft, r.Complaints, 100*r.ComplaintRate(), 100*complaint, r.Attempted())
	if why := bounce.PauseReason(history); why != "" && is.Status == newsletter.IssuePaused {
		fmt.Fprintf(w, "paused by the bounce policy: %s (enews issue resume --period %s goes on)\n", why, is.Period)
	}
	return nil
}
