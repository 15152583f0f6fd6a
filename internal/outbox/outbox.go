// Package outbox sends transactional mail (subscription confirmations,
// approver notices, test copies, address-change links) through a table in
// PostgreSQL: a message is stored before anyone is told it is on its way,
// then a worker sends it, retrying with backoff while the relay is down or
// answers 4xx. Nothing is fire-and-forget: a stopped process or an SMTP
// outage delays a message, and status pages show what waits.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
)

// Store is what the outbox needs of the database; *store.Store is the real
// one.
type Store interface {
	EnqueueMail(ctx context.Context, kind string, m newsletter.Mail) (int64, error)
	ClaimOutbox(ctx context.Context, limit int, lease time.Duration, ids []int64) ([]newsletter.OutboxMessage, error)
	OutboxSent(ctx context.Context, id int64) error
	OutboxRetry(ctx context.Context, id int64, next time.Time, reason string) error
	OutboxFailed(ctx context.Context, id int64, reason string) error
	OutboxRelease(ctx context.Context, ids []int64) error
	OutboxMessages(ctx context.Context, ids []int64) ([]newsletter.OutboxMessage, error)
}

// Sender sends one message; *mailer.Pool is the real one.
type Sender interface {
	Send(ctx context.Context, m *mailer.Message) error
}

// Options tune the outbox; zero values take the defaults.
type Options struct {
	Interval    time.Duration // how often the worker looks for due mail (1 s)
	Lease       time.Duration // how long a claimed message is held (5 min)
	Batch       int           // messages claimed at once (20)
	RetryBase   time.Duration // first retry after about this (15 s), doubling
	RetryMax    time.Duration // longest wait between attempts (30 min)
	GiveUpAfter time.Duration // a message still unsent this long after it was queued fails (48 h)
	// MessageIDDomain, when set, gives each message without one a stable
	// Message-ID, so a copy resent after a crash is recognisable.
	MessageIDDomain string
}

func (o Options) withDefaults() Options {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 5 * time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 20
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 15 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 30 * time.Minute
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = 48 * time.Hour
	}
	return o
}

// Outbox queues and sends transactional mail.
type Outbox struct {
	st   Store
	send Sender
	opts Options
	log  *slog.Logger
	wake chan struct{}
	now  func() time.Time
}

// New builds an outbox over st that sends through send.
func New(st Store, send Sender, opts Options, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{st: st, send: send, opts: opts.withDefaults(), log: log, wake: make(chan struct{}, 1), now: time.Now}
}

// Enqueue stores m to be sent, and wakes this process's worker. Once it
// returns, the message is the outbox's to deliver.
func (o *Outbox) Enqueue(ctx context.Context, kind string, m *mailer.Message) (int64, error) {
	id, err := o.st.EnqueueMail(ctx, kind, newsletter.Mail{
		To: m.To, ToName: m.ToName, Subject: m.Subject, Text: m.Text, HTML: m.HTML, MessageID: m.MessageID,
		UnsubscribeURL: m.UnsubscribeURL, UnsubscribeMailto: m.UnsubscribeMailto, ListID: m.ListID, ListName: m.ListName,
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: enqueue %s: %w", kind, err)
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return id, nil
}

// Run sends due mail until ctx is done: every Interval, and at once after
// an Enqueue in this process.
func (o *Outbox) Run(ctx context.Context) error {
	t := time.NewTicker(o.opts.Interval)
	defer t.Stop()
	for {
		for {
			n, err := o.sendDue(ctx, nil)
			if err != nil && ctx.Err() == nil {
				o.log.Error("outbox: sending failed", "err", err)
			}
			if err != nil || n < o.opts.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-o.wake:
		}
	}
}

// Drain sends the given messages now, retrying with the usual backoff until
// each is sent or failed, or ctx is done; it returns their states then. A
// command that queued mail calls it so the mail goes out before it exits,
// and says what is still waiting (for `enews serve` to retry).
func (o *Outbox) Drain(ctx context.Context, ids []int64) ([]newsletter.OutboxMessage, error) {
	for {
		if _, err := o.sendDue(ctx, ids); err != nil && ctx.Err() == nil {
			return nil, err
		}
		msgs, err := o.st.OutboxMessages(context.WithoutCancel(ctx), ids)
		if err != nil {
			return nil, fmt.Errorf("outbox: drain: %w", err)
		}
		next, waiting := time.Time{}, false
		for _, m := range msgs {
			if m.Status == newsletter.OutboxPending && (!waiting || m.NextAttemptAt.Before(next)) {
				next, waiting = m.NextAttemptAt, true
			}
		}
		if !waiting || ctx.Err() != nil {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return msgs, nil
		case <-time.After(max(time.Until(next), 100*time.Millisecond)):
		}
	}
}

// sendDue claims due messages (only ids, when given) and sends each,
// recording the outcome. It reports how many it claimed.
func (o *Outbox) sendDue(ctx context.Context, ids []int64) (int, error) {
	msgs, err := o.st.ClaimOutbox(ctx, o.opts.Batch, o.opts.Lease, ids)
	if err != nil {
		return 0, fmt.Errorf("outbox: claim: %w", err)
	}
	for i, m := range msgs {
		if ctx.Err() != nil {
			// Stopping: what was claimed and not tried goes back at once.
			rest := make([]int64, 0, len(msgs)-i)
			for _, r := range msgs[i:] {
				rest = append(rest, r.ID)
			}
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			return len(msgs), o.st.OutboxRelease(wctx, rest)
		}
		if err := o.sendOne(ctx, m); err != nil {
			return len(msgs), err
		}
	}
	return len(msgs), nil
}

func (o *Outbox) sendOne(ctx context.Context, m newsletter.OutboxMessage) error {
	msg := &mailer.Message{
		To: m.Mail.To, ToName: m.Mail.ToName, Subject: m.Mail.Subject, Text: m.Mail.Text, HTML: m.Mail.HTML,
		MessageID: m.Mail.MessageID, UnsubscribeURL: m.Mail.UnsubscribeURL, UnsubscribeMailto: m.Mail.UnsubscribeMailto,
		ListID: m.Mail.ListID, ListName: m.Mail.ListName,
	}
	if msg.MessageID == "" && o.opts.MessageIDDomain != "" {
		msg.MessageID = fmt.Sprintf("<enews.outbox.%d@%s>", m.ID, o.opts.MessageIDDomain)
	}
	// A message under way is finished even when ctx ends (shutdown): cut
	// off after the relay took it, it would be sent again.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opts.Lease)
	err := o.send.Send(sctx, msg)
	cancel()
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer wcancel()
	log := o.log.With("outbox_id", m.ID, "kind", m.Kind, "attempt", m.Attempts)
	if err == nil {
		log.Info("outbox: sent")
		return o.st.OutboxSent(wctx, m.ID)
	}
	temporary, reason := classify(err)
	switch {
	case !temporary:
		log.Error("outbox: refused for good", "err", reason)
		return o.st.OutboxFailed(wctx, m.ID, reason)
	case o.now().Sub(m.CreatedAt) >= o.opts.GiveUpAfter:
		log.Error("outbox: given up", "err", reason, "queued_at", m.CreatedAt)
		return o.st.OutboxFailed(wctx, m.ID, "given up after "+o.opts.GiveUpAfter.String()+": "+reason)
	default:
		wait := mailer.Backoff(o.opts.RetryBase, o.opts.RetryMax, m.Attempts)
		log.Warn("outbox: will retry", "err", reason, "in", wait)
		return o.st.OutboxRetry(wctx, m.ID, o.now().Add(wait), reason)
	}
}

// classify tells a failure worth retrying (4xx, network, a closed pool)
// from one that will fail again (5xx, an invalid message).
func classify(err error) (temporary bool, reason string) {
	var se *mailer.SendError
	if errors.As(err, &se) {
		reason = se.Reply
		if reason == "" {
			reason = se.Error()
		}
		return se.Temporary, reason
	}
	return !errors.Is(err, newsletter.ErrInvalid), err.Error()
}

// ErrRefused is returned by SendNow when the relay refused the message for
// good.
var ErrRefused = errors.New("outbox: message refused")

// SendNow queues m and tries to send it within wait. A message the relay
// refused for good is ErrRefused with the reply; one still waiting (relay
// down, 4xx) comes back with status pending and no error: it stays queued
// and `enews serve` sends it when the relay answers.
func (o *Outbox) SendNow(ctx context.Context, kind string, m *mailer.Message, wait time.Duration) (newsletter.OutboxMessage, error) {
	id, err := o.Enqueue(ctx, kind, m)
	if err != nil {
		return newsletter.OutboxMessage{}, err
	}
	dctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	msgs, err := o.Drain(dctx, []int64{id})
	if err != nil {
		return newsletter.OutboxMessage{}, err
	}
	if len(msgs) != 1 {
		return newsletter.OutboxMessage{}, fmt.Errorf("outbox: message %d: %w", id, newsletter.ErrNotFound)
	}
	if msgs[0].Status == newsletter.OutboxFailed {
		return msgs[0], fmt.Errorf("%w: %s", ErrRefused, msgs[0].LastError)
	}
	return msgs[0], nil
}
