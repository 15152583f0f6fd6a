// Package config loads enews settings from a YAML file and ENEWS_<SECTION>_<KEY>
// environment variables (the environment wins), fills local defaults and
// validates every value, naming the key that is wrong.
package config

import (
	"time"

	"github.com/enews/enews/internal/mailer"
)

// Config is every setting. The yaml tags are the keys of
// configs/enews.example.yaml; the environment name of database.url is
// ENEWS_DATABASE_URL.
type Config struct {
	Database   Database   `yaml:"database"`
	SMTP       SMTP       `yaml:"smtp"`
	DKIM       DKIM       `yaml:"dkim"`
	Web        Web        `yaml:"web"`
	Schedule   Schedule   `yaml:"schedule"`
	Newsletter Newsletter `yaml:"newsletter"`
	Content    Content    `yaml:"content"`
	Sending    Sending    `yaml:"sending"`
	Bounces    Bounces    `yaml:"bounces"`
	Compliance Compliance `yaml:"compliance"`
	Log        Log        `yaml:"log"`
	Console    Console    `yaml:"console"`
}

// Database is the PostgreSQL connection.
type Database struct {
	URL             string        `yaml:"url"`
	MaxOpenConns    int           `yaml:"max_open_conns"`
	MaxIdleConns    int           `yaml:"max_idle_conns"`
	ConnMaxLifetime time.Duration `yaml:"conn_max_lifetime"`
}

// SMTP is the outgoing mail server.
type SMTP struct {
	Host              string        `yaml:"host"`
	Port              int           `yaml:"port"`
	TLS               string        `yaml:"tls"`
	Username          string        `yaml:"username"`
	Password          string        `yaml:"password" secret:"true"`
	PasswordFile      string        `yaml:"password_file"`
	From              string        `yaml:"from"`
	ReplyTo           string        `yaml:"reply_to"`
	HeloName          string        `yaml:"helo_name"`
	ConnectTimeout    time.Duration `yaml:"connect_timeout"`
	CommandTimeout    time.Duration `yaml:"command_timeout"`
	DataTimeout       time.Duration `yaml:"data_timeout"`
	FinalTimeout      time.Duration `yaml:"final_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	UnsubscribeMailto string        `yaml:"unsubscribe_mailto"`
}

// DKIM signs outgoing mail when KeyFile is set.
type DKIM struct {
	Domain   string `yaml:"domain"`
	Selector string `yaml:"selector"`
	KeyFile  string `yaml:"key_file"`
}

// Web is the HTTP server and the links in emails.
type Web struct {
	Listen        string `yaml:"listen"`
	BaseURL       string `yaml:"base_url"`
	SecretKey     string `yaml:"secret_key" secret:"true"`
	SecretKeyFile string `yaml:"secret_key_file"`
	// OpsListen serves /metrics and /statusz (with /healthz and /readyz),
	// apart from the public listener.
	OpsListen string `yaml:"ops_listen"`
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed.
	TrustedProxies    []string      `yaml:"trusted_proxies"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	MaxBodyBytes      int64         `yaml:"max_body_bytes"`
	ImportTimeout     time.Duration `yaml:"import_timeout"`
	MaxImportBytes    int64         `yaml:"max_import_bytes"`
}

// Schedule says when the monthly issue is made.
type Schedule struct {
	Spec            string        `yaml:"spec"`
	Timezone        string        `yaml:"timezone"`
	CatchUpWindow   time.Duration `yaml:"catch_up_window"`
	RequireApproval bool          `yaml:"require_approval"`
	Approvers       []string      `yaml:"approvers"`
	// RetryInterval is the first wait before a failed check, or an issue
	// waiting for its sources, is tried again; it doubles up to an hour.
	RetryInterval time.Duration `yaml:"retry_interval"`
}

// Newsletter is the wording and branding of the eNewsUpdate.
type Newsletter struct {
	Name         string `yaml:"name"`
	ProductName  string `yaml:"product_name"`
	ProductURL   string `yaml:"product_url"`
	LogoURL      string `yaml:"logo_url"`
	TitleFormat  string `yaml:"title_format"`
	Intro        string `yaml:"intro"`
	Outro        string `yaml:"outro"`
	OrgAddress   string `yaml:"org_address"`
	Reason       string `yaml:"reason"`
	ListID       string `yaml:"list_id"`
	TemplatesDir string `yaml:"templates_dir"`
}

// Content is how items are imported and collected.
type Content struct {
	DefaultKind    string `yaml:"default_kind"`
	MaxSummary     int    `yaml:"max_summary"`
	MaxItems       int    `yaml:"max_items"`
	MinItems       int    `yaml:"min_items"`
	QuietMonth     string `yaml:"quiet_month"`
	MaxImportBytes int64  `yaml:"max_import_bytes"`
	// PollInterval is how often the leader fetches each enabled source.
	PollInterval time.Duration `yaml:"poll_interval"`
	// SourceGrace is how long a due issue waits for failing sources before
	// it is made from what is there, with a warning naming them.
	SourceGrace time.Duration `yaml:"source_grace"`
}

// Sending tunes the delivery engine.
type Sending struct {
	Connections     int           `yaml:"connections"`
	RatePerSecond   float64       `yaml:"rate_per_second"`
	BatchSize       int           `yaml:"batch_size"`
	MaxAttempts     int           `yaml:"max_attempts"`
	Lease           time.Duration `yaml:"lease"`
	RetryBase       time.Duration `yaml:"retry_base"`
	RetryMax        time.Duration `yaml:"retry_max"`
	BounceThreshold int           `yaml:"bounce_threshold"`
	DeadAfter       time.Duration `yaml:"dead_after"`
	OutageProbeMax  time.Duration `yaml:"outage_probe_max"`
}

// Console is the staff and ops console under /admin/.
type Console struct {
	SessionIdle             time.Duration `yaml:"session_idle"`
	SessionLifetime         time.Duration `yaml:"session_lifetime"`
	LoginWindow             time.Duration `yaml:"login_window"`
	LoginFailuresPerAccount int           `yaml:"login_failures_per_account"`
	LoginFailuresPerClient  int           `yaml:"login_failures_per_client"`
}

// Log is the log output.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Default is the configuration that works on a developer machine with
// `make run`: local Postgres on port 54329 and Mailpit on 1025.
func Default() Config {
	return Config{
		Database: Database{
			URL:             "postgres://postgres@127.0.0.1:54329/enews?sslmode=disable",
			MaxOpenConns:    20,
			MaxIdleConns:    10,
			ConnMaxLifetime: 30 * time.Minute,
		},
		SMTP: SMTP{
			Host: "127.0.0.1", Port: 1025, TLS: "none",
			From:           "eNewsUpdate <enews@localhost>",
			ConnectTimeout: mailer.DefaultConnectTimeout, CommandTimeout: mailer.DefaultCommandTimeout,
			DataTimeout: mailer.DefaultDataTimeout, FinalTimeout: mailer.DefaultFinalTimeout,
			IdleTimeout: mailer.DefaultIdleTimeout,
		},
		DKIM: DKIM{Selector: "enews"},
		Web: Web{Listen: "127.0.0.1:8080", BaseURL: "http://127.0.0.1:8080", OpsListen: "127.0.0.1:9090",
			ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
			IdleTimeout: 60 * time.Second, MaxBodyBytes: 1 << 20, ImportTimeout: 10 * time.Minute, MaxImportBytes: 256 << 20},
		Schedule: Schedule{
			Spec: "0 9 1 * *", Timezone: "Europe/Zurich", CatchUpWindow: 7 * 24 * time.Hour, RetryInterval: time.Minute,
		},
		Newsletter: Newsletter{
			Name: "eNewsUpdate", ProductName: "ILO COOP", ProductURL: "https://www.ilo.org/empent/areas/coop",
			TitleFormat: "eNewsUpdate — {{.Month}} {{.Year}}",
			Intro:       "Recent news and developments on cooperatives and the wider social and solidarity economy.",
			Outro:       "Thank you for reading. Forward this email to colleagues who may be interested.",
			OrgAddress:  "International Labour Organization, Route des Morillons 4, 1211 Geneva 22, Switzerland",
			Reason:      "You receive this email because you subscribed to the eNewsUpdate.",
			ListID:      "enewsupdate.localhost",
		},
		Content: Content{
			DefaultKind: "News", MaxSummary: 400, MaxItems: 30, MinItems: 1,
			QuietMonth: "skip", MaxImportBytes: 10 << 20, PollInterval: time.Hour, SourceGrace: 6 * time.Hour,
		},
		Sending: Sending{
			Connections: 4, RatePerSecond: 0, BatchSize: 100, MaxAttempts: 8,
			Lease: 2 * time.Minute, RetryBase: 30 * time.Second, RetryMax: 6 * time.Hour,
			BounceThreshold: 1, DeadAfter: 5 * time.Second, OutageProbeMax: 30 * time.Second,
		},
		Bounces:    defaultBounces(),
		Compliance: Compliance{BeforeSend: "block", DNSTimeout: 5 * time.Second},
		Log:        Log{Level: "info", Format: "text"},
		Console: Console{
			SessionIdle: time.Hour, SessionLifetime: 12 * time.Hour,
			LoginWindow: 15 * time.Minute, LoginFailuresPerAccount: 5, LoginFailuresPerClient: 20,
		},
	}
}
