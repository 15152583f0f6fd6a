package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/enews/enews/internal/config"
	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/outbox"
	"github.com/enews/enews/internal/signing"
	"github.com/enews/enews/internal/store"
)

// templatesOverride returns newsletter.templates_dir/sub (a directory laid
// out like templates/: email/ for the theme, web/ for the pages) when it
// exists, else nil: the embedded files.
func (a *app) templatesOverride(sub string) fs.FS {
	d := a.cfg.Newsletter.TemplatesDir
	if d == "" {
		return nil
	}
	if fi, err := os.Stat(filepath.Join(d, sub)); err != nil || !fi.IsDir() {
		return nil
	}
	return os.DirFS(filepath.Join(d, sub))
}

// theme is the email theme.
func (a *app) theme() fs.FS { return a.templatesOverride("email") }

func (a *app) renderer() (*digest.Renderer, error) {
	n := a.cfg.Newsletter
	r, err := digest.NewRenderer(digest.Config{
		ProductName: n.ProductName, ProductURL: n.ProductURL, LogoURL: n.LogoURL,
		TitleFormat: n.TitleFormat, Intro: n.Intro, Outro: n.Outro,
		OrgAddress: n.OrgAddress, Reason: n.Reason, Location: a.cfg.Location(),
	}, a.theme())
	// The setting behind each digest.Config field, so a message names it.
	keys := map[string]string{
		"ProductName": "newsletter.product_name", "ProductURL": "newsletter.product_url",
		"LogoURL": "newsletter.logo_url", "TitleFormat": "newsletter.title_format",
		"Intro": "newsletter.intro", "Outro": "newsletter.outro",
		"OrgAddress": "newsletter.org_address", "Reason": "newsletter.reason",
	}
	var ce *digest.ConfigError
	if errors.As(err, &ce) {
		if key, ok := keys[ce.Field]; ok {
			return nil, config.NewKeyError(key, ce.Err.Error())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("newsletter: %w", err)
	}
	return r, nil
}

// issues is the issue lifecycle service every command and role goes through.
func (a *app) issues(st *store.Store) (*issues.Service, error) {
	r, err := a.renderer()
	if err != nil {
		return nil, err
	}
	c := a.cfg.Content
	return issues.New(st, r, issues.Policy{
		Location: a.cfg.Location(), MaxItems: c.MaxItems, MinItems: c.MinItems,
		SendQuietMonths: c.QuietMonth == "send", RequireApproval: a.cfg.Schedule.RequireApproval,
	}, a.log, nil), nil
}

func (a *app) signer() (*signing.Signer, error) {
	if err := a.cfg.RequireSecret(); err != nil {
		return nil, err
	}
	return signing.New([]byte(a.cfg.Web.SecretKey))
}

func (a *app) links() (*links.Links, error) {
	s, err := a.signer()
	if err != nil {
		return nil, err
	}
	return links.New(a.cfg.Web.BaseURL, s), nil
}

func (a *app) pool() (*mailer.Pool, error) {
	s := a.cfg.SMTP
	cfg := mailer.Config{
		Host: s.Host, Port: s.Port, TLS: s.TLS, Username: s.Username, Password: s.Password,
		From: s.From, ReplyTo: s.ReplyTo, ConnectTimeout: s.ConnectTimeout,
		CommandTimeout: s.CommandTimeout, DataTimeout: s.DataTimeout, FinalTimeout: s.FinalTimeout, IdleTimeout: s.IdleTimeout,
		Connections: a.cfg.Sending.Connections, RatePerSecond: a.cfg.Sending.RatePerSecond, HeloName: s.HeloName,
	}
	if d := a.cfg.DKIM; d.KeyFile != "" {
		cfg.DKIM = &mailer.DKIMConfig{Domain: d.Domain, Selector: d.Selector, KeyFile: d.KeyFile}
	}
	return mailer.NewPool(cfg, a.log)
}

func (a *app) mailSender(p *mailer.Pool, l *links.Links) (*delivery.MailSender, error) {
	n := a.cfg.Newsletter
	m := delivery.NewMailSender(p, l, n.ListID, n.ProductName, a.cfg.SMTP.UnsubscribeMailto)
	if a.cfg.Bounces.Domain == "" {
		return m, nil
	}
	addrs, err := a.bounceAddresses()
	if err != nil {
		return nil, err
	}
	return m.WithReturnAddresses(addrs), nil
}

// outbox sends transactional mail through the outbox table.
func (a *app) outbox(st *store.Store, p *mailer.Pool) *outbox.Outbox {
	return outbox.New(st, p, outbox.Options{MessageIDDomain: a.cfg.Newsletter.ListID}, a.log)
}

func (a *app) engineOptions() delivery.Options {
	s := a.cfg.Sending
	host, _ := os.Hostname()
	return delivery.Options{
		Owner: host + ":" + strconv.Itoa(os.Getpid()), BatchSize: s.BatchSize,
		RatePerSecond: s.RatePerSecond, Lease: s.Lease, MaxAttempts: s.MaxAttempts,
		RetryBase: s.RetryBase, RetryMax: s.RetryMax, BounceThreshold: s.BounceThreshold,
		DeadAfter: s.DeadAfter, OutageProbeMax: s.OutageProbeMax,
	}
}
