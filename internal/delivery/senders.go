package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
)

// Recipient is one claimed delivery as the sender sees it.
type Recipient struct {
	IssueID      int64
	SubscriberID int64
	Email        string
	Name         string
}

// sender sends claimed deliveries one at a time on its own connection. A
// message is committed to the server (the final "." of DATA) only once the
// previous message's outcome is stored: at any instant at most one message
// per connection has been taken by the server without a record, which bounds
// duplicates after a kill -9 by Connections. The wait overlaps with the next
// message's envelope and body, so it costs little.
func (r *run) sender(ctx context.Context) {
	var prev chan struct{} // closed once the previous outcome is stored
	for c := range r.jobs {
		if ctx.Err() != nil || r.stopped() {
			r.handBack([]newsletter.Lease{c})
			continue
		}
		if c.Status != newsletter.SubscriberActive {
			// Unsubscribed (or bounced) since fan-out: never mailed.
			r.skipped.Add(1)
			r.outcomes <- pending{out: newsletter.Outcome{SubscriberID: c.SubscriberID, Status: newsletter.DeliverySkipped,
				Reply: "subscriber is " + c.Status}}
			continue
		}
		// The last look before the final ".": the previous outcome is
		// stored (and with it the issue's status read after it), the issue
		// is still sending, and this delivery's lease surely still holds.
		wait := prev
		gate := func() error {
			if wait != nil {
				<-wait
			}
			switch {
			case r.recordFailed.Load():
				return errRecordFailed
			case r.stopped():
				return errStopped
			case !r.leases.valid(c.SubscriberID, time.Now()):
				return errLeaseLost
			}
			return nil
		}
		rcpt := Recipient{IssueID: r.issue.ID, SubscriberID: c.SubscriberID, Email: c.Email, Name: c.Name}
		out, sent := r.send(ctx, c, rcpt, gate)
		if !sent {
			r.handBack([]newsletter.Lease{c})
			continue
		}
		done := make(chan struct{})
		r.outcomes <- pending{out: out, done: done}
		prev = done
	}
}

// send delivers one message, waiting out an SMTP outage first: while the
// breaker is open the message keeps its lease and its attempt, and goes
// again once a probe gets through. sent is false when the message was
// stopped before its final "." and must be handed back.
func (r *run) send(ctx context.Context, c newsletter.Lease, rcpt Recipient, gate func() error) (out newsletter.Outcome, sent bool) {
	e := r.e
	for {
		ok, probe, wait, changed := e.breaker.acquire(time.Now())
		if !ok {
			if !r.waitOutage(ctx, wait, changed) {
				return out, false
			}
			continue
		}
		// The send itself is not cut short by a stop signal: a message
		// half-written to the server is the one thing that would make the
		// outcome unknowable. Its length is bounded by the mailer's stage
		// timeouts (RFC 5321 4.5.3.2), never by a fixed cut here.
		start := time.Now()
		err := e.sender.Send(context.WithoutCancel(ctx), rcpt, r.compiled, gate)
		if errors.Is(err, errRecordFailed) || errors.Is(err, errStopped) || errors.Is(err, errLeaseLost) {
			if probe {
				e.breaker.abandon()
			}
			return out, false
		}
		var v Verdict
		switch {
		case err == nil:
			e.breaker.success()
		default:
			v = e.classify(err)
			switch {
			case v.RelayDown:
				if e.breaker.outage(time.Now(), v.Reply) {
					e.log.Warn("SMTP server unavailable: all sending waits for it", "issue", r.issue.ID, "reply", v.Reply)
				}
				continue // same message, same attempt, once the breaker lets it
			case v.InDoubt:
				e.breaker.outage(time.Now(), v.Reply)
			case v.Temporary:
				if e.breaker.temporary(time.Now(), v.Reply) {
					// Every recipient alike: the server's trouble, not this
					// one's; it keeps its attempt.
					continue
				}
			default:
				e.breaker.success() // the server answered
			}
		}
		r.observeSend(time.Since(start))
		out = r.outcome(c, err, v)
		e.metrics.observe(out.Status, time.Since(start))
		return out, true
	}
}

// waitOutage sleeps while the breaker is open; false: the run is stopping.
func (r *run) waitOutage(ctx context.Context, wait time.Duration, closed <-chan struct{}) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-closed:
	case <-ctx.Done():
		return false
	case <-r.stop:
		return false
	}
	return ctx.Err() == nil && !r.stopped()
}

// errRecordFailed stops a message before the server takes it, once an
// outcome could not be stored.
var errRecordFailed = errors.New("delivery: recording outcomes failed; not sending more")

func (r *run) outcome(c newsletter.Lease, err error, v Verdict) newsletter.Outcome {
	e := r.e
	out := newsletter.Outcome{SubscriberID: c.SubscriberID}
	if err == nil {
		r.sent.Add(1)
		out.Status = newsletter.DeliverySent
		out.Reply = "250 accepted"
		return out
	}
	out.Reply = v.Reply
	out.InDoubt = v.InDoubt
	switch {
	case v.InDoubt && c.Attempts < e.opts.MaxAttempts:
		// Never a plain retry: the ledger says this one may arrive twice.
		r.retried.Add(1)
		out.Status = newsletter.DeliveryRetry
		out.NextAttempt = time.Now().Add(mailer.Backoff(e.opts.RetryBase, e.opts.RetryMax, c.Attempts))
	case v.Temporary && c.Attempts < e.opts.MaxAttempts:
		r.retried.Add(1)
		out.Status = newsletter.DeliveryRetry
		out.NextAttempt = time.Now().Add(mailer.Backoff(e.opts.RetryBase, e.opts.RetryMax, c.Attempts))
	default:
		r.failed.Add(1)
		out.Status = newsletter.DeliveryFailed
		out.HardBounce = v.HardBounce
	}
	e.log.Warn("delivery attempt failed", "issue", r.issue.ID, "subscriber", c.SubscriberID,
		"attempt", c.Attempts, "outcome", out.Status, "in_doubt", v.InDoubt, "reply", v.Reply)
	return out
}

// recorder commits outcomes in batches: everything that arrived while the
// previous commit ran goes into the next one, so the batch grows with load
// and a quiet sender still sees its outcome committed at once.
func (r *run) recorder(ctx context.Context) {
	e := r.e
	var batch []pending
	for p := range r.outcomes {
		batch = append(batch[:0], p)
	more:
		for len(batch) < 1000 {
			select {
			case q, ok := <-r.outcomes:
				if !ok {
					break more
				}
				batch = append(batch, q)
			default:
				break more
			}
		}
		outs := make([]newsletter.Outcome, len(batch))
		for i, b := range batch {
			outs[i] = b.out
		}
		// Idempotent (guarded by this run's lease), so a database that is
		// unavailable for less than a lease costs a wait, not the run.
		var status string
		err := e.retryDB(ctx, "record outcomes", r.issue.ID, func() (err error) {
			status, err = e.ledger.Record(ctx, r.issue.ID, r.owner, outs, e.opts.BounceThreshold)
			return err
		})
		if err == nil {
			if status != newsletter.IssueSending {
				// Before any sender waiting on this commit sends again.
				r.halt(status)
			}
			ids := make([]int64, len(outs))
			for i, o := range outs {
				ids[i] = o.SubscriberID
			}
			r.leases.remove(ids)
		}
		if err != nil && r.recordErr == nil {
			// The leases run out and another sender retries these rows, in
			// doubt: nothing is lost, but this run stops claiming.
			r.recordErr = err
			r.recordFailed.Store(true)
			e.log.Error("recording delivery outcomes failed", "issue", r.issue.ID, "count", len(outs), "err", err)
			r.halt("error")
		}
		for _, b := range batch {
			if b.done != nil {
				close(b.done)
			}
		}
	}
}
