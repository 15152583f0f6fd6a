package compliance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver looks up TXT records from one DNS server: the configured one,
// or the first of the system's (/etc/resolv.conf). Tests point it at a
// local server.
type Resolver struct {
	server  string
	timeout time.Duration
}

// errNoRecord: the name exists with no TXT record, or does not exist.
var errNoRecord = errors.New("no TXT record")

// NewResolver uses server ("host:port"); "" reads the system's resolver.
func NewResolver(server string, timeout time.Duration) (*Resolver, error) {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if server == "" {
		cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(cc.Servers) == 0 {
			return nil, fmt.Errorf("compliance: no DNS resolver configured and none in /etc/resolv.conf: %v", err)
		}
		server = net.JoinHostPort(cc.Servers[0], cc.Port)
	}
	return &Resolver{server: server, timeout: timeout}, nil
}

// TXT returns the TXT strings of name, each record's strings joined.
func (r *Resolver) TXT(ctx context.Context, name string) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	m.RecursionDesired = true
	c := &dns.Client{Timeout: r.timeout}
	in, _, err := c.ExchangeContext(ctx, m, r.server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, r.server)
	}
	if err != nil {
		return nil, fmt.Errorf("compliance: TXT %s: %w", name, err)
	}
	switch in.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return nil, fmt.Errorf("compliance: TXT %s: %s", name, dns.RcodeToString[in.Rcode])
	}
	var out []string
	for _, rr := range in.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", name, errNoRecord)
	}
	return out, nil
}

// tagged returns the records starting with prefix (case-insensitive), e.g.
// "v=spf1".
func tagged(records []string, prefix string) []string {
	var out []string
	for _, r := range records {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(r)), prefix) {
			out = append(out, r)
		}
	}
	return out
}

// tag reads one tag of a DKIM or DMARC record ("p", "adkim").
func tag(record, name string) (string, bool) {
	for _, part := range strings.Split(record, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
