package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/subscribers"
)

// selfExport is "download my data" (GDPR articles 15 and 20): the
// subscriber row, the consent log and the deliveries.
type selfExport struct {
	ExportedAt    time.Time          `json:"exported_at"`
	Newsletter    string             `json:"newsletter"`
	Subscriber    selfSubscriber     `json:"subscriber"`
	AddressChange *selfAddressChange `json:"pending_address_change,omitempty"`
	ConsentLog    []selfConsent      `json:"consent_log"`
	Deliveries    []selfDelivery     `json:"deliveries"`
}

type selfSubscriber struct {
	Email      string            `json:"email"`
	Name       string            `json:"name"`
	Status     string            `json:"status"`
	Attributes map[string]string `json:"attributes"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

type selfAddressChange struct {
	NewEmail    string    `json:"new_email"`
	RequestedAt time.Time `json:"requested_at"`
}

type selfConsent struct {
	Event  string    `json:"event"`
	Source string    `json:"source"`
	IP     string    `json:"ip,omitempty"`
	At     time.Time `json:"at"`
	// File names the list an import took the address from: where the
	// data came from, which the subscriber may ask (GDPR art. 15(1)(g)).
	File string `json:"file,omitempty"`
}

type selfDelivery struct {
	Issue     string     `json:"issue"`
	Outcome   string     `json:"outcome"`
	Attempts  int        `json:"attempts"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// maxSelfDeliveries bounds the deliveries exported: a century of issues.
const maxSelfDeliveries = 1200

func (s *Server) subscriberExport(ctx context.Context, sub newsletter.Subscriber) (selfExport, error) {
	out := selfExport{ExportedAt: s.d.Now().UTC(), Newsletter: s.d.Brand.Newsletter,
		Subscriber: selfSubscriber{Email: sub.Email, Name: sub.Name, Status: sub.Status, Attributes: sub.Attributes,
			CreatedAt: sub.CreatedAt, UpdatedAt: sub.UpdatedAt},
		ConsentLog: []selfConsent{}, Deliveries: []selfDelivery{}}
	if out.Subscriber.Attributes == nil {
		out.Subscriber.Attributes = map[string]string{}
	}
	ch, err := s.d.Store.PendingAddressChange(ctx, sub.ID)
	switch {
	case err == nil:
		out.AddressChange = &selfAddressChange{NewEmail: ch.NewEmail, RequestedAt: ch.RequestedAt}
	case !errors.Is(err, newsletter.ErrNotFound):
		return selfExport{}, err
	}
	events, err := s.d.Store.ConsentEvents(ctx, sub.ID)
	if err != nil {
		return selfExport{}, err
	}
	for _, e := range events {
		out.ConsentLog = append(out.ConsentLog, selfConsent{Event: e.Event, Source: e.Source, IP: e.IP, At: e.CreatedAt,
			File: importFile(e.Import)})
	}
	deliveries, err := s.d.Store.SubscriberDeliveries(ctx, sub.ID, maxSelfDeliveries)
	if err != nil {
		return selfExport{}, err
	}
	for _, d := range deliveries {
		out.Deliveries = append(out.Deliveries, selfDelivery{Issue: d.Period, Outcome: d.Status, Attempts: d.Attempts,
			SentAt: d.SentAt, UpdatedAt: d.UpdatedAt})
	}
	return out, nil
}

// newAddressPage is the page the link sent to a new address opens: a
// button, so that a mail scanner opening links changes nothing.
func (s *Server) newAddressPage(w http.ResponseWriter, r *http.Request) {
	id, ok := s.verify(w, r, links.PurposeNewAddress, false)
	if !ok {
		return
	}
	ch, err := s.d.Store.PendingAddressChange(r.Context(), id)
	if errors.Is(err, newsletter.ErrNotFound) {
		s.addressLinkUsed(w, r)
		return
	}
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	d := s.data("Confirm your new address")
	d.Manage = &manageView{Masked: subscribers.MaskAddress(ch.NewEmail)}
	s.render(w, r, http.StatusOK, pageNewAddress, d)
}

func (s *Server) newAddress(w http.ResponseWriter, r *http.Request) {
	id, ok := s.verify(w, r, links.PurposeNewAddress, false)
	if !ok {
		return
	}
	_, expires, _ := s.d.Signer.VerifyExpiry(links.PurposeNewAddress, r.PathValue("token"), s.d.Now())
	sub, err := s.d.Store.ConfirmAddressChange(r.Context(), id, expires.Add(-links.ConfirmTTL), s.consent(r, newsletter.SourceManage))
	if errors.Is(err, newsletter.ErrLinkSuperseded) {
		s.addressLinkUsed(w, r)
		return
	}
	var p *newsletter.Problem
	if errors.As(err, &p) && !errors.Is(err, newsletter.ErrUnavailable) {
		s.message(w, r, http.StatusConflict, "The address was not changed", "Sorry: "+p.Msg+". Nothing was changed.")
		return
	}
	if err != nil {
		s.storeFailed(w, r, err, false)
		return
	}
	s.messageLink(w, r, http.StatusOK, "Your address is changed", s.d.Links.Manage(sub.ID), "Your subscription",
		"The "+s.d.Brand.Newsletter+" now comes to "+subscribers.MaskAddress(sub.Email)+"; the old address gets no more issues.")
}

func (s *Server) addressLinkUsed(w http.ResponseWriter, r *http.Request) {
	s.message(w, r, http.StatusConflict, "This link has been used already",
		"A link to confirm a new address works once, and only the latest one asked for. Nothing was changed.")
}

// addressMessage is the email to a new address, with the link that moves
// the subscription there.
func (s *Server) addressMessage(email, name, confirmURL string) (*mailer.Message, error) {
	d := confirmData{Brand: s.d.Brand, AddressLines: s.data("").AddressLines, ConfirmURL: confirmURL,
		Hours: int(links.ConfirmTTL / time.Hour), Name: name}
	var html, text bytes.Buffer
	if err := s.pages.addressHTML.Execute(&html, d); err != nil {
		return nil, err
	}
	if err := s.pages.addressText.Execute(&text, d); err != nil {
		return nil, err
	}
	return &mailer.Message{To: email, Subject: "Confirm your new address for the " + s.d.Brand.Newsletter,
		Text: text.Bytes(), HTML: html.Bytes()}, nil
}

// importFile is the file name an import record gives, if any.
func importFile(m *newsletter.ImportRecord) string {
	if m == nil {
		return ""
	}
	return m.FileName
}
