package bounce

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// postmark checks the HTTP basic auth configured in Postmark's webhook URL
// (Postmark signs nothing) and reads a Bounce or SpamComplaint record.
func (wh *Webhooks) postmark(r *http.Request, body []byte) ([]Event, error) {
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(wh.cfg.PostmarkUser)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(wh.cfg.PostmarkPassword)) != 1 {
		return nil, errUnauthorized
	}
	var p struct {
		RecordType  string
		ID          json.Number
		Type        string
		Email       string
		Details     string
		Description string
	}
	if err := json.Unmarshal(body, &p); err != nil || p.ID == "" {
		return nil, fmt.Errorf("body: want a Postmark bounce or spam complaint record")
	}
	ev := Event{Key: ChannelPostmark + ":" + p.RecordType + ":" + p.ID.String(), Raw: string(body),
		Report: Report{Recipient: p.Email, Diagnostic: strings.TrimSpace(p.Description + " " + p.Details)}}
	switch {
	case p.RecordType == "SpamComplaint" || p.Type == "SpamComplaint":
		ev.Type = TypeComplaint
	case p.RecordType != "Bounce":
		return nil, nil // deliveries, opens: nothing to do
	case p.Type == "HardBounce" || p.Type == "BadEmailAddress" || p.Type == "ManuallyDeactivated":
		ev.Type, ev.Status = TypeHard, "5.0.0"
	case p.Type == "Transient" || p.Type == "SoftBounce" || p.Type == "DnsError" || p.Type == "Blocked":
		ev.Type, ev.Status = TypeSoft, "4.0.0"
	default:
		return nil, nil // auto-responders, subscribe requests and the like
	}
	return []Event{ev}, nil
}

// sendgrid verifies the signed Event Webhook: an ECDSA P-256 signature
// (X-Twilio-Email-Event-Webhook-Signature, base64 ASN.1) of the timestamp
// header followed by the raw body, and reads bounce, dropped, deferred and
// spamreport events.
func (wh *Webhooks) sendgrid(r *http.Request, body []byte) ([]Event, error) {
	key, err := parseECDSAKey(wh.cfg.SendGridPublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: sendgrid key: %v", errUnauthorized, err)
	}
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Twilio-Email-Event-Webhook-Signature"))
	ts := r.Header.Get("X-Twilio-Email-Event-Webhook-Timestamp")
	sum := sha256.Sum256(append([]byte(ts), body...))
	if err != nil || ts == "" || !ecdsa.VerifyASN1(key, sum[:], sig) {
		return nil, errUnauthorized
	}
	var list []struct {
		Email     string          `json:"email"`
		Event     string          `json:"event"`
		Type      string          `json:"type"`
		Status    string          `json:"status"`
		Reason    string          `json:"reason"`
		Response  string          `json:"response"`
		EventID   string          `json:"sg_event_id"`
		SMTPID    string          `json:"smtp-id"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("body: want a list of SendGrid events: %v", err)
	}
	var out []Event
	for _, e := range list {
		ev := Event{Key: ChannelSendGrid + ":" + e.EventID, Raw: string(body),
			Report: Report{Recipient: e.Email, Status: e.Status, Diagnostic: strings.TrimSpace(e.Reason + " " + e.Response)}}
		if e.SMTPID != "" {
			ev.MessageIDs = []string{e.SMTPID}
		}
		switch e.Event {
		case "spamreport":
			ev.Type = TypeComplaint
		case "bounce", "dropped":
			ev.Type = classify(e.Status, false)
			if e.Type == "blocked" {
				ev.Type = TypeSoft
			}
		case "deferred":
			ev.Type = TypeSoft
		default:
			continue
		}
		if e.EventID == "" {
			return nil, fmt.Errorf("event without sg_event_id")
		}
		out = append(out, ev)
	}
	return out, nil
}

// parseECDSAKey reads the public key SendGrid shows: base64 DER, or PEM.
func parseECDSAKey(s string) (*ecdsa.PublicKey, error) {
	der := []byte(nil)
	if b, _ := pem.Decode([]byte(s)); b != nil {
		der = b.Bytes
	} else {
		var err error
		if der, err = base64.StdEncoding.DecodeString(strings.TrimSpace(s)); err != nil {
			return nil, err
		}
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("not an ECDSA key")
	}
	return ek, nil
}

// mailgun verifies the signature object in the body: hex HMAC-SHA256,
// under the webhook signing key, of timestamp followed by token; the
// timestamp must be recent. It reads failed and complained events.
func (wh *Webhooks) mailgun(_ *http.Request, body []byte) ([]Event, error) {
	var p struct {
		Signature struct {
			Timestamp string `json:"timestamp"`
			Token     string `json:"token"`
			Signature string `json:"signature"`
		} `json:"signature"`
		Data struct {
			ID        string `json:"id"`
			Event     string `json:"event"`
			Severity  string `json:"severity"`
			Recipient string `json:"recipient"`
			Message   struct {
				Headers struct {
					MessageID string `json:"message-id"`
				} `json:"headers"`
			} `json:"message"`
			Envelope struct {
				Sender string `json:"sender"`
			} `json:"envelope"`
			DeliveryStatus struct {
				Code        int    `json:"code"`
				Message     string `json:"message"`
				Description string `json:"description"`
			} `json:"delivery-status"`
		} `json:"event-data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("body: want a Mailgun webhook: %v", err)
	}
	s := p.Signature
	m := hmac.New(sha256.New, []byte(wh.cfg.MailgunSigningKey))
	m.Write([]byte(s.Timestamp + s.Token))
	sig, err := hex.DecodeString(s.Signature)
	if err != nil || s.Token == "" || !hmac.Equal(sig, m.Sum(nil)) {
		return nil, errUnauthorized
	}
	if err := wh.freshTimestamp(s.Timestamp); err != nil {
		return nil, err
	}
	d := p.Data
	ev := Event{Key: ChannelMailgun + ":" + d.ID, Raw: string(body), Report: Report{Recipient: d.Recipient,
		Diagnostic: strings.TrimSpace(d.DeliveryStatus.Message + " " + d.DeliveryStatus.Description)}}
	if d.ID == "" {
		return nil, fmt.Errorf("event-data without an id")
	}
	if id := d.Message.Headers.MessageID; id != "" {
		ev.MessageIDs = []string{"<" + strings.Trim(id, "<>") + ">"}
	}
	if d.Envelope.Sender != "" {
		ev.ReturnPaths = []string{d.Envelope.Sender}
	}
	switch {
	case d.Event == "complained":
		ev.Type = TypeComplaint
	case d.Event == "failed" && d.Severity == "permanent":
		ev.Type, ev.Status = TypeHard, "5.0.0"
	case d.Event == "failed":
		ev.Type, ev.Status = TypeSoft, "4.0.0"
	default:
		return nil, nil
	}
	if c := d.DeliveryStatus.Code; c >= 400 && c < 600 {
		ev.Status = strconv.Itoa(c/100) + ".0.0"
		if found := statusCode.FindString(d.DeliveryStatus.Message); found != "" {
			ev.Status = found
		}
	}
	return []Event{ev}, nil
}
