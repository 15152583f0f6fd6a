package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

func TestDefaultsAreValid(t *testing.T) {
	if _, err := Load("", nil); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	cfg, err := Load("", []string{
		"ENEWS_DATABASE_URL=postgres://u@db:5432/news?sslmode=disable",
		"ENEWS_SMTP_HOST=mail.example.org",
		"ENEWS_SMTP_PORT=2525",
		"ENEWS_SCHEDULE_TIMEZONE=America/New_York",
		"ENEWS_SENDING_RATE_PER_SECOND=12.5",
		"ENEWS_SENDING_LEASE=90s",
		"ENEWS_SCHEDULE_REQUIRE_APPROVAL=true",
		"ENEWS_SCHEDULE_APPROVERS=a@example.org, b@example.org",
		"OTHER=ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.URL != "postgres://u@db:5432/news?sslmode=disable" || cfg.SMTP.Host != "mail.example.org" ||
		cfg.SMTP.Port != 2525 || cfg.Schedule.Timezone != "America/New_York" || cfg.Sending.RatePerSecond != 12.5 ||
		cfg.Sending.Lease.Seconds() != 90 || !cfg.Schedule.RequireApproval || len(cfg.Schedule.Approvers) != 2 {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
}

func TestBadValuesNameTheKey(t *testing.T) {
	tests := []struct {
		name, env, wantKey string
	}{
		{"unparsable database url", "ENEWS_DATABASE_URL=::not a url", "database.url"},
		{"wrong scheme", "ENEWS_DATABASE_URL=mysql://x@y/z", "database.url"},
		{"port not a number", "ENEWS_SMTP_PORT=twenty", "smtp.port"},
		{"port out of range", "ENEWS_SMTP_PORT=70000", "smtp.port"},
		{"tls mode", "ENEWS_SMTP_TLS=maybe", "smtp.tls"},
		{"time zone", "ENEWS_SCHEDULE_TIMEZONE=Mars/Olympus", "schedule.timezone"},
		{"cron spec", "ENEWS_SCHEDULE_SPEC=every tuesday", "schedule.spec"},
		{"cron spec the scheduler cannot catch up", "ENEWS_SCHEDULE_SPEC=@every 1h", "schedule.spec"},
		{"time zone inside the cron spec", "ENEWS_SCHEDULE_SPEC=TZ=UTC 0 9 1 * *", "schedule.spec"},
		{"product url", "ENEWS_NEWSLETTER_PRODUCT_URL=www.ilo.org", "newsletter.product_url"},
		{"logo url", "ENEWS_NEWSLETTER_LOGO_URL=javascript:alert(1)", "newsletter.logo_url"},
		{"no postal address", "ENEWS_NEWSLETTER_ORG_ADDRESS= ", "newsletter.org_address"},
		{"intro template", "ENEWS_NEWSLETTER_INTRO={{.Month", "newsletter.intro"},
		{"approvers", "ENEWS_SCHEDULE_APPROVERS=ops@example.org, not an address", "schedule.approvers"},
		{"templates dir", "ENEWS_NEWSLETTER_TEMPLATES_DIR=/no/such/dir", "newsletter.templates_dir"},
		{"dkim key file", "ENEWS_DKIM_KEY_FILE=/no/such/key.pem", "dkim.key_file"},
		{"password without user", "ENEWS_SMTP_PASSWORD=hunter2", "smtp.username"},
		{"duration", "ENEWS_SENDING_LEASE=soon", "sending.lease"},
		{"short secret", "ENEWS_WEB_SECRET_KEY=short", "web.secret_key"},
		{"from with CRLF", "ENEWS_SMTP_FROM=a@b.org\r\nBcc: x@y.org", "smtp.from"},
		{"title format", "ENEWS_NEWSLETTER_TITLE_FORMAT=eNewsUpdate {{.Month", "newsletter.title_format"},
		{"list id", "ENEWS_NEWSLETTER_LIST_ID=News <x>", "newsletter.list_id"},
		{"base url", "ENEWS_WEB_BASE_URL=news.example.org", "web.base_url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", []string{tc.env})
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tc.wantKey {
				t.Fatalf("err = %v, want a KeyError for %s", err, tc.wantKey)
			}
			if !strings.Contains(err.Error(), tc.wantKey) || !strings.Contains(err.Error(), envName(tc.wantKey)) {
				t.Fatalf("message %q does not name %s and its variable", err, tc.wantKey)
			}
		})
	}
}

func TestMisspeltVariable(t *testing.T) {
	tests := []struct{ env, want string }{
		{"ENEWS_SMTP_HOTS=x", "ENEWS_SMTP_HOTS is not a setting: did you mean ENEWS_SMTP_HOST?"},
		{"ENEWS_DATABSE_URL=x", "ENEWS_DATABSE_URL is not a setting: did you mean ENEWS_DATABASE_URL?"},
		{"ENEWS_NOTHING_LIKE_IT_AT_ALL=x", "ENEWS_NOTHING_LIKE_IT_AT_ALL is not a setting"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			if _, err := Load("", []string{tt.env}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("variables that are not settings pass", func(t *testing.T) {
		if _, err := Load("", []string{"ENEWS_CONFIG=", "ENEWS_TEST_DATABASE_URL=x", "ENEWS_PG_FSYNC=off"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestEveryKeyIsValidated keeps Validate complete: each key the config
// loads has its check.
func TestEveryKeyIsValidated(t *testing.T) {
	cfg := Default()
	checked := map[string]bool{}
	for _, ch := range cfg.checks() {
		checked[ch.key] = true
	}
	for _, f := range fields(&cfg) {
		if !checked[f.key] {
			t.Errorf("%s has no check in Validate", f.key)
		}
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("file values, env wins", func(t *testing.T) {
		p := write("a.yaml", "smtp:\n  host: file.example.org\n  port: 587\n")
		cfg, err := Load(p, []string{"ENEWS_SMTP_PORT=2525"})
		if err != nil || cfg.SMTP.Host != "file.example.org" || cfg.SMTP.Port != 2525 {
			t.Fatalf("cfg=%+v err=%v", cfg.SMTP, err)
		}
	})
	t.Run("misspelt key", func(t *testing.T) {
		p := write("b.yaml", "smtp:\n  hots: x\n")
		if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "smtp.hots") ||
			!strings.Contains(err.Error(), "did you mean smtp.host?") {
			t.Fatalf("err = %v, want one naming smtp.hots and smtp.host", err)
		}
	})
	t.Run("bad value names the key, not a Go type", func(t *testing.T) {
		p := write("d.yaml", "smtp:\n  host: mail.example.org\n  port: x\n")
		_, err := Load(p, nil)
		if err == nil || !strings.Contains(err.Error(), `smtp.port (ENEWS_SMTP_PORT): want a whole number, got "x"`) ||
			!strings.Contains(err.Error(), "line 3") || strings.Contains(err.Error(), "int") {
			t.Fatalf("err = %v, want smtp.port named with its line", err)
		}
	})
	t.Run("block text keeps its lines", func(t *testing.T) {
		p := write("e.yaml", "newsletter:\n  org_address: |\n    ILO\n    Geneva\n")
		cfg, err := Load(p, nil)
		if err != nil || cfg.Newsletter.OrgAddress != "ILO\nGeneva\n" {
			t.Fatalf("org_address %q, %v", cfg.Newsletter.OrgAddress, err)
		}
	})
	t.Run("secret in file refused", func(t *testing.T) {
		p := write("c.yaml", "smtp:\n  password: hunter2\n")
		if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "smtp.password") {
			t.Fatalf("err = %v, want one naming smtp.password", err)
		}
	})
	t.Run("secret from file", func(t *testing.T) {
		key := write("key", strings.Repeat("k", 40)+"\n")
		cfg, err := Load("", []string{"ENEWS_WEB_SECRET_KEY_FILE=" + key})
		if err != nil || cfg.Web.SecretKey != strings.Repeat("k", 40) {
			t.Fatalf("secret=%q err=%v", cfg.Web.SecretKey, err)
		}
		out, err := cfg.Redacted()
		if err != nil || strings.Contains(string(out), "kkkk") || !strings.Contains(string(out), "REDACTED") {
			t.Fatalf("redacted output leaks or lacks marker:\n%s", out)
		}
	})
	t.Run("example config is valid", func(t *testing.T) {
		if _, err := Load("../../configs/enews.example.yaml", nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestExampleDocumentsEveryKey keeps configs/enews.example.yaml complete.
func TestExampleDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../configs/enews.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	for _, f := range fields(&cfg) {
		if f.secret {
			continue
		}
		_, key, _ := strings.Cut(f.key, ".")
		if !strings.Contains(string(b), "\n  "+key+":") {
			t.Errorf("configs/enews.example.yaml does not document %s", f.key)
		}
	}
}

func TestRedactedHidesDatabasePasswords(t *testing.T) {
	for _, tt := range []struct{ name, url string }{
		{"userinfo", "postgres://enews:hunter2@db:5432/enews"},
		{"query", "postgres://enews@db:5432/enews?sslmode=require&password=hunter2"},
		{"query, any case", "postgres://enews@db/enews?PASSWORD=hunter2&sslpassword=hunter2"},
		{"key=value", "host=db dbname=enews user=enews password=hunter2 sslmode=disable"},
		{"key=value, quoted", "host=db dbname=enews password='hun ter2' user=enews"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.Database.URL = tt.url
			out, err := cfg.Redacted()
			if err != nil || strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "ter2") || !strings.Contains(string(out), "enews") {
				t.Fatalf("redacted:\n%s (%v)", out, err)
			}
		})
	}
}

func TestSecretFilesMustBePrivate(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		mode os.FileMode
		ok   bool
	}{
		{"owner only", 0o600, true},
		{"owner read-only", 0o400, true},
		{"group readable", 0o640, false},
		{"world readable", 0o644, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(p, []byte(strings.Repeat("k", 40)), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := Load("", []string{"ENEWS_WEB_SECRET_KEY_FILE=" + p})
			if tt.ok && err != nil {
				t.Fatalf("private file refused: %v", err)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), "web.secret_key_file") || !strings.Contains(err.Error(), "readable by group or others")) {
				t.Fatalf("err = %v, want a refusal naming the key and the reason", err)
			}
		})
	}
}

// TestFieldsAreNamedAfterTheirKeys keeps Go fields and YAML keys alike, so
// a key found in the file is found in the code under the same words.
func TestFieldsAreNamedAfterTheirKeys(t *testing.T) {
	// Brand names written as one word in keys.
	oneWord := strings.NewReplacer("send_grid", "sendgrid", "web_hook", "webhook")
	root := reflect.TypeOf(Config{})
	for i := range root.NumField() {
		sec := root.Field(i)
		for j := range sec.Type.NumField() {
			f := sec.Type.Field(j)
			if got, want := oneWord.Replace(snake(f.Name)), f.Tag.Get("yaml"); got != want {
				t.Errorf("%s.%s is the key %s.%s: name one after the other", sec.Name, f.Name, sec.Tag.Get("yaml"), want)
			}
		}
	}
}

// snake turns a Go name into a key: ConnMaxLifetime → conn_max_lifetime,
// ProductURL → product_url, SESTopicARNs → ses_topic_arns.
func snake(name string) string {
	var b strings.Builder
	r := []rune(name)
	for i, c := range r {
		upper := unicode.IsUpper(c)
		if upper && i > 0 {
			prevLower := unicode.IsLower(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1]) && r[i+1] != 's'
			if prevLower || (nextLower && unicode.IsUpper(r[i-1])) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
