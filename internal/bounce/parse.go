package bounce

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
)

// Report types.
const (
	TypeHard      = "hard"
	TypeSoft      = "soft"
	TypeComplaint = "complaint"
)

// Report is what a bounce or complaint message says, before attribution.
type Report struct {
	Type       string // TypeHard, TypeSoft or TypeComplaint
	Recipient  string // the address that failed or complained, when the report names it
	Status     string // enhanced status code, e.g. 5.1.1
	Diagnostic string // the remote server's words, or the feedback type
	// MessageIDs are the Message-IDs of the original message found in the
	// report (its attached copy or headers).
	MessageIDs []string
	// ReturnPaths are the addresses the original was sent from, as the
	// report quotes them (a VERP address names the delivery).
	ReturnPaths []string
	// ReportID identifies this report (its own Message-ID), for replays.
	ReportID string
}

// ErrNoReport: the message is neither a bounce nor a complaint enews can
// read. The listener refuses it.
var ErrNoReport = fmt.Errorf("%w: no bounce or complaint report found", newsletter.ErrInvalid)

// Most text read from one part: a bounce's explanation fits in far less.
const maxPartBytes = 256 << 10

// parsed collects what the parts of a message hold.
type parsed struct {
	deliveryStatus []byte
	feedback       []byte
	original       []textproto.Header // headers of the returned message
	text           []byte             // human-readable parts
}

// Parse reads a DSN (RFC 3464), an ARF complaint (RFC 5965) or one of the
// common non-standard bounce layouts.
func Parse(raw []byte) (Report, error) {
	ent, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return Report{}, fmt.Errorf("%w: %v", ErrNoReport, err)
	}
	var p parsed
	if err := ent.Walk(func(_ []int, e *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return err
		}
		return p.add(e)
	}); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrNoReport, err)
	}
	var r Report
	switch {
	case p.feedback != nil:
		r, err = complaintReport(p.feedback)
	case p.deliveryStatus != nil:
		r, err = dsnReport(p.deliveryStatus)
	default:
		r, err = plainBounce(ent.Header, p.text)
	}
	if err != nil {
		return Report{}, err
	}
	for _, h := range p.original {
		if id := strings.TrimSpace(h.Get("Message-Id")); id != "" {
			r.MessageIDs = append(r.MessageIDs, id)
		}
		if rp := strings.TrimSpace(h.Get("Return-Path")); rp != "" {
			r.ReturnPaths = append(r.ReturnPaths, rp)
		}
		if r.Recipient == "" {
			if to, err := mail.ParseAddress(h.Get("To")); err == nil {
				r.Recipient = to.Address
			}
		}
	}
	// Non-standard bounces quote the original inline: its ids and return
	// path are found in the text.
	r.MessageIDs = append(r.MessageIDs, ourMessageID.FindAllString(string(p.text), -1)...)
	r.ReportID = strings.TrimSpace(ent.Header.Get("Message-Id"))
	return r, nil
}

func (p *parsed) add(e *message.Entity) error {
	mt, _, _ := e.Header.ContentType()
	if strings.HasPrefix(mt, "multipart/") {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(e.Body, maxPartBytes))
	if err != nil && !message.IsUnknownCharset(err) {
		return err
	}
	switch mt {
	case "message/delivery-status", "message/global-delivery-status":
		p.deliveryStatus = body
	case "message/feedback-report":
		p.feedback = body
	case "message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global", "message/global-headers":
		if h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(body))); err == nil {
			p.original = append(p.original, h)
		}
	case "text/plain", "":
		if len(p.text) < maxPartBytes {
			p.text = append(p.text, body...)
		}
	}
	return nil
}

// fieldBlocks reads the blank-line separated header blocks of a
// delivery-status or feedback-report body.
func fieldBlocks(b []byte) []textproto.Header {
	var out []textproto.Header
	br := bufio.NewReader(bytes.NewReader(b))
	for {
		// Tolerate extra blank lines between blocks.
		for {
			c, err := br.Peek(1)
			if err != nil || (c[0] != '\r' && c[0] != '\n') {
				break
			}
			_, _ = br.ReadByte()
		}
		if _, err := br.Peek(1); err != nil {
			return out
		}
		h, err := textproto.ReadHeader(br)
		if h.Len() > 0 {
			out = append(out, h)
		}
		if err != nil {
			return out
		}
	}
}

// dsnReport reads the per-recipient fields of a delivery-status body: the
// first recipient whose action is failed or delayed is the bounce.
func dsnReport(body []byte) (Report, error) {
	blocks := fieldBlocks(body)
	for _, h := range blocks {
		action := strings.ToLower(strings.TrimSpace(h.Get("Action")))
		if action != "failed" && action != "delayed" {
			continue
		}
		r := Report{
			Recipient:  typedAddress(h.Get("Final-Recipient")),
			Status:     statusCode.FindString(h.Get("Status")),
			Diagnostic: plaintext.OneLine(h.Get("Diagnostic-Code")),
		}
		if r.Recipient == "" {
			r.Recipient = typedAddress(h.Get("Original-Recipient"))
		}
		r.Type = classify(r.Status, action == "delayed")
		return r, nil
	}
	return Report{}, fmt.Errorf("%w: delivery status reports no failed or delayed recipient", ErrNoReport)
}

// complaintReport reads an ARF feedback report.
func complaintReport(body []byte) (Report, error) {
	blocks := fieldBlocks(body)
	if len(blocks) == 0 || blocks[0].Get("Feedback-Type") == "" {
		return Report{}, fmt.Errorf("%w: feedback report without Feedback-Type", ErrNoReport)
	}
	h := blocks[0]
	r := Report{Type: TypeComplaint, Diagnostic: "feedback-type " + plaintext.OneLine(h.Get("Feedback-Type"))}
	if a, err := mail.ParseAddress(h.Get("Original-Rcpt-To")); err == nil {
		r.Recipient = a.Address
	} else if s := strings.Trim(strings.TrimSpace(h.Get("Original-Rcpt-To")), "<>"); strings.Contains(s, "@") {
		r.Recipient = s
	}
	if from := strings.Trim(strings.TrimSpace(h.Get("Original-Mail-From")), "<>"); from != "" {
		r.ReturnPaths = append(r.ReturnPaths, from)
	}
	return r, nil
}

var (
	statusCode   = regexp.MustCompile(`\b[245]\.\d{1,3}\.\d{1,3}\b`)
	smtpReply    = regexp.MustCompile(`\b[45]\d\d\b`)
	ourMessageID = regexp.MustCompile(`<enews\.\d+\.\d+@[^<>\s]+>`)
	addressLike  = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+`)
	// Words that mark a non-standard bounce, and those that make it temporary.
	bounceWords = regexp.MustCompile(`(?i)undeliver|delivery (?:has )?failed|could not be delivered|failure notice|returned mail|permanent error|delivery status notification|mail delivery (?:failed|system)|not be delivered`)
	softWords   = regexp.MustCompile(`(?i)temporar|delayed|will (?:retry|be retried|try again)|still trying|deferred`)
	bounceFrom  = regexp.MustCompile(`(?i)mailer-daemon|postmaster|mail delivery`)
)

// plainBounce reads a bounce without a delivery-status part (classic Exim,
// qmail, many appliances): it must look like one, from its sender, subject
// or text; the first address quoted in the text that is not the sender's
// is the recipient.
func plainBounce(h message.Header, text []byte) (Report, error) {
	subject := h.Get("Subject")
	from := h.Get("From")
	explanation := string(text)
	// Only the explanation, not the quoted original, names the failure.
	for _, marker := range []string{"------ This is a copy of the message", "--- Below this line is a copy of the message", "Original message follows"} {
		if i := strings.Index(explanation, marker); i >= 0 {
			explanation = explanation[:i]
		}
	}
	if !bounceWords.MatchString(subject+"\n"+explanation) || !(bounceFrom.MatchString(from) || bounceWords.MatchString(subject)) {
		return Report{}, ErrNoReport
	}
	r := Report{Status: statusCode.FindString(explanation)}
	if r.Status == "" {
		if code := smtpReply.FindString(explanation); code != "" {
			r.Status = code[:1] + ".0.0"
		}
	}
	r.Type = classify(r.Status, r.Status == "" && softWords.MatchString(explanation))
	for _, line := range strings.Split(explanation, "\n") {
		if r.Diagnostic == "" && (statusCode.MatchString(line) || smtpReply.MatchString(line)) {
			r.Diagnostic = plaintext.OneLine(line)
		}
		if r.Recipient == "" {
			if a := addressLike.FindString(line); a != "" && !bounceFrom.MatchString(a) {
				r.Recipient = a
			}
		}
	}
	return r, nil
}

// classify: 5.x.x is hard, except a full mailbox (5.2.2), which usually
// clears; 4.x.x, a delayed action, or no code with words of delay is soft;
// no code at all in a failure is hard.
func classify(status string, delayed bool) string {
	switch {
	case strings.HasPrefix(status, "5.2.2"):
		return TypeSoft
	case strings.HasPrefix(status, "5."):
		return TypeHard
	case strings.HasPrefix(status, "4."), delayed:
		return TypeSoft
	}
	return TypeHard
}

// typedAddress reads "rfc822; user@example.org".
func typedAddress(v string) string {
	_, addr, ok := strings.Cut(v, ";")
	if !ok {
		addr = v
	}
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	if !strings.Contains(addr, "@") {
		return ""
	}
	return addr
}
