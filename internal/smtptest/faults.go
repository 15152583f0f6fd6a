package smtptest

import (
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"
)

// Stage is the point in an SMTP session where a Fault fires.
type Stage int

// Stages, in session order.
const (
	// OnConnect fires right after the TCP accept; only Drop and Do apply.
	OnConnect Stage = iota + 1
	// OnMail replaces the reply to MAIL FROM.
	OnMail
	// OnRcpt replaces the reply to one RCPT TO; Match sees that recipient.
	OnRcpt
	// OnData replaces the final reply after the message data has been read;
	// Match sees each recipient of the transaction. A dropped connection here
	// is the "did it arrive?" case: the client sent everything, got no answer,
	// and the message is not recorded.
	OnData
)

// String names the stage for test names and messages.
func (s Stage) String() string {
	switch s {
	case OnConnect:
		return "connect"
	case OnMail:
		return "mail"
	case OnRcpt:
		return "rcpt"
	case OnData:
		return "data"
	}
	return "stage(" + strconv.Itoa(int(s)) + ")"
}

// Fault replaces the server's normal reply at one Stage.
type Fault struct {
	Stage Stage
	// Match selects recipients; nil matches every one.
	Match func(rcpt string) bool
	// Fraction is the chance, from the seeded generator, that a matching
	// command is hit; 0 means always.
	Fraction float64
	// Times limits how often the fault fires; 0 means without limit.
	Times int
	// Do runs first when the fault fires. It may block to stall the server
	// mid-command, or signal the test that this point was reached.
	Do func()
	// Code, Enhanced ("4.3.0") and Message form the reply; Code 0 keeps the
	// normal reply.
	Code     int
	Enhanced string
	Message  string
	// Drop closes the TCP connection instead of replying.
	Drop bool
}

// Temporary is a 451 4.3.0 reply at stage for recipients matched by match.
func Temporary(stage Stage, match func(string) bool) Fault {
	return Fault{Stage: stage, Match: match, Code: 451, Enhanced: "4.3.0", Message: "Temporary failure, try again later"}
}

// Permanent is a 550 5.1.1 reply (mailbox does not exist) at stage.
func Permanent(stage Stage, match func(string) bool) Fault {
	return Fault{Stage: stage, Match: match, Code: 550, Enhanced: "5.1.1", Message: "Mailbox unavailable"}
}

// Disconnect closes the connection abruptly at stage.
func Disconnect(stage Stage) Fault { return Fault{Stage: stage, Drop: true} }

// Recipients matches any of addrs, ignoring case.
func Recipients(addrs ...string) func(string) bool {
	return func(rcpt string) bool {
		for _, a := range addrs {
			if strings.EqualFold(a, rcpt) {
				return true
			}
		}
		return false
	}
}

type faultState struct {
	Fault
	fired int
}

// SetFaults replaces every fault. Faults are tried in order; the first that
// applies wins.
func (s *Server) SetFaults(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = s.faults[:0]
	for _, f := range faults {
		s.faults = append(s.faults, &faultState{Fault: f})
	}
}

// AddFault appends one fault after the existing ones.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults makes the server behave normally again.
func (s *Server) ClearFaults() { s.SetFaults() }

// fault finds the fault that applies at stage to any of rcpts (nil rcpts: the
// stage has no recipient, so Match is not consulted).
func (s *Server) fault(stage Stage, rcpts []string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Stage != stage || (f.Times > 0 && f.fired >= f.Times) {
			continue
		}
		if f.Match != nil && rcpts != nil && !anyMatch(f.Match, rcpts) {
			continue
		}
		// Draw only for candidates so a seed replays the same sequence.
		if f.Fraction > 0 && s.rng.Float64() >= f.Fraction {
			continue
		}
		f.fired++
		return f.Fault, true
	}
	return Fault{}, false
}

func anyMatch(match func(string) bool, rcpts []string) bool {
	for _, r := range rcpts {
		if match(r) {
			return true
		}
	}
	return false
}

// smtpError turns a reply fault into the error go-smtp writes back.
func (f Fault) smtpError() *smtp.SMTPError {
	msg := f.Message
	if msg == "" {
		msg = "Injected failure"
	}
	return &smtp.SMTPError{Code: f.Code, EnhancedCode: parseEnhanced(f.Enhanced), Message: msg}
}

func parseEnhanced(s string) smtp.EnhancedCode {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return smtp.EnhancedCodeNotSet
	}
	var ec smtp.EnhancedCode
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return smtp.EnhancedCodeNotSet
		}
		ec[i] = n
	}
	return ec
}
