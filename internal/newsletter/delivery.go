package newsletter

import "time"

// Lease is one delivery a sender has claimed: it alone may send it until
// the lease runs out, when the delivery goes back to the queue in doubt.
type Lease struct {
	SubscriberID int64
	Email        string
	Name         string
	Status       string // the subscriber's status now
	Attempts     int    // this attempt included
}

// Outcome is the result of one delivery attempt.
type Outcome struct {
	SubscriberID int64
	Status       string // sent, failed, retry, skipped, or queued to hand back unsent
	Reply        string
	MessageID    string
	NextAttempt  time.Time // for retry
	HardBounce   bool
	// InDoubt: the message was sent in full but its final reply never
	// came; the server may have delivered it, so a retry may duplicate it.
	InDoubt bool
}

// DeliveryStats summarises one issue's ledger.
type DeliveryStats struct {
	ByStatus    map[string]int64
	InDoubt     int64
	SentLastMin int64
	// SentWindow is how much of the last minute the sends counted in
	// SentLastMin span: from the first of them to now. A send that began
	// ten seconds ago has a ten-second window, not a minute.
	SentWindow   time.Duration
	RecentErrors []DeliveryError
}

// DeliveryError is a recent failed or retried delivery.
type DeliveryError struct {
	SubscriberID int64
	Status       string
	Attempts     int
	Reply        string
	At           time.Time
}

// PerMinute is the recent sending rate: the sends of the last minute over
// the time they actually span (at least five seconds, so the first
// message does not read as thousands a minute). 0 when nothing was sent in
// the last minute.
func (d DeliveryStats) PerMinute() float64 {
	if d.SentLastMin == 0 {
		return 0
	}
	w := min(max(d.SentWindow, 5*time.Second), time.Minute)
	return float64(d.SentLastMin) / w.Minutes()
}

// ETA is how long the deliveries left take at PerMinute; ok is false when
// there is no rate to go by.
func (d DeliveryStats) ETA() (eta time.Duration, ok bool) {
	left := d.ByStatus[DeliveryQueued] + d.ByStatus[DeliveryRetry] + d.ByStatus[DeliverySending]
	rate := d.PerMinute()
	if rate <= 0 || left == 0 {
		return 0, false
	}
	return time.Duration(float64(left) / rate * float64(time.Minute)).Round(time.Second), true
}

// Total counts every delivery in the ledger.
func (d DeliveryStats) Total() int64 {
	var n int64
	for _, c := range d.ByStatus {
		n += c
	}
	return n
}
