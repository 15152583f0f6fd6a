package delivery

import (
	"sync"
	"time"
)

// breaker stops every sender of an engine while the SMTP server is out:
// refused or failed connections, 421 "closing", or a run of temporary
// failures with no success between them (every recipient refused alike
// means the server, not the recipients). While it is open one sender at a
// time probes with its real message, at growing intervals; the first
// success closes it. A message stopped by an outage keeps its attempt.
type breaker struct {
	base, max time.Duration
	streakMax int

	mu      sync.Mutex
	since   time.Time // zero: closed
	reason  string
	wait    time.Duration
	next    time.Time // when the next probe may go
	probing bool
	streak  int
	changed chan struct{} // closed and replaced when the breaker closes
}

func newBreaker(base, maxWait time.Duration, connections int) *breaker {
	return &breaker{base: base, max: maxWait, streakMax: max(2*connections, 4), changed: make(chan struct{})}
}

// acquire says whether a message may be sent now. When not, it returns how
// long to wait at most and a channel closed if the breaker closes first.
// probe is true when the caller is the one sender allowed through an open
// breaker: it must report back with success or outage.
func (b *breaker) acquire(now time.Time) (ok, probe bool, wait time.Duration, changed <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.since.IsZero() {
		return true, false, 0, nil
	}
	if !b.probing && !now.Before(b.next) {
		b.probing = true
		return true, true, 0, nil
	}
	wait = b.next.Sub(now)
	if b.probing || wait <= 0 {
		wait = b.base
	}
	return false, false, wait, b.changed
}

// success closes the breaker.
func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.streak = 0
	b.probing = false
	if !b.since.IsZero() {
		b.since, b.reason, b.wait = time.Time{}, "", 0
		close(b.changed)
		b.changed = make(chan struct{})
	}
}

// outage opens the breaker, or keeps it open with a longer wait after a
// failed probe. It reports whether the breaker was closed until now.
func (b *breaker) outage(now time.Time, reason string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	was := b.since.IsZero()
	b.open(now, reason)
	return was
}

// abandon gives the probe slot back when the probe was not sent at all.
func (b *breaker) abandon() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

// temporary counts a temporary failure of one recipient; a run of them with
// no success between opens the breaker. It reports whether it did.
func (b *breaker) temporary(now time.Time, reason string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.streak++
	if b.streak < b.streakMax && b.since.IsZero() {
		return false
	}
	b.open(now, "every recipient refused: "+reason)
	return true
}

func (b *breaker) open(now time.Time, reason string) {
	if b.since.IsZero() {
		b.since, b.wait = now, b.base
	} else if b.probing || !now.Before(b.next) {
		b.wait = min(2*b.wait, b.max)
	}
	b.reason = reason
	b.probing = false
	b.next = now.Add(b.wait)
}

// state says since when the server has been out and why; zero: it is not.
func (b *breaker) state() (time.Time, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.since, b.reason
}

func (e *Engine) breakerState() (time.Time, string) { return e.breaker.state() }
