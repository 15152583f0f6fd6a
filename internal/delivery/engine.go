// Package delivery sends a frozen issue to everyone in its ledger: senders
// claim batches with FOR UPDATE SKIP LOCKED under a lease, personalise each
// message, send it over pooled SMTP connections and record outcomes in
// batches. Any number of engines in any number of processes may work on one
// issue at once.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enews/enews/internal/clock"
	"github.com/enews/enews/internal/newsletter"
)

// Ledger is what the engine needs of the store. A call that fails with
// newsletter.ErrUnavailable (the database restarting, a lock timeout) is
// tried again for up to a lease before the run gives up.
type Ledger interface {
	ReclaimExpired(ctx context.Context, issueID int64, self string, deadAfter time.Duration) (int64, error)
	Claim(ctx context.Context, issueID int64, owner string, n int, lease time.Duration) ([]newsletter.Lease, error)
	Record(ctx context.Context, issueID int64, owner string, outs []newsletter.Outcome, bounceThreshold int) (string, error)
	Heartbeat(ctx context.Context, owner string, issueID int64, ids []int64, lease time.Duration,
		smtpDownSince time.Time, smtpDownReason string) ([]int64, error)
	RemoveSender(ctx context.Context, owner string) error
	IssueStatus(ctx context.Context, id int64) (string, error)
	NextAttempt(ctx context.Context, issueID int64) (time.Time, bool, error)
	ReleaseLeases(ctx context.Context, owner string, keep []int64) (int64, error)
}

// Completer marks an issue sent once nothing is left to send; the issue
// lifecycle service (issues.Service) is the real one. It reports false
// while deliveries remain.
type Completer interface {
	Complete(ctx context.Context, issueID int64, p newsletter.Period, actor string) (bool, error)
}

// Sender delivers one composed message; mailer.Pool is the real one.
type Sender interface {
	// Send calls gate, when not nil, after the message's body is on the
	// wire and before the server is told to take it; if gate fails the
	// message must not be sent.
	Send(ctx context.Context, r Recipient, issue *Compiled, gate func() error) error
	// Connections is how many messages may be on their way at once
	// (sending.connections): the engine runs that many senders, so the
	// pool and the senders never disagree.
	Connections() int
}

// Verdict is what a send error means for the delivery.
type Verdict struct {
	Temporary  bool   // retry later
	HardBounce bool   // 5.1.x: counts against the subscriber
	InDoubt    bool   // sent in full, no final reply: the server may have it
	RelayDown  bool   // the server, not the recipient: refused, 421, connection lost before the final "."
	Reply      string // the SMTP reply to store
}

// Classify reads a send error.
type Classify func(err error) Verdict

// Options tune an engine.
type Options struct {
	Owner           string // unique per process, e.g. host:pid; each run adds a random suffix for its leases
	BatchSize       int
	RatePerSecond   float64
	Lease           time.Duration
	MaxAttempts     int
	RetryBase       time.Duration
	RetryMax        time.Duration
	BounceThreshold int
	PollInterval    time.Duration // how often pause/cancel is noticed and idle senders look again
	// DeadAfter: a sender whose heartbeat is older than this is dead, and
	// its deliveries come back in doubt. Senders beat five times as often.
	DeadAfter time.Duration
	// OutageProbeMax caps the wait between probes of an SMTP server that is
	// out (the first comes after a second, then twice as long each time).
	OutageProbeMax time.Duration
}

// Engine sends issues.
type Engine struct {
	ledger    Ledger
	completer Completer
	sender    Sender
	classify  Classify
	opts      Options
	log       *slog.Logger
	metrics   *Metrics
	breaker   *breaker // shared by every run: the server is down for all of them
}

// New builds an engine. metrics may be nil.
func New(ledger Ledger, completer Completer, sender Sender, classify Classify, opts Options, log *slog.Logger, metrics *Metrics) *Engine {
	if opts.PollInterval <= 0 {
		opts.PollInterval = 500 * time.Millisecond
	}
	if opts.DeadAfter <= 0 {
		opts.DeadAfter = 5 * time.Second
	}
	if opts.OutageProbeMax <= 0 {
		opts.OutageProbeMax = 30 * time.Second
	}
	return &Engine{ledger: ledger, completer: completer, sender: sender, classify: classify, opts: opts, log: log, metrics: metrics,
		breaker: newBreaker(min(time.Second, opts.OutageProbeMax), opts.OutageProbeMax, sender.Connections())}
}

// Summary counts what one Run did.
type Summary struct {
	Sent, Failed, Retried, Skipped, HandedBack int64
	Done                                       bool // the issue is fully sent
	Stopped                                    string
}

// Run sends issue until nothing is left to send (Done), the issue leaves the
// sending state (paused or cancelled: Stopped says which), or ctx ends. On
// ctx's end in-flight messages finish, their outcomes are recorded and every
// unsent lease is handed back: a SIGTERM makes no duplicates.
func (e *Engine) Run(ctx context.Context, issue newsletter.Issue, c *Compiled, waitRetries bool) (Summary, error) {
	r := &run{e: e, owner: e.opts.Owner + ":" + randomID(), issue: issue, compiled: c, jobs: make(chan newsletter.Lease, e.sender.Connections()),
		outcomes: make(chan pending, e.sender.Connections()*2), stop: make(chan struct{}),
		leases: newLeases(e.opts.Lease, e.opts.DeadAfter)}
	recordCtx := context.WithoutCancel(ctx)
	// Alive before the first claim, so no one takes this run's rows for a
	// dead sender's; gone at the end, whatever happened.
	if err := e.retryDB(ctx, "register sender", issue.ID, func() error { return r.heartbeat(recordCtx) }); err != nil {
		return Summary{}, fmt.Errorf("delivery: register sender: %w", err)
	}
	defer func() {
		// A row left behind only makes this sender look dead after
		// dead_after, which it then is.
		if err := e.retryDB(recordCtx, "remove sender", issue.ID, func() error { return e.ledger.RemoveSender(recordCtx, r.owner) }); err != nil {
			e.log.Warn("removing the sender's heartbeat failed", "issue", issue.ID, "err", err)
		}
	}()
	keeperDone := make(chan struct{})
	var keeperWG sync.WaitGroup
	keeperWG.Add(1)
	go func() { defer keeperWG.Done(); r.keeper(recordCtx, keeperDone) }()
	var recWG, sendWG sync.WaitGroup
	recWG.Add(1)
	go func() { defer recWG.Done(); r.recorder(recordCtx) }()
	for i := 0; i < e.sender.Connections(); i++ {
		sendWG.Add(1)
		go func() { defer sendWG.Done(); r.sender(ctx) }()
	}
	err := r.claimer(ctx, waitRetries)
	close(r.jobs)
	sendWG.Wait()
	close(r.outcomes)
	recWG.Wait()
	close(keeperDone)
	keeperWG.Wait()
	if err == nil {
		err = r.recordErr
	}
	// Every sender has stopped, so a lease still held by this run belongs to
	// no message in flight: hand it back rather than wait for it to expire.
	// Not after a failed recording, though: those rows may have been sent,
	// and letting their leases expire marks them in doubt, which is the truth.
	if !r.recordFailed.Load() {
		var n int64
		rerr := e.retryDB(recordCtx, "release leases", issue.ID, func() (err error) {
			n, err = e.ledger.ReleaseLeases(recordCtx, r.owner, nil)
			return err
		})
		if rerr != nil && err == nil {
			err = rerr
		} else if n > 0 {
			e.log.Warn("released leases left by a stopped run", "issue", issue.ID, "count", n)
		}
	}
	s := r.summary()
	if err != nil {
		return s, err
	}
	var done bool
	cerr := e.retryDB(recordCtx, "complete issue", issue.ID, func() (err error) {
		done, err = e.completer.Complete(recordCtx, issue.ID, issue.Period, "sender:"+e.opts.Owner)
		return err
	})
	s.Done = done
	return s, cerr
}

type pending struct {
	out  newsletter.Outcome
	done chan struct{} // closed once the outcome is committed; nil: nobody waits
}

type run struct {
	e                                          *Engine
	owner                                      string // this run's lease owner: unique, so leases left at the end are surely ours
	issue                                      newsletter.Issue
	compiled                                   *Compiled
	jobs                                       chan newsletter.Lease
	outcomes                                   chan pending
	stop                                       chan struct{} // closed when the issue is paused or cancelled
	stopOnce                                   sync.Once
	stopWhy                                    atomic.Value
	sent, failed, retried, skipped, handedBack atomic.Int64
	recordErr                                  error       // set by the recorder; read after it ends
	recordFailed                               atomic.Bool // recordErr is set: nothing more may be sent
	leases                                     *leases
	sendNanos                                  atomic.Int64 // moving average of one message's send time
}

func (r *run) halt(why string) {
	r.stopOnce.Do(func() { r.stopWhy.Store(why); close(r.stop) })
}

func (r *run) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

func (r *run) summary() Summary {
	s := Summary{Sent: r.sent.Load(), Failed: r.failed.Load(), Retried: r.retried.Load(),
		Skipped: r.skipped.Load(), HandedBack: r.handedBack.Load()}
	if why, ok := r.stopWhy.Load().(string); ok {
		s.Stopped = why
	}
	return s
}

// claimer leases batches and feeds the senders, and takes back the rows of
// expired leases and dead senders. The keeper watches the issue's status.
func (r *run) claimer(ctx context.Context, waitRetries bool) error {
	e := r.e
	lastCheck := time.Time{}
	for {
		if ctx.Err() != nil || r.stopped() {
			return nil
		}
		if time.Since(lastCheck) >= e.opts.PollInterval {
			lastCheck = time.Now()
			err := e.retryDB(ctx, "reclaim leases", r.issue.ID, func() error {
				_, err := e.ledger.ReclaimExpired(ctx, r.issue.ID, r.owner, e.opts.DeadAfter)
				return err
			})
			if err != nil {
				return ignoreCancel(ctx, err)
			}
		}
		batch, claimed, err := r.claim(ctx)
		if err != nil {
			return ignoreCancel(ctx, err)
		}
		r.leases.add(batch, claimed)
		if len(batch) == 0 {
			wait, more, err := r.idleWait(ctx, waitRetries)
			if err != nil || !more {
				return ignoreCancel(ctx, err)
			}
			wctx, cancel := r.untilStop(ctx)
			slept := clock.Sleep(wctx, wait)
			cancel()
			if !slept {
				return nil
			}
			continue
		}
		for i, c := range batch {
			select {
			case r.jobs <- c:
			case <-ctx.Done():
				r.handBack(batch[i:])
				return nil
			case <-r.stop:
				r.handBack(batch[i:])
				return nil
			}
		}
	}
}

// claim leases the next batch. The claim itself is not cancelled: a cancel
// racing the commit would leave leased rows this run does not know of. A
// claim whose answer was lost (the connection broke, the commit may have
// happened) is followed by handing back every row leased to this run that
// it does not know of, before the claim is tried again.
func (r *run) claim(ctx context.Context) (batch []newsletter.Lease, claimed time.Time, err error) {
	e := r.e
	lost := false
	err = e.retryDB(ctx, "claim deliveries", r.issue.ID, func() error {
		claimCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if lost {
			if _, err := e.ledger.ReleaseLeases(claimCtx, r.owner, r.leases.ids()); err != nil {
				return err
			}
		}
		claimed = time.Now()
		batch, err = e.ledger.Claim(claimCtx, r.issue.ID, r.owner, r.claimSize(), e.opts.Lease)
		lost = err != nil
		return err
	})
	return batch, claimed, err
}

// idleWait decides what to do when nothing is claimable now: wait for a retry
// that falls due, or for another process's lease to end, or stop.
func (r *run) idleWait(ctx context.Context, waitRetries bool) (time.Duration, bool, error) {
	var next time.Time
	var ok bool
	err := r.e.retryDB(ctx, "next attempt", r.issue.ID, func() (err error) {
		next, ok, err = r.e.ledger.NextAttempt(ctx, r.issue.ID)
		return err
	})
	if err != nil || !ok {
		return 0, false, err // nothing queued, retrying or leased: done
	}
	if !waitRetries {
		return 0, false, nil
	}
	wait := time.Until(next)
	if wait < 0 || wait > r.e.opts.PollInterval {
		wait = r.e.opts.PollInterval
	}
	return wait, true, nil
}

// claimSize is the batch size, cut to what the connections can send within
// half a lease at the rate limit and at the send time seen so far: a batch
// that would sit leased past its lease is not claimed whole.
func (r *run) claimSize() int {
	o := r.e.opts
	n := o.BatchSize
	if rate := o.RatePerSecond; rate > 0 {
		n = min(n, max(int(rate*o.Lease.Seconds()/2), 1))
	}
	if per := time.Duration(r.sendNanos.Load()); per > 0 {
		n = min(n, max(int(int64(r.e.sender.Connections())*int64(o.Lease/2)/int64(per)), 1))
	}
	return n
}

// observeSend folds one message's send time into the moving average.
func (r *run) observeSend(d time.Duration) {
	for {
		old := r.sendNanos.Load()
		next := int64(d)
		if old > 0 {
			next = old - old/8 + int64(d)/8
		}
		if r.sendNanos.CompareAndSwap(old, next) {
			return
		}
	}
}

func (r *run) handBack(cs []newsletter.Lease) {
	for _, c := range cs {
		r.handedBack.Add(1)
		r.outcomes <- pending{out: newsletter.Outcome{SubscriberID: c.SubscriberID, Status: newsletter.DeliveryQueued}}
	}
}

func ignoreCancel(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	return nil
}

// untilStop is ctx, ended also when the run stops, for the idle waits.
func (r *run) untilStop(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func randomID() string {
	return strconv.FormatUint(rand.Uint64(), 36)
}
