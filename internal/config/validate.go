package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/enews/enews/internal/cronspec"
)

// Validate checks every setting and returns the first problem as a *KeyError.
func (c Config) Validate() error {
	for _, ch := range c.checks() {
		if ch.err != nil {
			return &KeyError{Key: ch.key, Env: envName(ch.key), Reason: ch.err.Error()}
		}
	}
	return nil
}

// checks is every setting's check, one or more per key.
func (c Config) checks() []keyCheck {
	checks := []keyCheck{
		{"database.url", checkDatabaseURL(c.Database.URL)},
		{"database.max_open_conns", positive(c.Database.MaxOpenConns)},
		{"database.max_idle_conns", notNegative(c.Database.MaxIdleConns)},
		{"database.conn_max_lifetime", notNegativeDuration(c.Database.ConnMaxLifetime)},
		{"smtp.host", nonEmpty(c.SMTP.Host)},
		{"smtp.username", first(oneLine(c.SMTP.Username), requiredWith(c.SMTP.Username, c.SMTP.Password, "smtp.password"))},
		{"smtp.password", oneLine(c.SMTP.Password)},
		{"smtp.password_file", oneLine(c.SMTP.PasswordFile)},
		{"smtp.helo_name", hostName(c.SMTP.HeloName)},
		{"smtp.port", portNumber(c.SMTP.Port)},
		{"smtp.tls", oneOf(c.SMTP.TLS, "none", "starttls", "tls")},
		{"smtp.from", address(c.SMTP.From, true)},
		{"smtp.reply_to", address(c.SMTP.ReplyTo, false)},
		{"smtp.connect_timeout", positiveDuration(c.SMTP.ConnectTimeout)},
		{"smtp.command_timeout", positiveDuration(c.SMTP.CommandTimeout)},
		{"smtp.data_timeout", positiveDuration(c.SMTP.DataTimeout)},
		{"smtp.final_timeout", positiveDuration(c.SMTP.FinalTimeout)},
		{"smtp.idle_timeout", positiveDuration(c.SMTP.IdleTimeout)},
		{"smtp.unsubscribe_mailto", address(c.SMTP.UnsubscribeMailto, false)},
		{"dkim.key_file", existingFile(c.DKIM.KeyFile)},
		{"dkim.domain", requiredWith(c.DKIM.Domain, c.DKIM.KeyFile, "dkim.key_file")},
		{"dkim.selector", requiredWith(c.DKIM.Selector, c.DKIM.KeyFile, "dkim.key_file")},
		{"web.listen", listenAddr(c.Web.Listen)},
		{"web.base_url", httpURL(c.Web.BaseURL)},
		{"web.secret_key", secretKey(c.Web.SecretKey)},
		{"web.secret_key_file", oneLine(c.Web.SecretKeyFile)},
		{"web.ops_listen", listenAddr(c.Web.OpsListen)},
		{"web.trusted_proxies", cidrs(c.Web.TrustedProxies)},
		{"web.read_header_timeout", positiveDuration(c.Web.ReadHeaderTimeout)},
		{"web.read_timeout", positiveDuration(c.Web.ReadTimeout)},
		{"web.write_timeout", positiveDuration(c.Web.WriteTimeout)},
		{"web.idle_timeout", positiveDuration(c.Web.IdleTimeout)},
		{"web.max_body_bytes", positive64(c.Web.MaxBodyBytes)},
		{"web.import_timeout", positiveDuration(c.Web.ImportTimeout)},
		{"web.max_import_bytes", positive64(c.Web.MaxImportBytes)},
		{"schedule.spec", cronSpec(c.Schedule.Spec, c.Schedule.Timezone)},
		{"schedule.timezone", timezone(c.Schedule.Timezone)},
		{"schedule.catch_up_window", notNegativeDuration(c.Schedule.CatchUpWindow)},
		{"schedule.retry_interval", positiveDuration(c.Schedule.RetryInterval)},
		{"schedule.require_approval", nil}, // true or false, checked as it is read
		{"schedule.approvers", addresses(c.Schedule.Approvers)},
		{"newsletter.name", first(nonEmpty(c.Newsletter.Name), oneLine(c.Newsletter.Name))},
		{"newsletter.product_name", nonEmpty(c.Newsletter.ProductName)},
		{"newsletter.product_url", httpURL(c.Newsletter.ProductURL)},
		{"newsletter.logo_url", optional(c.Newsletter.LogoURL, httpURL)},
		{"newsletter.title_format", titleFormat(c.Newsletter.TitleFormat)},
		{"newsletter.intro", wording(c.Newsletter.Intro)},
		{"newsletter.outro", wording(c.Newsletter.Outro)},
		{"newsletter.org_address", nonEmpty(c.Newsletter.OrgAddress)},
		{"newsletter.reason", nonEmpty(c.Newsletter.Reason)},
		{"newsletter.templates_dir", optional(c.Newsletter.TemplatesDir, directory)},
		{"newsletter.list_id", listID(c.Newsletter.ListID)},
		{"content.default_kind", nonEmpty(c.Content.DefaultKind)},
		{"content.max_summary", positive(c.Content.MaxSummary)},
		{"content.max_items", positive(c.Content.MaxItems)},
		{"content.min_items", notNegative(c.Content.MinItems)},
		{"content.quiet_month", oneOf(c.Content.QuietMonth, "skip", "send")},
		{"content.max_import_bytes", positive(int(c.Content.MaxImportBytes))},
		{"content.poll_interval", positiveDuration(c.Content.PollInterval)},
		{"content.source_grace", notNegativeDuration(c.Content.SourceGrace)},
		{"sending.connections", positive(c.Sending.Connections)},
		{"sending.rate_per_second", notNegativeFloat(c.Sending.RatePerSecond)},
		{"sending.batch_size", positive(c.Sending.BatchSize)},
		{"sending.max_attempts", positive(c.Sending.MaxAttempts)},
		{"sending.lease", positiveDuration(c.Sending.Lease)},
		{"sending.retry_base", positiveDuration(c.Sending.RetryBase)},
		{"sending.retry_max", positiveDuration(c.Sending.RetryMax)},
		{"sending.bounce_threshold", positive(c.Sending.BounceThreshold)},
		{"sending.dead_after", positiveDuration(c.Sending.DeadAfter)},
		{"sending.outage_probe_max", positiveDuration(c.Sending.OutageProbeMax)},
		{"log.level", oneOf(c.Log.Level, "debug", "info", "warn", "error")},
		{"log.format", oneOf(c.Log.Format, "text", "json")},
		{"console.session_idle", positiveDuration(c.Console.SessionIdle)},
		{"console.session_lifetime", positiveDuration(c.Console.SessionLifetime)},
		{"console.login_window", positiveDuration(c.Console.LoginWindow)},
		{"console.login_failures_per_account", positive(c.Console.LoginFailuresPerAccount)},
		{"console.login_failures_per_client", positive(c.Console.LoginFailuresPerClient)},
	}
	checks = append(checks, c.Bounces.checks()...)
	return append(checks, c.Compliance.checks()...)
}

// keyCheck is one setting's validation result.
type keyCheck struct {
	key string
	err error
}

// Location is the schedule's time zone (validated by Load).
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Schedule.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// RequireSecret fails when no secret key is configured; only commands that
// sign links (serve, send) need one.
func (c Config) RequireSecret() error {
	if c.Web.SecretKey == "" {
		return &KeyError{Key: "web.secret_key", Env: "ENEWS_WEB_SECRET_KEY",
			Reason: "required to sign unsubscribe and confirmation links: set ENEWS_WEB_SECRET_KEY (at least 32 characters) or web.secret_key_file"}
	}
	return nil
}

// NewKeyError is a KeyError for key, naming its environment variable.
func NewKeyError(key, reason string) *KeyError {
	return &KeyError{Key: key, Env: envName(key), Reason: reason}
}

func envName(key string) string {
	return "ENEWS_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func checkDatabaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("want postgres://user@host:port/dbname?sslmode=disable, got scheme %q", u.Scheme)
	}
	if u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return fmt.Errorf("want postgres://user@host:port/dbname, missing host or database name")
	}
	return nil
}

// redactURL hides the password of a database URL, in its userinfo and in
// its query (?password=, ?sslpassword=), or of a key=value connection
// string.
func redactURL(s string) string {
	if !strings.Contains(s, "://") {
		// password=... in a key=value connection string, quoted or not.
		secret := regexp.MustCompile(`(?i)(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
		return secret.ReplaceAllString(s, "${1}xxxxx")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	q := u.Query()
	for k := range q {
		if isSecretParam(k) {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

func isSecretParam(k string) bool {
	k = strings.ToLower(k)
	return k == "password" || k == "sslpassword"
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("must not be empty")
	}
	return nil
}

func positive(n int) error {
	if n <= 0 {
		return fmt.Errorf("want a number above 0, got %d", n)
	}
	return nil
}

func notNegative(n int) error {
	if n < 0 {
		return fmt.Errorf("want 0 or more, got %d", n)
	}
	return nil
}

func notNegativeFloat(f float64) error {
	if f < 0 {
		return fmt.Errorf("want 0 (unlimited) or more, got %v", f)
	}
	return nil
}

func positiveDuration(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("want a duration above 0 like 30s, got %s", d)
	}
	return nil
}

func notNegativeDuration(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("want 0 or a duration like 5m, got %s", d)
	}
	return nil
}

func portNumber(p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("want a port between 1 and 65535, got %d", p)
	}
	return nil
}

func oneOf(s string, allowed ...string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return fmt.Errorf("want one of %s, got %q", strings.Join(allowed, ", "), s)
}

func address(s string, required bool) error {
	if s == "" {
		if required {
			return fmt.Errorf("must not be empty")
		}
		return nil
	}
	if strings.ContainsAny(s, "\r\n") {
		return fmt.Errorf("must not contain line breaks")
	}
	if _, err := mail.ParseAddress(s); err != nil {
		return fmt.Errorf("want an address like \"Name <news@example.org>\": %v", err)
	}
	return nil
}

func requiredWith(v, other, otherKey string) error {
	if other != "" && v == "" {
		return fmt.Errorf("required when %s is set", otherKey)
	}
	return nil
}

// cidrs checks each entry is a CIDR such as 10.0.0.0/8 or a single
// address.
func cidrs(list []string) error {
	for _, c := range list {
		if _, err := ParsePrefix(c); err != nil {
			return err
		}
	}
	return nil
}

// ParsePrefix reads a CIDR, or a single address as its /32 or /128.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8 or an address", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func positive64(n int64) error {
	if n <= 0 {
		return fmt.Errorf("want a number above 0, got %d", n)
	}
	return nil
}

func listenAddr(s string) error {
	if _, _, err := net.SplitHostPort(s); err != nil {
		return fmt.Errorf("want host:port like 127.0.0.1:8080: %v", err)
	}
	return nil
}

func httpURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL like https://news.example.org, got %q", s)
	}
	return nil
}

func secretKey(s string) error {
	if s != "" && len(s) < 32 {
		return fmt.Errorf("want at least 32 characters, got %d", len(s))
	}
	return nil
}

func cronSpec(spec, zone string) error {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil // schedule.timezone reports it
	}
	_, err = cronspec.Parse(spec, loc)
	return err
}

func timezone(s string) error {
	if _, err := time.LoadLocation(s); err != nil || s == "" {
		return fmt.Errorf("want an IANA zone like Europe/Zurich, got %q", s)
	}
	return nil
}

// first is the first of errs that is not nil.
func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func oneLine(s string) error {
	if strings.ContainsAny(s, "\r\n") {
		return fmt.Errorf("must be one line")
	}
	return nil
}

// optional runs check on s unless s is empty.
func optional(s string, check func(string) error) error {
	if s == "" {
		return nil
	}
	return check(s)
}

func hostName(s string) error {
	if strings.ContainsAny(s, " \t\r\n<>@/") {
		return fmt.Errorf("want a host name like mail.example.org, got %q", s)
	}
	return nil
}

func existingFile(s string) error {
	if s == "" {
		return nil
	}
	fi, err := os.Stat(s)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", s, errors.Unwrap(err))
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory, want a file", s)
	}
	return nil
}

func directory(s string) error {
	fi, err := os.Stat(s)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", s, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", s)
	}
	return nil
}

func addresses(list []string) error {
	for _, a := range list {
		if a == "" || strings.ContainsAny(a, "\r\n") {
			return fmt.Errorf("want addresses like ops@example.org, got %q", a)
		}
		if _, err := mail.ParseAddress(a); err != nil {
			return fmt.Errorf("want addresses like ops@example.org, got %q", a)
		}
	}
	return nil
}

// wording is an intro or outro: text that may use {{.Month}}, {{.Year}}
// and {{.Product}}.
func wording(s string) error {
	if _, err := template.New("wording").Parse(s); err != nil {
		return fmt.Errorf("not a valid template: %v", err)
	}
	return nil
}

func titleFormat(s string) error {
	if _, err := template.New("title").Parse(s); err != nil || strings.TrimSpace(s) == "" {
		return fmt.Errorf("want a template like \"eNewsUpdate — {{.Month}} {{.Year}}\", got %q", s)
	}
	return nil
}

func listID(s string) error {
	if s == "" || strings.ContainsAny(s, " <>\r\n") || !strings.Contains(s, ".") {
		return fmt.Errorf("want a dotted id like enewsupdate.example.org, got %q", s)
	}
	return nil
}
