package mailer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// Stages of a send, for SendError.Stage.
const (
	StageBuild   = "build"   // the message was invalid; nothing was sent
	StageWait    = "wait"    // waiting for the rate limiter or a connection
	StageConnect = "connect" // dial, greeting, EHLO, STARTTLS or AUTH
	StageMail    = "mail"
	StageRcpt    = "rcpt"
	StageData    = "data"
	StageGate    = "gate" // Message.BeforeCommit refused: the message was not sent
)

// ErrClosed is wrapped by the SendError of a Send on a closed pool.
var ErrClosed = errors.New("mailer: pool closed")

// SendError is the only error type Send returns. Temporary tells delivery to
// retry later; otherwise the failure is final for this recipient.
type SendError struct {
	Code      int    // SMTP reply code, 0 when no reply was read
	Enhanced  string // RFC 3463 status such as "5.1.1", "" when the server gave none
	Reply     string // server reply (or network error) without recipient addresses
	Temporary bool
	Stage     string
	Err       error
	// committed: the final "." was written, so the server may have taken
	// the message whatever happened next.
	committed bool
}

// InDoubt reports a message sent in full whose final reply never came (a
// timeout or a dropped connection after the final "."): the server may have
// delivered it. Sending it again risks a duplicate; the caller must record
// that, not treat it as a plain temporary failure.
func (e *SendError) InDoubt() bool { return e.committed && e.Code == 0 }

func (e *SendError) Error() string {
	what := e.Reply
	if what == "" && e.Err != nil {
		what = e.Err.Error()
	}
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("mailer: send (%s, %s): %s", e.Stage, kind, what)
}

func (e *SendError) Unwrap() error { return e.Err }

// IsHardBounce reports a permanent failure that blames the recipient's
// address (5.1.x at RCPT or after DATA), so the subscriber can be marked
// bounced. 5.1.7 and 5.1.8 blame our sender address instead, and a failure
// at MAIL FROM is about us too.
func (e *SendError) IsHardBounce() bool {
	if e.Temporary || e.Stage == StageMail || e.Stage == StageConnect {
		return false
	}
	if !strings.HasPrefix(e.Enhanced, "5.1.") {
		return false
	}
	return e.Enhanced != "5.1.7" && e.Enhanced != "5.1.8"
}

// closesConn reports a failure after which the connection cannot be trusted:
// no reply was read (network error, timeout) or the server said 421, which
// means it is closing the channel.
func (e *SendError) closesConn() bool { return e.Code == 0 || e.Code == 421 }

// unquoteReply turns textproto's `550 "5.1.1 text"` back into the reply as
// the server sent it, and keeps only that first error of go-mail's list.
func unquoteReply(s string) string {
	if len(s) < 5 || s[3] != ' ' || s[4] != '"' || !digits(s[:3]) {
		return s
	}
	q, err := strconv.QuotedPrefix(s[4:])
	if err != nil {
		return s
	}
	msg, err := strconv.Unquote(q)
	if err != nil {
		return s
	}
	return s[:4] + msg
}

// connectError classifies a failed dial, greeting, STARTTLS or AUTH. They are
// always temporary: the server or our settings are at fault, not the
// recipient, so no subscriber may be failed for them.
func connectError(err error) *SendError {
	se := &SendError{Temporary: true, Stage: StageConnect, Reply: err.Error(), Err: err}
	var te *textproto.Error
	if errors.As(err, &te) {
		se.Code = te.Code
		se.Enhanced = findEnhanced(te.Msg)
		se.Reply = strconv.Itoa(te.Code) + " " + te.Msg
	}
	return se
}

// findEnhanced returns the first word shaped like an RFC 3463 status
// (class.subject.detail, class 2, 4 or 5), or "".
func findEnhanced(s string) string {
	for _, w := range strings.Fields(s) {
		parts := strings.Split(strings.TrimRight(w, ".,;:"), ".")
		if len(parts) == 3 && len(parts[0]) == 1 && strings.Contains("245", parts[0]) &&
			digits(parts[1]) && digits(parts[2]) {
			return strings.Join(parts, ".")
		}
	}
	return ""
}

func digits(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Backoff is how long to wait before retrying a send that failed for the
// attempt-th time: base·2^(attempt-1), capped at maxWait, then a random
// 50–100% of it so retries after a burst of 451s spread out.
func Backoff(base, maxWait time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
