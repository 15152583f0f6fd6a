package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/enews/enews/internal/bounce"
	"github.com/enews/enews/internal/store"
)

// bounceAddresses builds the VERP and mailto addresses of bounces.domain.
func (a *app) bounceAddresses() (*bounce.Addresses, error) {
	s, err := a.signer()
	if err != nil {
		return nil, err
	}
	return bounce.NewAddresses(a.cfg.Bounces.Domain, s)
}

// bounceService applies the bounce policy; reg may be nil. Without
// bounces.domain it has no addresses (relay webhooks only).
func (a *app) bounceService(st *store.Store, reg prometheus.Registerer) (*bounce.Service, *bounce.Addresses, error) {
	b := a.cfg.Bounces
	var addrs *bounce.Addresses
	if b.Domain != "" {
		var err error
		if addrs, err = a.bounceAddresses(); err != nil {
			return nil, nil, err
		}
	}
	if err := a.cfg.RequireSecret(); err != nil { // the store hashes addresses with it
		return nil, nil, err
	}
	hard, complaint, err := b.PauseThresholds()
	if err != nil {
		return nil, nil, fmt.Errorf("bounces.pause_above: %w", err)
	}
	lifecycle, err := a.issues(st)
	if err != nil {
		return nil, nil, err
	}
	var obs bounce.Observer
	if reg != nil {
		obs = bounce.NewMetrics(reg)
	}
	svc := bounce.NewService(st, addrs, bounce.Config{
		Policy: store.BouncePolicy{HardThreshold: a.cfg.Sending.BounceThreshold, SoftThreshold: b.SoftThreshold, SoftWindow: b.SoftWindow},
		Pause:  bounce.Thresholds{Hard: hard, Complaint: complaint, MinSent: int64(b.PauseMinSent)},
	}, lifecycle, obs, a.log)
	return svc, addrs, nil
}

// bounceListener prepares the bounces role: the SMTP listener, and the
// hourly purge of raw reports older than bounces.keep_days.
func (a *app) bounceListener(st *store.Store, reg prometheus.Registerer) (func(context.Context) error, error) {
	b := a.cfg.Bounces
	if b.Domain == "" {
		return nil, fmt.Errorf("bounces: bounces.domain (ENEWS_BOUNCES_DOMAIN) must be set to receive bounces")
	}
	svc, addrs, err := a.bounceService(st, reg)
	if err != nil {
		return nil, err
	}
	l := bounce.NewListener(svc, addrs, bounce.ListenerConfig{MaxMessageBytes: b.MaxMessageBytes}, a.log)
	return func(ctx context.Context) error {
		ln, err := net.Listen("tcp", b.Listen)
		if err != nil {
			return fmt.Errorf("bounces: listen %s: %w", b.Listen, err)
		}
		a.log.Info("bounce listener", "addr", ln.Addr().String(), "domain", addrs.Domain())
		go a.purgeBounceReports(ctx, st)
		return l.Serve(ctx, ln)
	}, nil
}

func (a *app) purgeBounceReports(ctx context.Context, st *store.Store) {
	keep := time.Duration(a.cfg.Bounces.KeepDays) * 24 * time.Hour
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := st.PurgeBounceReports(ctx, time.Now().Add(-keep))
		if err != nil && ctx.Err() == nil {
			a.log.Warn("purge bounce reports", "err", err)
		} else if n > 0 {
			a.log.Info("purged bounce reports", "count", n, "keep_days", a.cfg.Bounces.KeepDays)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// webhooks is the /webhooks/ handler of the web role, or nil when no relay
// webhook is configured.
func (a *app) webhooks(st *store.Store, reg prometheus.Registerer) (http.Handler, error) {
	b := a.cfg.Bounces
	if !b.Webhooks() {
		return nil, nil
	}
	svc, _, err := a.bounceService(st, reg)
	if err != nil {
		return nil, err
	}
	return bounce.NewWebhooks(svc, bounce.WebhookConfig{
		GenericSecret: b.WebhookSecret, PostmarkUser: b.PostmarkUser, PostmarkPassword: b.PostmarkPassword,
		SendGridPublicKey: b.SendGridPublicKey, MailgunSigningKey: b.MailgunSigningKey, SESTopicARNs: b.SESTopicARNs,
	}, a.log).Handler(), nil
}
