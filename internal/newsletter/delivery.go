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
	ByStatus     map[string]int64
	InDoubt      int64
	SentLastMin  int64
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

// Total counts every delivery in the ledger.
func (d DeliveryStats) Total() int64 {
	var n int64
	for _, c := range d.ByStatus {
		n += c
	}
	return n
}
