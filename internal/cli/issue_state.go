package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
)

// stateLabel is an issue's status as people read it: an issue that is sent
// but failed some deliveries is never shown as plainly sent.
func stateLabel(status string, failed int64) string {
	if status == newsletter.IssueSent && failed > 0 {
		return "sent, " + thousands(failed) + " failed"
	}
	return status
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

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
