package newsletter

import "time"

// Kinds of transactional mail, each sent through the outbox.
const (
	MailConfirmation  = "confirmation"   // double opt-in link
	MailApprovalCheck = "approval"       // a draft issue sent to an approver
	MailTestCopy      = "test-copy"      // a test send of an issue
	MailAddressChange = "address-change" // a new address's confirmation link
)

// Outbox message statuses.
const (
	OutboxPending = "pending" // waiting for its first or next attempt
	OutboxSent    = "sent"
	OutboxFailed  = "failed" // refused for good, or given up on
)

// Mail is one composed transactional email, kept as data until it is sent.
type Mail struct {
	To                string `json:"to"`
	ToName            string `json:"to_name,omitempty"`
	Subject           string `json:"subject"`
	Text              []byte `json:"text"`
	HTML              []byte `json:"html,omitempty"`
	MessageID         string `json:"message_id,omitempty"`
	UnsubscribeURL    string `json:"unsubscribe_url,omitempty"`
	UnsubscribeMailto string `json:"unsubscribe_mailto,omitempty"`
	ListID            string `json:"list_id,omitempty"`
	ListName          string `json:"list_name,omitempty"`
}

// OutboxMessage is one row of the outbox.
type OutboxMessage struct {
	ID            int64
	Kind          string
	Mail          Mail
	Status        string
	Attempts      int // this attempt included, once claimed
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// OutboxBacklog is what status pages show of the outbox.
type OutboxBacklog struct {
	Pending       int64      `json:"pending"`
	Retrying      int64      `json:"retrying"` // pending after a failed attempt
	OldestPending *time.Time `json:"oldest_pending,omitempty"`
	FailedRecent  int64      `json:"failed_recent"` // failed in the last 7 days
	LastError     string     `json:"last_error,omitempty"`
}
