package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounces is the return path, the inbound bounce listener and the policy
// for bounces and complaints.
type Bounces struct {
	Domain          string        `yaml:"domain"`
	Listen          string        `yaml:"listen"`
	MaxMessageBytes int64         `yaml:"max_message_bytes"`
	KeepDays        int           `yaml:"keep_days"`
	SoftThreshold   int           `yaml:"soft_threshold"`
	SoftWindow      time.Duration `yaml:"soft_window"`
	PauseAbove      string        `yaml:"pause_above"`
	PauseMinSent    int           `yaml:"pause_min_sent"`

	WebhookSecret         string   `yaml:"webhook_secret" secret:"true"`
	WebhookSecretFile     string   `yaml:"webhook_secret_file"`
	PostmarkUser          string   `yaml:"postmark_user"`
	PostmarkPassword      string   `yaml:"postmark_password" secret:"true"`
	PostmarkPasswordFile  string   `yaml:"postmark_password_file"`
	SendGridPublicKey     string   `yaml:"sendgrid_public_key"`
	MailgunSigningKey     string   `yaml:"mailgun_signing_key" secret:"true"`
	MailgunSigningKeyFile string   `yaml:"mailgun_signing_key_file"`
	SESTopicARNs          []string `yaml:"ses_topic_arns"`
}

// Webhooks reports whether any relay webhook is configured.
func (b Bounces) Webhooks() bool {
	return b.WebhookSecret != "" || b.PostmarkPassword != "" || b.SendGridPublicKey != "" ||
		b.MailgunSigningKey != "" || len(b.SESTopicARNs) > 0
}

func defaultBounces() Bounces {
	return Bounces{
		Listen: "127.0.0.1:2525", MaxMessageBytes: 2 << 20, KeepDays: 30,
		SoftThreshold: 3, SoftWindow: 30 * 24 * time.Hour,
		PauseAbove: "hard=5%, complaint=0.3%", PauseMinSent: 100,
	}
}

// PauseThresholds reads pause_above, e.g. "hard=5%, complaint=0.3%", as
// fractions (0.05, 0.003). A rate not named there never pauses; 0 turns it off.
func (b Bounces) PauseThresholds() (hard, complaint float64, err error) {
	for _, part := range strings.Split(b.PauseAbove, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		pct, perr := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(val), "%"), 64)
		if !ok || perr != nil || pct < 0 || pct > 100 || !strings.HasSuffix(strings.TrimSpace(val), "%") {
			return 0, 0, fmt.Errorf("want rates like \"hard=5%%, complaint=0.3%%\", got %q", part)
		}
		switch strings.TrimSpace(name) {
		case "hard":
			hard = pct / 100
		case "complaint":
			complaint = pct / 100
		default:
			return 0, 0, fmt.Errorf("unknown rate %q: want hard or complaint", strings.TrimSpace(name))
		}
	}
	return hard, complaint, nil
}

func (b Bounces) checks() []keyCheck {
	_, _, pauseErr := b.PauseThresholds()
	return []keyCheck{
		{"bounces.domain", bounceDomain(b.Domain)},
		{"bounces.listen", listenAddr(b.Listen)},
		{"bounces.max_message_bytes", positive(int(min(b.MaxMessageBytes, 1<<40)))},
		{"bounces.keep_days", positive(b.KeepDays)},
		{"bounces.soft_threshold", positive(b.SoftThreshold)},
		{"bounces.soft_window", positiveDuration(b.SoftWindow)},
		{"bounces.pause_above", pauseErr},
		{"bounces.pause_min_sent", positive(b.PauseMinSent)},
		{"bounces.webhook_secret", minLength(b.WebhookSecret, 16)},
		{"bounces.postmark_user", requiredWith(b.PostmarkUser, b.PostmarkPassword, "bounces.postmark_password")},
		{"bounces.postmark_password", requiredWith(b.PostmarkPassword, b.PostmarkUser, "bounces.postmark_user")},
		{"bounces.ses_topic_arns", topicARNs(b.SESTopicARNs)},
		{"bounces.webhook_secret_file", oneLine(b.WebhookSecretFile)},
		{"bounces.postmark_password_file", oneLine(b.PostmarkPasswordFile)},
		{"bounces.sendgrid_public_key", oneLineOrPEM(b.SendGridPublicKey)},
		{"bounces.mailgun_signing_key", oneLine(b.MailgunSigningKey)},
		{"bounces.mailgun_signing_key_file", oneLine(b.MailgunSigningKeyFile)},
	}
}

func bounceDomain(s string) error {
	if s == "" {
		return nil
	}
	if !strings.Contains(s, ".") || strings.ContainsAny(s, "@ <>\r\n/:") {
		return fmt.Errorf("want a domain whose MX reaches the bounce listener, like bounces.example.org, got %q", s)
	}
	return nil
}

func minLength(s string, n int) error {
	if s != "" && len(s) < n {
		return fmt.Errorf("want at least %d characters, got %d", n, len(s))
	}
	return nil
}

func topicARNs(arns []string) error {
	for _, a := range arns {
		if !strings.HasPrefix(a, "arn:aws") || strings.Count(a, ":") != 5 {
			return fmt.Errorf("want SNS topic ARNs like arn:aws:sns:eu-west-1:123456789012:bounces, got %q", a)
		}
	}
	return nil
}

// oneLineOrPEM is a key given as one line of base64, or as a PEM block.
func oneLineOrPEM(s string) error {
	if strings.Contains(s, "-----BEGIN ") {
		return nil
	}
	return oneLine(s)
}

// Compliance is where the compliance receipt looks DNS records up.
type Compliance struct {
	BeforeSend string        `yaml:"before_send"`
	Resolver   string        `yaml:"resolver"`
	DNSTimeout time.Duration `yaml:"dns_timeout"`
}

func (c Compliance) checks() []keyCheck {
	var resolver error
	if c.Resolver != "" {
		resolver = listenAddr(c.Resolver)
	}
	return []keyCheck{
		{"compliance.before_send", oneOf(c.BeforeSend, "block", "warn", "off")},
		{"compliance.resolver", resolver},
		{"compliance.dns_timeout", positiveDuration(c.DNSTimeout)},
	}
}
