package bounce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// Store is what the service needs of the database.
type Store interface {
	RecordBounce(ctx context.Context, b store.Bounce, p store.BouncePolicy, c newsletter.Consent) (store.BounceResult, error)
	SubscriberByEmail(ctx context.Context, email string) (newsletter.Subscriber, error)
	DeliveryByMessageID(ctx context.Context, issueID, subscriberID int64, messageID string) error
	LatestDelivery(ctx context.Context, subscriberID int64) (int64, error)
	UnsubscribeSubscriber(ctx context.Context, id int64, c newsletter.Consent) (newsletter.Subscriber, bool, error)
	IssueBounceRates(ctx context.Context, issueID int64) (store.BounceRates, error)
	IssueStatus(ctx context.Context, id int64) (string, error)
}

// Pauser pauses a sending issue through the issue lifecycle, with a note
// saying why; paused is false when the issue was not sending
// (issues.Service).
type Pauser interface {
	PauseBecause(ctx context.Context, issueID int64, actor, note string) (paused bool, err error)
}

// Actor names the bounce policy in an issue's history.
const Actor = "bounces"

// Observer counts what the service did, for metrics.
type Observer interface {
	ObserveReport(channel, typ, outcome string)
	ObservePause()
}

// Thresholds are the rates above which a sending issue pauses itself.
type Thresholds struct {
	Hard, Complaint float64 // fractions: 0.05 is 5 %; 0 never pauses
	MinSent         int64   // no judgement before this many messages left
}

// Service attributes reports to deliveries and applies the policy.
type Service struct {
	store  Store
	addrs  *Addresses
	policy store.BouncePolicy
	pause  Thresholds
	pauser Pauser
	obs    Observer
	log    *slog.Logger
}

// Config is the service's settings.
type Config struct {
	Policy store.BouncePolicy
	Pause  Thresholds
}

// NewService wires the service. addrs may be nil (no bounce domain: relay
// webhooks only), obs too.
func NewService(st Store, addrs *Addresses, cfg Config, pauser Pauser, obs Observer, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, addrs: addrs, policy: cfg.Policy, pause: cfg.Pause, pauser: pauser, obs: obs, log: log}
}

// Event is one bounce or complaint from any channel.
type Event struct {
	Report
	Channel string // smtp, generic, postmark, sendgrid, mailgun, ses
	// Delivery is the (issue, subscriber) pair a verified token named: the
	// VERP address the report was sent to. Zero when there is none.
	Delivery Recipient
	// Key identifies the event for replays; empty derives one from Raw.
	Key string
	Raw string
}

// Outcome is what handling an event did.
type Outcome struct {
	IssueID, SubscriberID int64
	Replay                bool
	Status                string // the subscriber's status afterwards
	Changed               bool
	Paused                string // why the issue was paused, when it was
}

// ErrUnattributed: the report names no delivery or subscriber of ours.
var ErrUnattributed = fmt.Errorf("%w: report names no delivery or subscriber of this list", newsletter.ErrNotFound)

// Handle attributes ev (VERP token, then our Message-ID, then the
// recipient), stores it, applies the policy and, when the issue's rates
// cross a threshold during its send, pauses it.
func (s *Service) Handle(ctx context.Context, ev Event) (Outcome, error) {
	issueID, subID, err := s.attribute(ctx, ev)
	if err != nil {
		s.observe(ev.Channel, ev.Type, "unattributed")
		return Outcome{}, err
	}
	key := ev.Key
	if key == "" {
		// The same report delivered twice (a relay retrying after a
		// timeout) has the same bytes.
		sum := sha256.Sum256([]byte(ev.Raw))
		key = ev.Channel + ":" + strconv.FormatInt(subID, 10) + ":" + hex.EncodeToString(sum[:16])
	}
	source := newsletter.SourceDelivery
	switch {
	case ev.Channel != ChannelSMTP:
		source = newsletter.SourceWebhook
	case ev.Type == TypeComplaint:
		source = newsletter.SourceFeedback
	}
	res, err := s.store.RecordBounce(ctx, store.Bounce{
		IssueID: issueID, SubscriberID: subID, Type: ev.Type, Channel: ev.Channel,
		StatusCode: ev.Status, Diagnostic: ev.Diagnostic, Raw: ev.Raw, EventKey: key,
	}, s.policy, newsletter.Consent{Source: source})
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{IssueID: issueID, SubscriberID: subID, Replay: res.Replay, Status: res.Status, Changed: res.Changed}
	if res.Replay {
		s.observe(ev.Channel, ev.Type, "replay")
		return out, nil
	}
	s.observe(ev.Channel, ev.Type, "recorded")
	s.log.Info("bounce recorded", "channel", ev.Channel, "type", ev.Type, "status", ev.Status,
		"issue", issueID, "subscriber", subID, "subscriber_status", res.Status)
	if issueID != 0 {
		if out.Paused, err = s.checkRates(ctx, issueID); err != nil {
			return out, err
		}
	}
	return out, nil
}

// attribute finds the delivery a report is about.
func (s *Service) attribute(ctx context.Context, ev Event) (issueID, subID int64, err error) {
	if ev.Delivery.SubscriberID != 0 {
		return ev.Delivery.IssueID, ev.Delivery.SubscriberID, nil
	}
	// A report sent to the bare address may quote the VERP return path.
	for _, rp := range ev.ReturnPaths {
		if s.addrs == nil {
			break
		}
		if r, err := s.addrs.Parse(rp); err == nil && r.Kind == AddressBounce && r.SubscriberID != 0 {
			return r.IssueID, r.SubscriberID, nil
		}
	}
	for _, id := range ev.MessageIDs {
		issue, sub, ok := parseMessageID(id)
		if !ok {
			continue
		}
		if err := s.store.DeliveryByMessageID(ctx, issue, sub, id); err == nil {
			return issue, sub, nil
		} else if !errors.Is(err, newsletter.ErrNotFound) {
			return 0, 0, err
		}
	}
	if ev.Recipient == "" {
		return 0, 0, ErrUnattributed
	}
	sub, err := s.store.SubscriberByEmail(ctx, ev.Recipient)
	if errors.Is(err, newsletter.ErrNotFound) {
		return 0, 0, ErrUnattributed
	}
	if err != nil {
		return 0, 0, err
	}
	issue, err := s.store.LatestDelivery(ctx, sub.ID)
	if err != nil && !errors.Is(err, newsletter.ErrNotFound) {
		return 0, 0, err
	}
	return issue, sub.ID, nil
}

var messageIDPattern = regexp.MustCompile(`^<enews\.(\d+)\.(\d+)@[^<>\s]+>$`)

// parseMessageID reads the pair from mailer.MessageID's format.
func parseMessageID(id string) (issue, sub int64, ok bool) {
	m := messageIDPattern.FindStringSubmatch(strings.TrimSpace(id))
	if m == nil {
		return 0, 0, false
	}
	issue, err1 := strconv.ParseInt(m[1], 10, 64)
	sub, err2 := strconv.ParseInt(m[2], 10, 64)
	return issue, sub, err1 == nil && err2 == nil
}

// checkRates pauses a sending issue whose hard bounce or complaint rate is
// above its threshold, once enough messages went out to judge.
func (s *Service) checkRates(ctx context.Context, issueID int64) (string, error) {
	if s.pauser == nil || (s.pause.Hard <= 0 && s.pause.Complaint <= 0) {
		return "", nil
	}
	st, err := s.store.IssueStatus(ctx, issueID)
	if err != nil || st != newsletter.IssueSending {
		return "", err
	}
	r, err := s.store.IssueBounceRates(ctx, issueID)
	if err != nil || r.Attempted() < max(s.pause.MinSent, 1) {
		return "", err
	}
	var reason string
	switch {
	case s.pause.Hard > 0 && r.HardRate() > s.pause.Hard:
		reason = fmt.Sprintf("hard bounce rate %.2f%% (%d of %d) is above bounces.pause_above hard=%g%%",
			100*r.HardRate(), r.Hard+r.Failed, r.Attempted(), 100*s.pause.Hard)
	case s.pause.Complaint > 0 && r.ComplaintRate() > s.pause.Complaint:
		reason = fmt.Sprintf("complaint rate %.2f%% (%d of %d) is above bounces.pause_above complaint=%g%%",
			100*r.ComplaintRate(), r.Complaints, r.Attempted(), 100*s.pause.Complaint)
	default:
		return "", nil
	}
	paused, err := s.pauser.PauseBecause(ctx, issueID, Actor, reason)
	if err != nil || !paused {
		return "", err
	}
	s.log.Warn("issue paused by its bounce rates", "issue", issueID, "reason", reason)
	if s.obs != nil {
		s.obs.ObservePause()
	}
	return reason, nil
}

// Unsubscribe handles a message to a mailto unsubscribe address.
func (s *Service) Unsubscribe(ctx context.Context, r Recipient) (changed bool, err error) {
	_, changed, err = s.store.UnsubscribeSubscriber(ctx, r.SubscriberID, newsletter.Consent{Source: newsletter.SourceMailto})
	if errors.Is(err, newsletter.ErrNotFound) {
		s.observe(ChannelSMTP, "unsubscribe", "unattributed")
		return false, ErrUnattributed
	}
	if err != nil {
		return false, err
	}
	s.observe(ChannelSMTP, "unsubscribe", "recorded")
	s.log.Info("mailto unsubscribe", "issue", r.IssueID, "subscriber", r.SubscriberID, "changed", changed)
	return changed, nil
}

func (s *Service) observe(channel, typ, outcome string) {
	if s.obs != nil {
		s.obs.ObserveReport(channel, typ, outcome)
	}
}

// Channels a report arrives through.
const (
	ChannelSMTP     = "smtp"
	ChannelGeneric  = "generic"
	ChannelPostmark = "postmark"
	ChannelSendGrid = "sendgrid"
	ChannelMailgun  = "mailgun"
	ChannelSES      = "ses"
)
