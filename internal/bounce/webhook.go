package bounce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookConfig holds each provider's secret; a provider without one is
// not served (404).
type WebhookConfig struct {
	GenericSecret     string // HMAC-SHA256 key of the generic JSON webhook
	PostmarkUser      string // HTTP basic auth Postmark sends
	PostmarkPassword  string
	SendGridPublicKey string // base64 DER (or PEM) ECDSA P-256 key of the signed Event Webhook
	MailgunSigningKey string // the webhook signing key
	SESTopicARNs      []string
	SNS               *SNSVerifier // certificate fetching and checks for SES; nil: the real SNS
	Now               func() time.Time
}

// Webhooks serves the relay webhooks under /webhooks/.
type Webhooks struct {
	svc *Service
	cfg WebhookConfig
	log *slog.Logger
}

// NewWebhooks builds the handler set.
func NewWebhooks(svc *Service, cfg WebhookConfig, log *slog.Logger) *Webhooks {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SNS == nil {
		cfg.SNS = &SNSVerifier{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Webhooks{svc: svc, cfg: cfg, log: log}
}

// maxWebhookBytes bounds one webhook request body.
const maxWebhookBytes = 1 << 20

// timestampTolerance is how old a signed timestamp may be: a captured
// request replayed later is refused even before its event id is checked.
const timestampTolerance = 5 * time.Minute

// errUnauthorized: the request's signature or credentials are wrong.
var errUnauthorized = errors.New("webhook signature does not verify")

// Handler routes POST /webhooks/{provider}.
func (wh *Webhooks) Handler() http.Handler {
	m := http.NewServeMux()
	routes := map[string]struct {
		on    bool
		parse func(r *http.Request, body []byte) ([]Event, error)
	}{
		ChannelGeneric:  {wh.cfg.GenericSecret != "", wh.generic},
		ChannelPostmark: {wh.cfg.PostmarkUser != "" && wh.cfg.PostmarkPassword != "", wh.postmark},
		ChannelSendGrid: {wh.cfg.SendGridPublicKey != "", wh.sendgrid},
		ChannelMailgun:  {wh.cfg.MailgunSigningKey != "", wh.mailgun},
		ChannelSES:      {len(wh.cfg.SESTopicARNs) > 0, wh.ses},
	}
	for name, rt := range routes {
		if rt.on {
			m.Handle("POST /webhooks/"+name, wh.serve(name, rt.parse))
		}
	}
	m.HandleFunc("/webhooks/", func(w http.ResponseWriter, r *http.Request) {
		writeWebhook(w, http.StatusNotFound, map[string]string{"error": "no such webhook, or it has no secret configured"})
	})
	return m
}

// serve verifies and parses a request, then hands each event to the
// service. 401 for a bad signature and 400 for a body that is not the
// provider's format, both changing nothing; 500 (the relay retries) for
// our own trouble.
func (wh *Webhooks) serve(channel string, parse func(*http.Request, []byte) ([]Event, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
		if err != nil {
			writeWebhook(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
			return
		}
		events, err := parse(r, body)
		switch {
		case errors.Is(err, errUnauthorized):
			wh.log.Warn("webhook: bad signature", "channel", channel, "remote", r.RemoteAddr, "err", err)
			writeWebhook(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
			return
		case err != nil:
			writeWebhook(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		var res struct {
			Recorded, Replays, Ignored int
		}
		for _, ev := range events {
			ev.Channel = channel
			out, err := wh.svc.Handle(r.Context(), ev)
			switch {
			case errors.Is(err, ErrUnattributed):
				res.Ignored++
			case err != nil:
				wh.log.Error("webhook: handle event", "channel", channel, "err", err)
				writeWebhook(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
				return
			case out.Replay:
				res.Replays++
			default:
				res.Recorded++
			}
		}
		writeWebhook(w, http.StatusOK, map[string]int{"recorded": res.Recorded, "replays": res.Replays, "ignored": res.Ignored})
	})
}

func writeWebhook(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// freshTimestamp checks a Unix-seconds timestamp is within tolerance.
func (wh *Webhooks) freshTimestamp(ts string) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp", errUnauthorized)
	}
	if d := wh.cfg.Now().Sub(time.Unix(sec, 0)); d > timestampTolerance || d < -timestampTolerance {
		return fmt.Errorf("%w: timestamp outside %s", errUnauthorized, timestampTolerance)
	}
	return nil
}

// genericEvent is the generic webhook's body: one event, or a list.
type genericEvent struct {
	ID         string `json:"id"`
	Type       string `json:"type"` // hard, soft or complaint
	Email      string `json:"email"`
	MessageID  string `json:"message_id"`  // our Message-ID, when the relay kept it
	ReturnPath string `json:"return_path"` // the envelope sender, when the relay kept it
	Status     string `json:"status"`
	Diagnostic string `json:"diagnostic"`
}

// generic verifies X-Enews-Signature: sha256=hex(HMAC(secret, timestamp
// "." body)) with X-Enews-Timestamp (Unix seconds, within five minutes).
func (wh *Webhooks) generic(r *http.Request, body []byte) ([]Event, error) {
	ts := r.Header.Get("X-Enews-Timestamp")
	if err := wh.freshTimestamp(ts); err != nil {
		return nil, err
	}
	got, ok := strings.CutPrefix(r.Header.Get("X-Enews-Signature"), "sha256=")
	sig, err := hex.DecodeString(got)
	m := hmac.New(sha256.New, []byte(wh.cfg.GenericSecret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	if !ok || err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return nil, errUnauthorized
	}
	var list []genericEvent
	if err := json.Unmarshal(body, &list); err != nil {
		var one genericEvent
		if err := json.Unmarshal(body, &one); err != nil {
			return nil, fmt.Errorf("body: want a JSON event or a list of them: %v", err)
		}
		list = []genericEvent{one}
	}
	var out []Event
	for _, g := range list {
		if g.ID == "" || (g.Type != TypeHard && g.Type != TypeSoft && g.Type != TypeComplaint) {
			return nil, fmt.Errorf("event %q: want an id and a type of hard, soft or complaint", g.ID)
		}
		ev := Event{Report: Report{Type: g.Type, Recipient: g.Email, Status: g.Status, Diagnostic: g.Diagnostic},
			Key: ChannelGeneric + ":" + g.ID, Raw: string(body)}
		if g.MessageID != "" {
			ev.MessageIDs = []string{g.MessageID}
		}
		if g.ReturnPath != "" {
			ev.ReturnPaths = []string{g.ReturnPath}
		}
		out = append(out, ev)
	}
	return out, nil
}
