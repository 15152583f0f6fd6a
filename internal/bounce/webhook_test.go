package bounce_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/bounce"
	"github.com/enews/enews/internal/newsletter"
)

// webhookNow is the fixed clock of the webhook tests.
var webhookNow = time.Date(2022, 5, 2, 9, 0, 0, 0, time.UTC)

// providers holds each provider's keys, as a relay and enews share them.
type providers struct {
	sendgrid *ecdsa.PrivateKey
	sns      *snsTestServer
	cfg      bounce.WebhookConfig
}

func newProviders(t *testing.T) *providers {
	t.Helper()
	sg, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&sg.PublicKey)
	sns := newSNSTestServer(t)
	return &providers{sendgrid: sg, sns: sns, cfg: bounce.WebhookConfig{
		GenericSecret: "generic secret", PostmarkUser: "pm", PostmarkPassword: "pm password",
		SendGridPublicKey: base64.StdEncoding.EncodeToString(der), MailgunSigningKey: "mailgun key",
		SESTopicARNs: []string{snsTopic}, SNS: sns.verifier(), Now: func() time.Time { return webhookNow },
	}}
}

// request builds a provider's webhook request for a bounce of sub (or a
// complaint); forge spoils its signature or credentials.
type request func(p *providers, w *world, sub newsletter.Subscriber, forge bool) (path string, body []byte, header http.Header)

func genericRequest(typ string) request {
	return func(p *providers, w *world, sub newsletter.Subscriber, forge bool) (string, []byte, http.Header) {
		body, _ := json.Marshal(map[string]string{"id": "evt-1", "type": typ, "email": sub.Email,
			"message_id": w.messageID(sub), "status": "5.1.1", "diagnostic": "550 5.1.1 no such user"})
		ts := strconv.FormatInt(webhookNow.Unix(), 10)
		m := hmac.New(sha256.New, []byte(p.cfg.GenericSecret))
		m.Write([]byte(ts + "."))
		m.Write(body)
		sig := hex.EncodeToString(m.Sum(nil))
		if forge {
			sig = hex.EncodeToString(bytes.Repeat([]byte{7}, 32))
		}
		return "/webhooks/generic", body, http.Header{"X-Enews-Timestamp": {ts}, "X-Enews-Signature": {"sha256=" + sig}}
	}
}

func postmarkRequest(recordType, typ string) request {
	return func(p *providers, w *world, sub newsletter.Subscriber, forge bool) (string, []byte, http.Header) {
		body, _ := json.Marshal(map[string]any{"RecordType": recordType, "ID": 4323372036854775807, "Type": typ,
			"Email": sub.Email, "Description": "The server was unable to deliver your message", "Details": "smtp;550 5.1.1 unknown"})
		pass := p.cfg.PostmarkPassword
		if forge {
			pass = "guess"
		}
		h := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(p.cfg.PostmarkUser+":"+pass))}}
		return "/webhooks/postmark", body, h
	}
}

func sendgridRequest(event string) request {
	return func(p *providers, w *world, sub newsletter.Subscriber, forge bool) (string, []byte, http.Header) {
		body, _ := json.Marshal([]map[string]any{{"email": sub.Email, "event": event, "type": "bounce", "status": "5.1.1",
			"reason": "550 5.1.1 unknown user", "sg_event_id": "sg-" + event, "smtp-id": w.messageID(sub), "timestamp": webhookNow.Unix()}})
		ts := strconv.FormatInt(webhookNow.Unix(), 10)
		sum := sha256.Sum256(append([]byte(ts), body...))
		sig, err := ecdsa.SignASN1(rand.Reader, p.sendgrid, sum[:])
		if err != nil {
			panic(err)
		}
		if forge {
			other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			sig, _ = ecdsa.SignASN1(rand.Reader, other, sum[:])
		}
		return "/webhooks/sendgrid", body, http.Header{"X-Twilio-Email-Event-Webhook-Timestamp": {ts},
			"X-Twilio-Email-Event-Webhook-Signature": {base64.StdEncoding.EncodeToString(sig)}}
	}
}

func mailgunRequest(event, severity string) request {
	return func(p *providers, w *world, sub newsletter.Subscriber, forge bool) (string, []byte, http.Header) {
		ts, token := strconv.FormatInt(webhookNow.Unix(), 10), "0123456789abcdef0123456789abcdef0123456789abcdef01"
		m := hmac.New(sha256.New, []byte(p.cfg.MailgunSigningKey))
		m.Write([]byte(ts + token))
		sig := hex.EncodeToString(m.Sum(nil))
		if forge {
			ts = strconv.FormatInt(webhookNow.Unix()+1, 10) // a signature for another moment
		}
		body, _ := json.Marshal(map[string]any{
			"signature": map[string]string{"timestamp": ts, "token": token, "signature": sig},
			"event-data": map[string]any{"id": "mg-" + event, "event": event, "severity": severity, "recipient": sub.Email,
				"envelope":        map[string]string{"sender": w.returnPath(sub)},
				"message":         map[string]any{"headers": map[string]string{"message-id": strings.Trim(w.messageID(sub), "<>")}},
				"delivery-status": map[string]any{"code": 550, "message": "5.1.1 The email account does not exist"}},
		})
		return "/webhooks/mailgun", body, nil
	}
}

func sesRequest(notification string) request {
	return func(p *providers, w *world, sub newsletter.Subscriber, forge bool) (string, []byte, http.Header) {
		var msg map[string]any
		mail := map[string]any{"source": w.returnPath(sub), "messageId": "0100017f-ses",
			"headers": []map[string]string{{"name": "Message-ID", "value": w.messageID(sub)}}}
		if notification == "Bounce" {
			msg = map[string]any{"notificationType": "Bounce", "mail": mail, "bounce": map[string]any{"bounceType": "Permanent",
				"bouncedRecipients": []map[string]string{{"emailAddress": sub.Email, "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}}}}
		} else {
			msg = map[string]any{"notificationType": "Complaint", "mail": mail, "complaint": map[string]any{
				"complaintFeedbackType": "abuse", "complainedRecipients": []map[string]string{{"emailAddress": sub.Email}}}}
		}
		inner, _ := json.Marshal(msg)
		return "/webhooks/ses", p.sns.sign(map[string]string{"Type": "Notification", "MessageId": "sns-" + notification,
			"TopicArn": snsTopic, "Message": string(inner), "Timestamp": "2022-05-02T09:00:00.000Z"}, "2", forge), nil
	}
}

func TestWebhooks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		req        request
		bounceType string
		status     string
	}{
		{"generic hard bounce", genericRequest("hard"), "hard", newsletter.SubscriberBounced},
		{"generic complaint", genericRequest("complaint"), "complaint", newsletter.SubscriberComplained},
		{"postmark hard bounce", postmarkRequest("Bounce", "HardBounce"), "hard", newsletter.SubscriberBounced},
		{"postmark spam complaint", postmarkRequest("SpamComplaint", "SpamComplaint"), "complaint", newsletter.SubscriberComplained},
		{"sendgrid bounce", sendgridRequest("bounce"), "hard", newsletter.SubscriberBounced},
		{"sendgrid spam report", sendgridRequest("spamreport"), "complaint", newsletter.SubscriberComplained},
		{"mailgun permanent failure", mailgunRequest("failed", "permanent"), "hard", newsletter.SubscriberBounced},
		{"mailgun temporary failure", mailgunRequest("failed", "temporary"), "soft", newsletter.SubscriberActive},
		{"mailgun complaint", mailgunRequest("complained", ""), "complaint", newsletter.SubscriberComplained},
		{"ses bounce through sns", sesRequest("Bounce"), "hard", newsletter.SubscriberBounced},
		{"ses complaint through sns", sesRequest("Complaint"), "complaint", newsletter.SubscriberComplained},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{subscribers: 2, sent: true, status: newsletter.IssueSent})
			p := newProviders(t)
			srv := httptest.NewServer(bounce.NewWebhooks(w.svc, p.cfg, nil).Handler())
			t.Cleanup(srv.Close)
			sub := w.subs[0]

			before := w.snapshot(t)
			if code, body := post(t, srv.URL, tt.req, p, w, sub, true); code != http.StatusUnauthorized {
				t.Fatalf("forged: %d %s, want 401", code, body)
			}
			if after := w.snapshot(t); after != before {
				t.Fatalf("a forged webhook changed the database:\n%s", after)
			}

			if code, body := post(t, srv.URL, tt.req, p, w, sub, false); code != http.StatusOK || !strings.Contains(body, `"recorded":1`) {
				t.Fatalf("genuine: %d %s", code, body)
			}
			if got := w.status(t, sub); got != tt.status {
				t.Errorf("status = %s, want %s", got, tt.status)
			}
			bs, err := w.st.SubscriberBounces(t.Context(), sub.ID, 10)
			if err != nil || len(bs) != 1 || bs[0].Type != tt.bounceType || bs[0].IssueID == nil || *bs[0].IssueID != w.issue.ID {
				t.Fatalf("bounces = %+v (%v), want one %s for issue %d", bs, err, tt.bounceType, w.issue.ID)
			}

			snap := w.snapshot(t)
			if code, body := post(t, srv.URL, tt.req, p, w, sub, false); code != http.StatusOK || !strings.Contains(body, `"replays":1`) {
				t.Fatalf("replay: %d %s", code, body)
			}
			if after := w.snapshot(t); after != snap {
				t.Errorf("a replay changed the database:\n%s\nwant\n%s", after, snap)
			}
		})
	}
}

func post(t *testing.T, base string, req request, p *providers, w *world, sub newsletter.Subscriber, forge bool) (int, string) {
	t.Helper()
	path, body, h := req(p, w, sub, forge)
	r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		r.Header[k] = v
	}
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWebhookOffWithoutSecret(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{subscribers: 1})
	srv := httptest.NewServer(bounce.NewWebhooks(w.svc, bounce.WebhookConfig{}, nil).Handler())
	t.Cleanup(srv.Close)
	for _, name := range []string{"generic", "postmark", "sendgrid", "mailgun", "ses"} {
		resp, err := http.Post(srv.URL+"/webhooks/"+name, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s without a secret: %d, want 404", name, resp.StatusCode)
		}
	}
}

// signSNS signs fields as SNS does, with key.
func signSNS(key *rsa.PrivateKey, fields map[string]string, version string) string {
	var names []string
	if fields["Type"] == "Notification" {
		names = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	} else {
		names = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, n := range names {
		if v, ok := fields[n]; ok {
			fmt.Fprintf(&b, "%s\n%s\n", n, v)
		}
	}
	h, sum := crypto.SHA256, sha256.Sum256([]byte(b.String()))
	digest := sum[:]
	if version == "1" {
		h = crypto.SHA1
		s := crypto.SHA1.New()
		s.Write([]byte(b.String()))
		digest = s.Sum(nil)
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}
