package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
)

// printSMTPWaiting says when the live senders of a sending issue are held
// up by their SMTP server.
func (a *app) printSMTPWaiting(ctx context.Context, w io.Writer, st *store.Store, is newsletter.Issue) error {
	if is.Status != newsletter.IssueSending {
		return nil
	}
	dead := a.cfg.Sending.DeadAfter
	since, reason, ok, err := st.SMTPWaiting(ctx, is.ID, dead)
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintf(w, "waiting for the SMTP server since %s (%s ago): %s\n",
			since.In(a.cfg.Location()).Format("2006-01-02 15:04:05 MST"), time.Since(since).Round(time.Second), plaintext.Clip(plaintext.OneLine(reason), 80))
		return nil
	}
	n, err := st.LiveSenders(ctx, is.ID, dead)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "senders at work: %d\n", n)
	return nil
}
