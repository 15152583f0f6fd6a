// Package compliance makes an issue's receipt: a record, checked just
// before the issue sends, that it meets the bulk-sender rules of the large
// mailbox providers (https one-click unsubscribe that answers, DKIM that
// verifies and covers the list headers, SPF, DKIM and DMARC records that
// exist and align, a List-Id, the visible unsubscribe link, suppressions,
// unsubscribes processed at once).
package compliance

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"golang.org/x/net/publicsuffix"

	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// Item is one line of a receipt.
type Item struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Blocking bool   `json:"blocking"` // a failure blocks the send
	Detail   string `json:"detail"`
}

// Receipt is the outcome of one check of one issue.
type Receipt struct {
	Period  string    `json:"period"`
	IssueID int64     `json:"issue_id"`
	At      time.Time `json:"at"`
	Passed  bool      `json:"passed"` // every blocking item is OK
	Forced  bool      `json:"forced"` // sent despite a failure (--force)
	Actor   string    `json:"actor"`
	Items   []Item    `json:"items"`
}

// Failed lists the blocking items that failed.
func (r Receipt) Failed() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Blocking && !it.OK {
			out = append(out, it)
		}
	}
	return out
}

// Store reads the counts.
type Store interface {
	ComplianceCounts(ctx context.Context) (store.ListCounts, error)
}

// Mailer builds a signed sample message (mailer.Pool).
type Mailer interface {
	Signed(m *mailer.Message) ([]byte, error)
	DKIMSigning() (domain, selector string, ok bool)
}

// Config is what the checks compare against.
type Config struct {
	BaseURL string // web.base_url
	From    string // the From address
	// ReturnPathDomain is the envelope sender's domain (bounces.domain,
	// else the From domain): SPF is checked there.
	ReturnPathDomain string
	ListID           string
	ListName         string
	// ProbeUnsubscribeURL is a genuine one-click URL for a subscriber that
	// cannot exist: a POST reaches the store and changes nothing.
	ProbeUnsubscribeURL string
	UnsubscribeMailto   string // the sample's mailto, if any
	HTTP                *http.Client
	Now                 func() time.Time
}

// Checker runs the checks.
type Checker struct {
	cfg    Config
	dns    *Resolver
	mailer Mailer
	store  Store
}

// NewChecker wires a checker.
func NewChecker(cfg Config, r *Resolver, m Mailer, st Store) *Checker {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Checker{cfg: cfg, dns: r, mailer: m, store: st}
}

// Run checks is and returns its receipt (not stored).
func (c *Checker) Run(ctx context.Context, is newsletter.Issue) (Receipt, error) {
	rec := Receipt{Period: is.Period.String(), IssueID: is.ID, At: c.cfg.Now().UTC()}
	add := func(name string, blocking, ok bool, detail string) {
		rec.Items = append(rec.Items, Item{Name: name, Blocking: blocking, OK: ok, Detail: detail})
	}
	u, err := url.Parse(c.cfg.BaseURL)
	add("https base URL", true, err == nil && u.Scheme == "https", c.cfg.BaseURL)
	ok, detail := c.oneClick(ctx)
	add("one-click unsubscribe answers a POST", true, ok, detail)
	add("List-Id set", true, c.cfg.ListID != "" && !strings.HasSuffix(c.cfg.ListID, ".localhost"),
		"List-Id <"+c.cfg.ListID+">")
	inHTML := strings.Contains(is.HTML, digest.TokenUnsubscribeURL)
	inText := strings.Contains(is.Text, digest.TokenUnsubscribeURL)
	add("unsubscribe link in both parts", true, inHTML && inText, partsDetail(inHTML, inText))
	c.authChecks(ctx, is, add)
	counts, err := c.store.ComplianceCounts(ctx)
	if err != nil {
		return rec, err
	}
	add("suppressions", false, true, suppressionDetail(counts))
	add("unsubscribes processed", true, pendingOK(counts, c.cfg.Now()), pendingDetail(counts, c.cfg.Now()))
	rec.Passed = len(rec.Failed()) == 0
	return rec, nil
}

// oneClick posts RFC 8058's body to the probe URL: 200 or 404 (a genuine
// token for nobody) shows the endpoint is reached and checks signatures.
func (c *Checker) oneClick(ctx context.Context) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.ProbeUnsubscribeURL,
		strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		return false, err.Error()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		// url.Error repeats the URL, token included: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return false, "POST " + redactToken(c.cfg.ProbeUnsubscribeURL) + ": " + err.Error()
	}
	_ = resp.Body.Close()
	ok := resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNotFound
	return ok, "POST " + redactToken(c.cfg.ProbeUnsubscribeURL) + ": " + resp.Status
}

func redactToken(u string) string {
	if i := strings.LastIndexByte(u, '/'); i >= 0 {
		return u[:i+1] + "…"
	}
	return u
}

// authChecks: DKIM configured and verifying over both list headers; SPF,
// DKIM selector and DMARC records; DMARC alignment.
func (c *Checker) authChecks(ctx context.Context, is newsletter.Issue, add func(string, bool, bool, string)) {
	fromDomain := domainOf(c.cfg.From)
	dkimDomain, selector, signing := c.mailer.DKIMSigning()
	dkimDetail := "not configured: set dkim.key_file, dkim.domain and dkim.selector"
	if signing {
		dkimDetail = "selector " + selector + ", domain " + dkimDomain
	}
	add("DKIM configured", true, signing, dkimDetail)
	if signing {
		ok, detail := c.verifySample(ctx, is)
		add("DKIM signature verifies and covers List-Unsubscribe and List-Unsubscribe-Post", true, ok, detail)
		recs, err := c.dns.TXT(ctx, selector+"._domainkey."+dkimDomain)
		p := ""
		if len(recs) > 0 {
			p, _ = tag(recs[0], "p")
		}
		add("DKIM selector record", true, err == nil && p != "", dnsDetail(selector+"._domainkey."+dkimDomain, recs, err))
	}
	spfName := c.cfg.ReturnPathDomain
	spf, err := c.dns.TXT(ctx, spfName)
	spf = tagged(spf, "v=spf1")
	add("SPF record of the return path", true, err == nil && len(spf) == 1, dnsDetail(spfName, spf, err))
	dmarcName := "_dmarc." + fromDomain
	dmarc, err := c.dns.TXT(ctx, dmarcName)
	if org := orgDomain(fromDomain); err != nil && org != fromDomain {
		dmarcName = "_dmarc." + org
		dmarc, err = c.dns.TXT(ctx, dmarcName)
	}
	dmarc = tagged(dmarc, "v=dmarc1")
	add("DMARC record", true, err == nil && len(dmarc) == 1, dnsDetail(dmarcName, dmarc, err))
	var policy string
	if len(dmarc) == 1 {
		policy = dmarc[0]
	}
	ok, detail := aligned(policy, fromDomain, dkimDomain, signing, c.cfg.ReturnPathDomain)
	add("DMARC alignment", true, ok, detail)
}

// verifySample signs a sample of the issue as subscribers get it and
// verifies it with go-msgauth, looking the key up through our resolver.
func (c *Checker) verifySample(ctx context.Context, is newsletter.Issue) (bool, string) {
	raw, err := c.mailer.Signed(&mailer.Message{
		To: "receipt@example.invalid", Subject: is.Subject, Text: []byte(is.Text), HTML: []byte(is.HTML),
		MessageID: mailer.MessageID(is.ID, 0, c.cfg.ListID), UnsubscribeURL: c.cfg.ProbeUnsubscribeURL,
		UnsubscribeMailto: c.cfg.UnsubscribeMailto, ListID: c.cfg.ListID, ListName: c.cfg.ListName,
	})
	if err != nil {
		return false, "sign a sample: " + err.Error()
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) { return c.dns.TXT(ctx, name) },
	})
	if err != nil || len(vs) != 1 {
		return false, "verify: " + errString(err)
	}
	v := vs[0]
	if v.Err != nil {
		return false, "verify: " + v.Err.Error()
	}
	covered := map[string]bool{}
	for _, k := range v.HeaderKeys {
		covered[strings.ToLower(k)] = true
	}
	if !covered["list-unsubscribe"] || !covered["list-unsubscribe-post"] {
		return false, "h= " + strings.Join(v.HeaderKeys, ":")
	}
	return true, "d=" + v.Domain + ", h=" + strings.Join(v.HeaderKeys, ":")
}

func errString(err error) string {
	if err == nil {
		return "no signature"
	}
	return err.Error()
}

// aligned: DMARC passes when DKIM's d= or SPF's domain aligns with the From
// domain, relaxed (same organizational domain) unless adkim/aspf=s.
func aligned(policy, from, dkimDomain string, signing bool, spfDomain string) (bool, string) {
	strictDKIM := tagIs(policy, "adkim", "s")
	strictSPF := tagIs(policy, "aspf", "s")
	dkimOK := signing && alignedDomain(dkimDomain, from, strictDKIM)
	spfOK := alignedDomain(spfDomain, from, strictSPF)
	detail := "From " + from + "; DKIM d=" + dkimDomain + " " + okWord(dkimOK) + "; SPF " + spfDomain + " " + okWord(spfOK)
	return dkimOK || spfOK, detail
}

func tagIs(policy, name, want string) bool {
	v, ok := tag(policy, name)
	return ok && strings.EqualFold(v, want)
}

func alignedDomain(d, from string, strict bool) bool {
	d, from = strings.ToLower(d), strings.ToLower(from)
	if d == "" || from == "" {
		return false
	}
	if strict {
		return d == from
	}
	return orgDomain(d) == orgDomain(from)
}

func okWord(ok bool) string {
	if ok {
		return "aligned"
	}
	return "not aligned"
}

// orgDomain is the registrable domain (example.org for news.example.org).
func orgDomain(d string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(strings.TrimSuffix(d, ".")))
	if err != nil {
		return d
	}
	return org
}

func domainOf(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	_, d, _ := strings.Cut(addr, "@")
	return strings.ToLower(d)
}
