// Package bounce closes the loop after a message leaves: it gives every
// delivery its own return path (VERP) and mailto unsubscribe address, reads
// what comes back (delivery status notifications, ARF complaints, mailto
// unsubscribes, relay webhooks), attributes each to its delivery and applies
// the bounce policy through the store.
package bounce

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/signing"
)

// Local-part prefixes of the addresses enews receives mail for.
const (
	bouncePrefix      = "bounces"
	unsubscribePrefix = "unsubscribe"
)

// Address kinds Parse tells apart.
const (
	AddressBounce      = "bounce"
	AddressUnsubscribe = "unsubscribe"
)

// Addresses builds and reads the per-delivery addresses under one domain
// (bounces.domain), whose MX points at enews' bounce listener.
type Addresses struct {
	domain string
	signer *signing.Signer
}

// NewAddresses checks domain and keeps the signer whose secret makes the
// tokens.
func NewAddresses(domain string, signer *signing.Signer) (*Addresses, error) {
	domain = strings.ToLower(strings.TrimSpace(domain))
	if domain == "" || !strings.Contains(domain, ".") || strings.ContainsAny(domain, "@ <>\r\n") {
		return nil, fmt.Errorf("%w: bounce domain %q: want a domain like bounces.example.org", newsletter.ErrInvalid, domain)
	}
	return &Addresses{domain: domain, signer: signer}, nil
}

// Domain is the bounce domain.
func (a *Addresses) Domain() string { return a.domain }

// ReturnPath is the envelope sender of one delivery: bounces+TOKEN@domain.
func (a *Addresses) ReturnPath(issueID, subscriberID int64) string {
	return bouncePrefix + "+" + a.signer.SignDelivery(signing.PurposeBounce, issueID, subscriberID) + "@" + a.domain
}

// UnsubscribeMailto is the mailto: URI for List-Unsubscribe: a message to
// unsubscribe+TOKEN@domain unsubscribes that subscriber.
func (a *Addresses) UnsubscribeMailto(issueID, subscriberID int64) string {
	return "mailto:" + unsubscribePrefix + "+" + a.signer.SignDelivery(signing.PurposeMailtoUnsubscribe, issueID, subscriberID) +
		"@" + a.domain + "?subject=unsubscribe"
}

// Recipient is what an address of ours names.
type Recipient struct {
	Kind         string // AddressBounce or AddressUnsubscribe
	IssueID      int64  // 0 for the bare bounce address
	SubscriberID int64
}

// Errors from Parse. ErrNotOurs: another domain or local part, which the
// listener refuses with 550. ErrForged: our address with a token that does
// not verify.
var (
	ErrNotOurs = fmt.Errorf("%w: not an address of the bounce domain", newsletter.ErrInvalid)
	ErrForged  = fmt.Errorf("%w: address token does not verify", newsletter.ErrInvalid)
)

// Parse reads an address (bare or with a name). The bare bounces@domain is
// accepted with no delivery: some feedback loops and relays send there.
func (a *Addresses) Parse(addr string) (Recipient, error) {
	if p, err := mail.ParseAddress(addr); err == nil {
		addr = p.Address
	}
	local, domain, ok := strings.Cut(strings.TrimSpace(addr), "@")
	if !ok || !strings.EqualFold(domain, a.domain) {
		return Recipient{}, ErrNotOurs
	}
	prefix, token, hasToken := strings.Cut(local, "+")
	var kind, purpose string
	switch strings.ToLower(prefix) {
	case bouncePrefix:
		kind, purpose = AddressBounce, signing.PurposeBounce
	case unsubscribePrefix:
		kind, purpose = AddressUnsubscribe, signing.PurposeMailtoUnsubscribe
	default:
		return Recipient{}, ErrNotOurs
	}
	if !hasToken {
		if kind == AddressBounce {
			return Recipient{Kind: kind}, nil
		}
		return Recipient{}, ErrNotOurs
	}
	issue, sub, err := a.signer.VerifyDelivery(purpose, token)
	if err != nil {
		return Recipient{}, ErrForged
	}
	return Recipient{Kind: kind, IssueID: issue, SubscriberID: sub}, nil
}
