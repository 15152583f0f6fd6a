package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/signing"
	"github.com/enews/enews/internal/subscribers"
)

// The confirm and unsubscribe links. GET only shows a page with a button;
// the POST that button sends makes the change. A token that was forged,
// altered or signed for the other purpose is 400; one whose subscriber is
// gone is 404; neither changes anything.

// verify checks the token of r for purpose and answers the failure itself;
// ok is false when it did.
func (s *Server) verify(w http.ResponseWriter, r *http.Request, purpose string, plain bool) (id int64, ok bool) {
	id, err := s.d.Signer.Verify(purpose, r.PathValue("token"), s.d.Now())
	switch {
	case err == nil:
		return id, true
	case plain:
		http.Error(w, "invalid link", http.StatusBadRequest)
	case errors.Is(err, signing.ErrTokenExpired):
		s.messageLink(w, r, http.StatusBadRequest, "This link has expired",
			s.d.Links.Subscribe(), "Subscribe again",
			"Confirmation links work for three days. Subscribe again to get a new one.")
	default:
		s.message(w, r, http.StatusBadRequest, "This link does not work",
			"It may have been cut short or changed on the way. Open it again from the email, or copy the whole address into your browser.")
	}
	return 0, false
}

func (s *Server) consent(r *http.Request, source string) newsletter.Consent {
	return newsletter.Consent{Source: source, IP: s.d.ClientIP(r)}
}

// gone answers for a genuine token whose subscriber no longer exists.
func (s *Server) gone(w http.ResponseWriter, r *http.Request, plain bool) {
	if plain {
		http.Error(w, "not on the list", http.StatusNotFound)
		return
	}
	s.message(w, r, http.StatusNotFound, "This address is not on the list",
		"It may have been removed. Nothing was changed.")
}

func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request) {
	id, ok := s.verify(w, r, links.PurposeConfirm, false)
	if !ok {
		return
	}
	if _, err := s.d.Store.GetSubscriber(r.Context(), id); err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	s.render(w, r, http.StatusOK, pageConfirm, s.data("Confirm your subscription"))
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	id, ok := s.verify(w, r, links.PurposeConfirm, false)
	if !ok {
		return
	}
	// verify accepted the token, so this only reads its expiry.
	_, expires, _ := s.d.Signer.VerifyExpiry(links.PurposeConfirm, r.PathValue("token"), s.d.Now())
	var sentAt time.Time
	if !expires.IsZero() {
		sentAt = expires.Add(-links.ConfirmTTL)
	}
	_, _, err := s.d.Store.ConfirmSubscriber(r.Context(), id, sentAt, s.consent(r, newsletter.SourceLink))
	if errors.Is(err, newsletter.ErrLinkSuperseded) {
		s.messageLink(w, r, http.StatusConflict, "This link has been used already",
			s.d.Links.Subscribe(), "Subscribe again",
			"A confirmation link works once, and not after you unsubscribed. Nothing was changed.",
			"To receive the "+s.d.Brand.Newsletter+", subscribe again and follow the link in the new email.")
		return
	}
	if errors.Is(err, newsletter.ErrConflict) {
		s.message(w, r, http.StatusConflict, "This address cannot be subscribed here",
			"Please write to us if you want to receive the "+s.d.Brand.Newsletter+" again.")
		return
	}
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	s.messageLink(w, r, http.StatusOK, "You are subscribed", s.d.Links.Base()+links.PathArchive, "Read past issues",
		"Thank you. The next "+s.d.Brand.Newsletter+" will arrive at the start of the month.",
		"Every issue has a link to unsubscribe in one click.")
}

func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	id, ok := s.verify(w, r, links.PurposeUnsubscribe, false)
	if !ok {
		return
	}
	sub, err := s.d.Store.GetSubscriber(r.Context(), id)
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	s.showUnsubscribe(w, r, http.StatusOK, sub, "")
}

// showUnsubscribe is the unsubscribe page for sub: the button while it is
// subscribed, and the way back once it unsubscribed. A bounced address is
// sent to the form instead, whose confirmation email shows that mail
// arrives again; a complaint is lifted only by staff.
func (s *Server) showUnsubscribe(w http.ResponseWriter, r *http.Request, status int, sub newsletter.Subscriber, notice string) {
	d := s.data("Unsubscribe")
	d.Manage = &manageView{Masked: subscribers.MaskAddress(sub.Email), Notice: notice, Status: sub.Status,
		Subscribed: sub.Status == newsletter.SubscriberActive || sub.Status == newsletter.SubscriberPending,
		CanReturn:  sub.Status == newsletter.SubscriberUnsubscribed,
		Action:     links.PathUnsubscribe + r.PathValue("token")}
	d.LinkURL = s.d.Links.Subscribe()
	s.render(w, r, status, pageUnsubscribe, d)
}

// resubscribe brings back whoever unsubscribed by mistake: the signed
// token came in an email to the address, which is the proof double opt-in
// asks for. Not an address that bounced: the token shows the address was
// once theirs, not that mail reaches it now, so they go through the form.
// A complaint stays; an erased subscriber is gone with their token.
func (s *Server) resubscribe(w http.ResponseWriter, r *http.Request) {
	id, ok := s.verify(w, r, links.PurposeUnsubscribe, false)
	if !ok {
		return
	}
	sub, err := s.d.Store.GetSubscriber(r.Context(), id)
	if errors.Is(err, newsletter.ErrNotFound) {
		s.messageLink(w, r, http.StatusNotFound, "This address is no longer on the list",
			s.d.Links.Subscribe(), "Subscribe",
			"It was removed, with everything we kept about it, so this link cannot bring it back. Nothing was changed.",
			"To receive the "+s.d.Brand.Newsletter+" again, subscribe through the form and follow the link in the email it sends.")
		return
	}
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	if sub.Status == newsletter.SubscriberBounced {
		s.messageLink(w, r, http.StatusConflict, "This link cannot bring the address back",
			s.d.Links.Subscribe(), "Subscribe",
			"Mail to "+subscribers.MaskAddress(sub.Email)+" was returned as undeliverable, so the "+s.d.Brand.Newsletter+" stopped. Nothing was changed.",
			"To receive it again, subscribe through the form: the confirmation email it sends shows that mail arrives again.")
		return
	}
	sub, changed, err := s.d.Store.ConfirmSubscriber(r.Context(), id, time.Time{}, s.consent(r, newsletter.SourceLink))
	if errors.Is(err, newsletter.ErrConflict) {
		s.message(w, r, http.StatusConflict, "This address cannot be subscribed here",
			"Please write to us if you want to receive the "+s.d.Brand.Newsletter+" again.")
		return
	}
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	if !changed {
		s.messageLink(w, r, http.StatusOK, "You are subscribed already", s.d.Links.Manage(sub.ID), "Your subscription",
			"The "+s.d.Brand.Newsletter+" comes to "+subscribers.MaskAddress(sub.Email)+". Nothing was changed.")
		return
	}
	s.messageLink(w, r, http.StatusOK, "Welcome back", s.d.Links.Manage(sub.ID), "Your subscription",
		"The next "+s.d.Brand.Newsletter+" will come to "+subscribers.MaskAddress(sub.Email)+" again.")
}

// unsubscribe serves both the page's button and RFC 8058 one-click: a POST
// whose body is List-Unsubscribe=One-Click, sent by mailbox providers, which
// gets a bare 200 at once rather than a page.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	// Both encodings RFC 8058 allows: urlencoded and multipart/form-data.
	err := r.ParseMultipartForm(maxFormBytes)
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	oneClick := r.PostFormValue("List-Unsubscribe") == "One-Click"
	id, ok := s.verify(w, r, links.PurposeUnsubscribe, oneClick)
	if !ok {
		return
	}
	source := newsletter.SourceLink
	if oneClick {
		source = newsletter.SourceOneClick
	}
	sub, _, err := s.d.Store.UnsubscribeSubscriber(r.Context(), id, s.consent(r, source))
	if err != nil {
		s.storeFailed(w, r, err, oneClick)
		return
	}
	if oneClick {
		w.WriteHeader(http.StatusOK)
		return
	}
	s.showUnsubscribe(w, r, http.StatusOK, sub, "No further issue of the "+s.d.Brand.Newsletter+" will be sent to "+
		subscribers.MaskAddress(sub.Email)+".")
}

// unsubscribeHelp is where the archive's copy of an issue points its
// unsubscribe link: a web reader has no personal link.
func (s *Server) unsubscribeHelp(w http.ResponseWriter, r *http.Request) {
	d := s.data("Unsubscribe")
	d.NoIndex = false
	d.Paragraphs = []string{"Every " + s.d.Brand.Newsletter + " email has a personal link at the bottom that unsubscribes you in one click. Please use the link in the email you received."}
	s.render(w, r, http.StatusOK, pageMessage, d)
}

// storeFailed answers a store error on a link page.
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error, plain bool) {
	if errors.Is(err, newsletter.ErrNotFound) {
		s.gone(w, r, plain)
		return
	}
	if plain {
		s.log.Error("web: link", "route", r.Pattern, "err", err)
		http.Error(w, "try again later", http.StatusInternalServerError)
		return
	}
	s.pageError(w, r, "link", err)
}
