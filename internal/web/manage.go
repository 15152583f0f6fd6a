package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

// A subscriber's own page, /manage/TOKEN, linked from every email: it shows
// the address (masked), name and status, and lets its owner change the
// name or the address, unsubscribe or subscribe again, download what we
// hold about them, and erase themselves. GET changes nothing; every change
// is a POST refused from other sites, logged in the consent log with the
// source manage where it is a matter of consent.

// SelfService is what the manage page needs beyond the other public pages.
type SelfService interface {
	RequestAddressChange(ctx context.Context, id int64, newEmail string, at time.Time) (store.AddressChange, error)
	PendingAddressChange(ctx context.Context, id int64) (store.AddressChange, error)
	ConfirmAddressChange(ctx context.Context, id int64, requestedAt time.Time, c newsletter.Consent) (newsletter.Subscriber, error)
}

// manageView is what the manage page shows.
type manageView struct {
	Masked       string
	Name         string
	Status       string // active, pending, unsubscribed, bounced, complained
	Subscribed   bool   // active or pending: the page offers to unsubscribe
	CanReturn    bool   // unsubscribed: the page offers to come back
	PendingTo    string // a new address waiting for its confirmation, masked
	Action       string // the page's own URL, for its forms
	Notice       string // what the last POST did
	Error        string // why the last POST was refused
	NameValue    string // the name field, as typed
	AddressTyped string // the address field, as typed after a refusal
}

func (s *Server) manageRoutes(m *http.ServeMux, protect func(http.HandlerFunc) http.Handler) {
	m.HandleFunc("GET /manage/{token}", s.managePage)
	m.Handle("POST /manage/{token}/name", protect(s.manageName))
	m.Handle("POST /manage/{token}/address", protect(s.manageAddress))
	m.Handle("POST /manage/{token}/unsubscribe", protect(s.manageUnsubscribe))
	m.Handle("POST /manage/{token}/resubscribe", protect(s.manageResubscribe))
	m.HandleFunc("GET /manage/{token}/data", s.manageData)
	m.HandleFunc("GET /manage/{token}/erase", s.manageErasePage)
	m.Handle("POST /manage/{token}/erase", protect(s.manageErase))
	m.HandleFunc("GET /manage-address/{token}", s.newAddressPage)
	m.Handle("POST /manage-address/{token}", protect(s.newAddress))
}

// manageSubscriber checks the manage token and reads its subscriber; ok is
// false when it answered the failure itself.
func (s *Server) manageSubscriber(w http.ResponseWriter, r *http.Request) (newsletter.Subscriber, bool) {
	id, ok := s.verify(w, r, links.PurposeManage, false)
	if !ok {
		return newsletter.Subscriber{}, false
	}
	sub, err := s.d.Store.GetSubscriber(r.Context(), id)
	if err != nil {
		s.storeFailed(w, r, err, false)
		return newsletter.Subscriber{}, false
	}
	return sub, true
}

func (s *Server) managePage(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.manageSubscriber(w, r)
	if !ok {
		return
	}
	s.showManage(w, r, http.StatusOK, sub, manageView{})
}

// showManage renders the page for sub, with v's notice, error and typed
// values.
func (s *Server) showManage(w http.ResponseWriter, r *http.Request, status int, sub newsletter.Subscriber, v manageView) {
	v.Masked, v.Name, v.Status = subscribers.MaskAddress(sub.Email), sub.Name, sub.Status
	v.Subscribed = sub.Status == newsletter.SubscriberActive || sub.Status == newsletter.SubscriberPending
	v.CanReturn = sub.Status == newsletter.SubscriberUnsubscribed
	v.Action = links.PathManage + r.PathValue("token")
	if v.NameValue == "" && v.Error == "" {
		v.NameValue = sub.Name
	}
	ch, err := s.d.Store.PendingAddressChange(r.Context(), sub.ID)
	switch {
	case err == nil:
		v.PendingTo = subscribers.MaskAddress(ch.NewEmail)
	case !errors.Is(err, newsletter.ErrNotFound):
		s.pageError(w, r, "manage: pending change", err)
		return
	}
	d := s.data("Your subscription")
	d.Manage = &v
	s.render(w, r, status, pageManage, d)
}

func (s *Server) manageName(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.manageSubscriber(w, r)
	if !ok {
		return
	}
	name, err := subscribers.NormaliseName(r.PostFormValue("name"))
	if err != nil {
		s.showManage(w, r, http.StatusUnprocessableEntity, sub, manageView{Error: "The name was not changed: " + reason(err),
			NameValue: r.PostFormValue("name")})
		return
	}
	if sub, err = s.d.Store.UpdateSubscriber(r.Context(), sub.ID, &name, nil); err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	s.showManage(w, r, http.StatusOK, sub, manageView{Notice: "Your name is saved."})
}

// manageAddress asks for a new address: a link goes to it, and the list
// keeps the old address until that link is followed.
func (s *Server) manageAddress(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.manageSubscriber(w, r)
	if !ok {
		return
	}
	typed := r.PostFormValue("email")
	email, err := subscribers.NormaliseAddress(typed)
	if err != nil {
		s.showManage(w, r, http.StatusUnprocessableEntity, sub, manageView{Error: "Please check the new address: " + reason(err), AddressTyped: typed})
		return
	}
	now := s.d.Now()
	ch, err := s.d.Store.RequestAddressChange(r.Context(), sub.ID, email, now)
	var p *newsletter.Problem
	if errors.As(err, &p) && !errors.Is(err, newsletter.ErrUnavailable) {
		s.showManage(w, r, http.StatusConflict, sub, manageView{Error: "The address was not changed: " + p.Msg + ".", AddressTyped: typed})
		return
	}
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	msg, err := s.addressMessage(ch.NewEmail, sub.Name, s.d.Links.NewAddress(sub.ID, ch.RequestedAt))
	if err == nil {
		_, err = s.d.Outbox.Enqueue(r.Context(), newsletter.MailConfirmation, msg)
	}
	if err != nil {
		s.pageError(w, r, "manage: queue address confirmation", err)
		return
	}
	s.showManage(w, r, http.StatusOK, sub, manageView{Notice: "We sent a link to " + subscribers.MaskAddress(ch.NewEmail) +
		". Follow it to move your subscription there; until then the issues keep coming to " + subscribers.MaskAddress(sub.Email) + "."})
}

func (s *Server) manageUnsubscribe(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.manageSubscriber(w, r)
	if !ok {
		return
	}
	sub, _, err := s.d.Store.UnsubscribeSubscriber(r.Context(), sub.ID, s.consent(r, newsletter.SourceManage))
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	s.showManage(w, r, http.StatusOK, sub, manageView{Notice: "You are unsubscribed: no further issue of the " +
		s.d.Brand.Newsletter + " will be sent to this address."})
}

// manageResubscribe brings back an unsubscribed subscriber: the token came
// in an email to the address, which is the proof double opt-in asks for.
// Not one that bounced (as on the unsubscribe page): the token shows the
// address was once theirs, not that mail reaches it now, so they go through
// the form. A complaint stays: only staff lift it.
func (s *Server) manageResubscribe(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.manageSubscriber(w, r)
	if !ok {
		return
	}
	if sub.Status == newsletter.SubscriberBounced {
		s.showManage(w, r, http.StatusConflict, sub, manageView{Error: "Mail to this address was returned as undeliverable, so this page cannot bring it back. " +
			"Subscribe through the form: the confirmation email it sends shows that mail arrives again."})
		return
	}
	next, _, err := s.d.Store.ConfirmSubscriber(r.Context(), sub.ID, time.Time{}, s.consent(r, newsletter.SourceManage))
	if errors.Is(err, newsletter.ErrConflict) {
		s.showManage(w, r, http.StatusConflict, sub, manageView{Error: "This address cannot be subscribed here. Please write to us if you want to receive the " +
			s.d.Brand.Newsletter + " again."})
		return
	}
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	s.showManage(w, r, http.StatusOK, next, manageView{Notice: "Welcome back: the next " + s.d.Brand.Newsletter + " will come to this address."})
}

// manageData is "download my data": everything held about the subscriber,
// as JSON, and nothing about anyone else.
func (s *Server) manageData(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.manageSubscriber(w, r)
	if !ok {
		return
	}
	export, err := s.subscriberExport(r.Context(), sub)
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="my-subscription.json"`)
	h.Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(export)
}

func (s *Server) manageErasePage(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.manageSubscriber(w, r)
	if !ok {
		return
	}
	d := s.data("Erase your data")
	d.Manage = &manageView{Masked: subscribers.MaskAddress(sub.Email), Action: links.PathManage + r.PathValue("token")}
	s.render(w, r, http.StatusOK, pageManageErase, d)
}

// manageErase erases the subscriber as staff would: the row and its
// history go, a keyed hash stays on the suppression list.
func (s *Server) manageErase(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.manageSubscriber(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "erase" {
		d := s.data("Erase your data")
		d.Manage = &manageView{Masked: subscribers.MaskAddress(sub.Email), Action: links.PathManage + r.PathValue("token"),
			Error: "Tick the box to confirm: nothing was erased."}
		s.render(w, r, http.StatusUnprocessableEntity, pageManageErase, d)
		return
	}
	if err := s.d.Store.EraseSubscriber(r.Context(), sub.ID, s.consent(r, newsletter.SourceManage)); err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	s.messageLink(w, r, http.StatusOK, "Your data is erased", s.d.Links.Subscribe(), "Subscribe again",
		"Your address, name and the record of what we sent you are gone. A one-way fingerprint of the address stays on our do-not-mail list, so it is never added again by mistake.",
		"You can still subscribe again yourself at any time: the confirmation email is your new consent.")
}
