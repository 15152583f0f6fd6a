package bounce

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1 is SHA1withRSA; version 2 uses SHA256
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SNSVerifier checks Amazon SNS message signatures. The signing
// certificate is fetched from SigningCertURL only over https from an SNS
// host, must chain to a trusted root and be valid now; it is cached per URL.
type SNSVerifier struct {
	// Client fetches certificates and confirms subscriptions; nil uses a
	// client with a ten-second timeout.
	Client *http.Client
	// HostAllowed says whether a certificate or subscribe URL's host is
	// SNS; nil allows sns.<region>.amazonaws.com(.cn) only. Tests point
	// it at their own server.
	HostAllowed func(host string) bool
	// Roots verifies the certificate chain; nil uses the system's roots.
	Roots *x509.CertPool

	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

func (v *SNSVerifier) client() *http.Client {
	if v.Client != nil {
		return v.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// snsURL refuses any URL but https on an SNS host.
func (v *SNSVerifier) snsURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil {
		return nil, fmt.Errorf("%w: %q is not an https URL", errUnauthorized, raw)
	}
	allowed := v.HostAllowed
	if allowed == nil {
		allowed = snsHost.MatchString
	}
	if !allowed(u.Hostname()) {
		return nil, fmt.Errorf("%w: %q is not an SNS host", errUnauthorized, u.Hostname())
	}
	return u, nil
}

func (v *SNSVerifier) cert(ctx context.Context, raw string, now time.Time) (*x509.Certificate, error) {
	v.mu.Lock()
	c, ok := v.certs[raw]
	v.mu.Unlock()
	if !ok {
		u, err := v.snsURL(raw)
		if err != nil {
			return nil, err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		resp, err := v.client().Do(req)
		if err != nil {
			return nil, fmt.Errorf("sns: fetch certificate: %w", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("sns: fetch certificate: status %d: %v", resp.StatusCode, err)
		}
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("%w: certificate is not PEM", errUnauthorized)
		}
		if c, err = x509.ParseCertificate(block.Bytes); err != nil {
			return nil, fmt.Errorf("%w: certificate: %v", errUnauthorized, err)
		}
		v.mu.Lock()
		if v.certs == nil {
			v.certs = map[string]*x509.Certificate{}
		}
		v.certs[raw] = c
		v.mu.Unlock()
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: v.Roots, CurrentTime: now}); err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", errUnauthorized, err)
	}
	return c, nil
}

// snsMessage is the JSON SNS posts.
type snsMessage struct {
	Type, MessageID, Token, TopicArn, Subject, Message, SubscribeURL, Timestamp string
	SignatureVersion, Signature, SigningCertURL                                 string
}

// stringToSign is the canonical form SNS signs: chosen fields as
// "Name\nvalue\n", in byte order of the names.
func (m *snsMessage) stringToSign() string {
	fields := [][2]string{{"Message", m.Message}, {"MessageId", m.MessageID}}
	if m.Type == "Notification" {
		if m.Subject != "" {
			fields = append(fields, [2]string{"Subject", m.Subject})
		}
		fields = append(fields, [2]string{"Timestamp", m.Timestamp}, [2]string{"TopicArn", m.TopicArn}, [2]string{"Type", m.Type})
	} else {
		fields = append(fields, [2]string{"SubscribeURL", m.SubscribeURL}, [2]string{"Timestamp", m.Timestamp},
			[2]string{"Token", m.Token}, [2]string{"TopicArn", m.TopicArn}, [2]string{"Type", m.Type})
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f[0] + "\n" + f[1] + "\n")
	}
	return b.String()
}

func (v *SNSVerifier) verify(ctx context.Context, m *snsMessage, now time.Time) error {
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", errUnauthorized)
	}
	c, err := v.cert(ctx, m.SigningCertURL, now)
	if err != nil {
		return err
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: certificate key is not RSA", errUnauthorized)
	}
	data := []byte(m.stringToSign())
	switch m.SignatureVersion {
	case "1":
		sum := sha1.Sum(data) //nolint:gosec // what SignatureVersion 1 is
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig)
	case "2":
		sum := sha256.Sum256(data)
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	default:
		return fmt.Errorf("%w: SignatureVersion %q", errUnauthorized, m.SignatureVersion)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errUnauthorized, err)
	}
	return nil
}

// sesNotification is the SES bounce or complaint notification inside an
// SNS message (notificationType, or eventType for event publishing).
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Bounce           struct {
		BounceType        string `json:"bounceType"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
	} `json:"complaint"`
	Mail struct {
		Source  string `json:"source"`
		Headers []struct {
			Name, Value string
		} `json:"headers"`
	} `json:"mail"`
}

// ses verifies an SNS message from a configured topic. A subscription
// confirmation is confirmed by fetching its SubscribeURL (an SNS host over
// https); a notification's SES bounces and complaints become events.
func (wh *Webhooks) ses(r *http.Request, body []byte) ([]Event, error) {
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil || m.Type == "" {
		return nil, fmt.Errorf("body: want an SNS message")
	}
	v := wh.cfg.SNS
	if err := v.verify(r.Context(), &m, wh.cfg.Now()); err != nil {
		return nil, err
	}
	if !slices.Contains(wh.cfg.SESTopicARNs, m.TopicArn) {
		return nil, fmt.Errorf("%w: topic %q is not in bounces.ses_topic_arns", errUnauthorized, m.TopicArn)
	}
	switch m.Type {
	case "SubscriptionConfirmation":
		return nil, v.confirm(r.Context(), m.SubscribeURL)
	case "Notification":
	default:
		return nil, nil
	}
	var n sesNotification
	if err := json.Unmarshal([]byte(m.Message), &n); err != nil {
		return nil, fmt.Errorf("SNS message: want an SES notification: %v", err)
	}
	base := Event{Raw: m.Message}
	base.ReturnPaths = []string{n.Mail.Source}
	for _, h := range n.Mail.Headers {
		if strings.EqualFold(h.Name, "Message-ID") {
			base.MessageIDs = append(base.MessageIDs, h.Value)
		}
	}
	var out []Event
	switch kind := n.NotificationType + n.EventType; kind {
	case "Bounce":
		typ := TypeSoft
		if n.Bounce.BounceType == "Permanent" {
			typ = TypeHard
		}
		for i, rc := range n.Bounce.BouncedRecipients {
			ev := base
			ev.Report = Report{Type: typ, Recipient: rc.EmailAddress, Status: rc.Status, Diagnostic: rc.DiagnosticCode,
				MessageIDs: base.MessageIDs, ReturnPaths: base.ReturnPaths}
			ev.Key = ChannelSES + ":" + m.MessageID + ":" + strconv.Itoa(i)
			out = append(out, ev)
		}
	case "Complaint":
		for i, rc := range n.Complaint.ComplainedRecipients {
			ev := base
			ev.Report = Report{Type: TypeComplaint, Recipient: rc.EmailAddress, Diagnostic: n.Complaint.ComplaintFeedbackType,
				MessageIDs: base.MessageIDs, ReturnPaths: base.ReturnPaths}
			ev.Key = ChannelSES + ":" + m.MessageID + ":" + strconv.Itoa(i)
			out = append(out, ev)
		}
	}
	return out, nil
}

func (v *SNSVerifier) confirm(ctx context.Context, raw string) error {
	u, err := v.snsURL(raw)
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	resp, err := v.client().Do(req)
	if err != nil {
		return fmt.Errorf("sns: confirm subscription: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sns: confirm subscription: status %d", resp.StatusCode)
	}
	return nil
}
