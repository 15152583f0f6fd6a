package delivery

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// Why a message is stopped before its final ".": it is handed back unsent.
var (
	errStopped   = errors.New("delivery: the issue left the sending state")
	errLeaseLost = errors.New("delivery: the lease on this delivery is no longer surely held")
)

// held is one delivery this run has claimed and not yet recorded.
type held struct {
	claimed time.Time // local time the claim began: the lease runs from no earlier
	until   time.Time // local time until which the lease surely holds
}

// leases tracks what a run holds. The database keeps the leases; this is
// the run's conservative view of them, read before every final ".", so the
// check costs no round trip.
type leases struct {
	lease, deadAfter, margin time.Duration

	mu     sync.Mutex
	held   map[int64]held
	beatOK time.Time // start of the last heartbeat that succeeded
}

func newLeases(lease, deadAfter time.Duration) *leases {
	// The margin covers the time between the check and the final "."
	// reaching the server, and clock drift between here and the database.
	margin := min(deadAfter/5, lease/5, 2*time.Second)
	return &leases{lease: lease, deadAfter: deadAfter, margin: margin, held: map[int64]held{}}
}

func (l *leases) add(batch []newsletter.Lease, claimed time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range batch {
		l.held[c.SubscriberID] = held{claimed: claimed, until: claimed.Add(l.lease)}
	}
}

func (l *leases) remove(ids []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		delete(l.held, id)
	}
}

func (l *leases) ids() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]int64, 0, len(l.held))
	for id := range l.held {
		out = append(out, id)
	}
	return out
}

// beat takes in a heartbeat that began at start and extended kept: those
// leases now run to start+lease; a lease claimed before start and not kept
// was taken over by another sender.
func (l *leases) beat(start time.Time, kept []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.beatOK = start
	ok := make(map[int64]bool, len(kept))
	for _, id := range kept {
		ok[id] = true
	}
	for id, h := range l.held {
		switch {
		case ok[id]:
			h.until = start.Add(l.lease)
		case h.claimed.Before(start):
			h.until = time.Time{}
		}
		l.held[id] = h
	}
}

// valid says whether id may be sent now: its lease surely holds, and this
// run's heartbeat is recent enough that no one can think it dead.
func (l *leases) valid(id int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.held[id]
	return ok && now.Add(l.margin).Before(h.until) && now.Add(l.margin).Before(l.beatOK.Add(l.deadAfter))
}

// keeper runs beside the senders: it polls the issue's status every
// PollInterval, so a pause or cancel is seen within it however long a batch
// takes, and it beats every beatInterval, which keeps this run alive in the
// eyes of the others and extends the leases it holds while it works.
func (r *run) keeper(ctx context.Context, done <-chan struct{}) {
	e := r.e
	poll := time.NewTicker(e.opts.PollInterval)
	defer poll.Stop()
	beat := time.NewTicker(r.beatInterval())
	defer beat.Stop()
	// Both simply try again at their next tick when the database is
	// unavailable: a stale heartbeat makes the senders hand back what they
	// hold rather than send it, and a missed poll delays a pause.
	polls := unavailableLog{log: e.log, what: "reading the issue's status"}
	beats := unavailableLog{log: e.log, what: "sender heartbeat"}
	for {
		select {
		case <-done:
			return
		case <-poll.C:
			st, err := e.ledger.IssueStatus(ctx, r.issue.ID)
			polls.result(r.issue.ID, err)
			if err != nil {
				continue
			}
			if st != newsletter.IssueSending {
				r.halt(st)
			}
		case <-beat.C:
			beats.result(r.issue.ID, r.heartbeat(ctx))
		}
	}
}

func (r *run) beatInterval() time.Duration {
	return max(min(r.e.opts.DeadAfter/5, r.e.opts.Lease/5), 10*time.Millisecond)
}

func (r *run) heartbeat(ctx context.Context) error {
	start := time.Now()
	since, reason := r.e.breakerState()
	kept, err := r.e.ledger.Heartbeat(ctx, r.owner, r.issue.ID, r.leases.ids(), r.e.opts.Lease, since, reason)
	if err != nil {
		return err
	}
	r.leases.beat(start, kept)
	return nil
}
