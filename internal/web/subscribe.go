package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/subscribers"
)

// maxFormBytes bounds a form post; the forms hold a few short fields.
const maxFormBytes = 16 << 10

func (s *Server) subscribeForm(w http.ResponseWriter, r *http.Request) {
	d := s.data("Subscribe")
	d.NoIndex = false
	s.render(w, r, http.StatusOK, pageSubscribe, d)
}

// subscribe handles the form. Whatever the address (new, pending, active,
// unsubscribed, erased, or rate-limited), a valid one gets the same page:
// the answer must not tell anyone whether an address is on the list. The
// answer is sent, complete, before the address is even looked up, so its
// timing tells nothing either: the sign-up is recorded and the
// confirmation queued afterwards, and a failure there is logged.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.message(w, r, http.StatusBadRequest, "The form could not be read", "Please go back and try again.")
		return
	}
	ip := s.d.ClientIP(r)
	now := s.d.Now()
	if !s.ipLim.allow(ipKey(ip), now) {
		w.Header().Set("Retry-After", "60")
		s.message(w, r, http.StatusTooManyRequests, "Too many attempts",
			"Please wait a few minutes, then try again.")
		return
	}
	if r.PostFormValue("website") != "" {
		// The honeypot: only a bot fills a field no person can see. It gets
		// the usual answer and nothing is stored or sent.
		s.log.Info("web: subscribe honeypot filled", "ip", ip)
		s.checkInbox(w, r)
		return
	}
	email, err := subscribers.NormaliseAddress(r.PostFormValue("email"))
	var name string
	if err == nil {
		name, err = subscribers.NormaliseName(r.PostFormValue("name"))
	}
	if err != nil {
		d := s.data("Subscribe")
		d.Email, d.Name = r.PostFormValue("email"), r.PostFormValue("name")
		d.Error = "Please check the address: " + reason(err)
		s.render(w, r, http.StatusUnprocessableEntity, pageSubscribe, d)
		return
	}
	s.signUps.Add(1)
	defer s.signUps.Done()
	s.checkInbox(w, r)
	_ = http.NewResponseController(w).Flush()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), signUpTimeout)
	defer cancel()
	res, err := s.d.Store.Subscribe(ctx, email, name, newsletter.Consent{Source: newsletter.SourceForm, IP: ip})
	if err != nil {
		s.log.Error("web: subscribe: sign-up not recorded", "err", err)
		return
	}
	if res.SendConfirm && s.addLim.allow(s.d.Signer.HashAddress(email), now) {
		if err := s.queueConfirmation(ctx, email, name, res.ID, now); err != nil {
			s.log.Error("web: subscribe: confirmation email not queued", "subscriber", res.ID, "err", err)
		}
	}
}

// signUpTimeout bounds the work a sign-up does after its answer went out.
const signUpTimeout = 30 * time.Second

// Wait returns once every sign-up answered so far is recorded. A server
// shutting down waits for them anyway, as for any running handler.
func (s *Server) Wait() { s.signUps.Wait() }

func (s *Server) checkInbox(w http.ResponseWriter, r *http.Request) {
	s.message(w, r, http.StatusOK, "Check your inbox",
		"If the address can be subscribed, an email with a confirmation link is on its way to it. Follow the link to start receiving the "+s.d.Brand.Newsletter+".",
		"Nothing there after a few minutes? Look in the spam folder, or subscribe again later.")
}

// reason is the part of a validation error a person can act on.
func reason(err error) string {
	var ae *subscribers.AddressError
	if errors.As(err, &ae) {
		return ae.Reason + "."
	}
	return "the name must be one line of at most 200 characters."
}

func ipKey(ip netip.Addr) string {
	if ip.Is6() {
		// One person usually holds a whole /64; counting single IPv6
		// addresses would let them walk around the limit.
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// queueConfirmation puts the confirmation email in the outbox, which
// sends it and retries while the relay is down.
func (s *Server) queueConfirmation(ctx context.Context, email, name string, id int64, now time.Time) error {
	msg, err := s.confirmationMessage(email, name, s.d.Links.Confirm(id, now))
	if err != nil {
		return err
	}
	_, err = s.d.Outbox.Enqueue(ctx, newsletter.MailConfirmation, msg)
	return err
}

// confirmData is what the confirmation email templates get.
type confirmData struct {
	Brand        Brand
	AddressLines []string
	ConfirmURL   string
	Hours        int
	Name         string // the greeting's name, from greetingName; may be empty
}

// greetingName is the name the confirmation email greets by, or "" for the
// plain greeting. The form is public: whoever types an address also types
// the name, so a name that reads like a link or an address (something a
// mail program would make clickable) or that runs long is not repeated in
// an email to someone who may never have asked for it.
func greetingName(name string) string {
	if utf8.RuneCountInString(name) > maxGreetingRunes || strings.ContainsAny(name, "@/\\:") ||
		strings.Contains(strings.ToLower(name), "www") || hasDottedWord(name) {
		return ""
	}
	return name
}

// maxGreetingRunes is longer than nearly every real name, much shorter
// than a sentence of advertising.
const maxGreetingRunes = 60

// hasDottedWord reports a dot between two letters or digits, as in a
// domain ("example.org"); "Anna M. Smith" has none.
func hasDottedWord(s string) bool {
	rs := []rune(s)
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for i := 1; i+1 < len(rs); i++ {
		if rs[i] == '.' && word(rs[i-1]) && word(rs[i+1]) {
			return true
		}
	}
	return false
}

func (s *Server) confirmationMessage(email, name, confirmURL string) (*mailer.Message, error) {
	d := confirmData{Brand: s.d.Brand, AddressLines: s.data("").AddressLines, ConfirmURL: confirmURL,
		Hours: int(links.ConfirmTTL / time.Hour), Name: greetingName(name)}
	var html, text bytes.Buffer
	if err := s.pages.emailHTML.Execute(&html, d); err != nil {
		return nil, err
	}
	if err := s.pages.emailText.Execute(&text, d); err != nil {
		return nil, err
	}
	return &mailer.Message{
		To:      email,
		Subject: "Confirm your subscription to the " + s.d.Brand.Newsletter,
		Text:    text.Bytes(),
		HTML:    html.Bytes(),
	}, nil
}
