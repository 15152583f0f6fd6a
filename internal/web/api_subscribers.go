package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

type subscriberJSON struct {
	ID            int64             `json:"id"`
	Email         string            `json:"email"`
	Name          string            `json:"name"`
	Status        string            `json:"status"`
	Attributes    map[string]string `json:"attributes"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	ConsentEvents []consentJSON     `json:"consent_events,omitempty"`
	Deliveries    []deliveryJSON    `json:"deliveries,omitempty"`
}

type consentJSON struct {
	Event     string      `json:"event"`
	Source    string      `json:"source"`
	IP        string      `json:"ip,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	Import    *importJSON `json:"import,omitempty"`
}

// importJSON is an import's record, as the consent log shows it.
type importJSON struct {
	ID        int64     `json:"id"`
	Operator  string    `json:"operator"`
	FileName  string    `json:"file_name"`
	Checksum  string    `json:"checksum"`
	Status    string    `json:"status"`
	Rows      int64     `json:"rows"`
	Added     int64     `json:"added"`
	CreatedAt time.Time `json:"created_at"`
}

func newImportJSON(m *newsletter.ImportRecord) *importJSON {
	if m == nil {
		return nil
	}
	return &importJSON{ID: m.ID, Operator: m.Operator, FileName: m.FileName, Checksum: m.Checksum,
		Status: m.Status, Rows: m.Rows, Added: m.Added, CreatedAt: m.CreatedAt}
}

type deliveryJSON struct {
	Period    string     `json:"period"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastReply string     `json:"last_reply,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

func toJSON(s newsletter.Subscriber) subscriberJSON {
	attrs := s.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	return subscriberJSON{ID: s.ID, Email: s.Email, Name: s.Name, Status: s.Status, Attributes: attrs,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

func (s *Server) apiConsent(r *http.Request) newsletter.Consent {
	return newsletter.Consent{Source: newsletter.SourceAPI, IP: s.d.ClientIP(r)}
}

// apiList: GET /api/subscribers?status=&q=&email=&limit=&cursor=
func (s *Server) apiList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.SubscriberFilter{Query: q.Get("q"), Email: q.Get("email"), Status: q.Get("status")}
	var err error
	if f.After, err = decodeCursor(q.Get("cursor")); err != nil {
		s.apiError(w, r, err)
		return
	}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 || f.Limit > 1000 {
			s.apiError(w, r, badRequest("limit %q: want 1 to 1000", l))
			return
		}
	}
	page, err := s.d.Store.ListSubscribers(r.Context(), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := struct {
		Subscribers []subscriberJSON `json:"subscribers"`
		NextCursor  string           `json:"next_cursor,omitempty"`
	}{Subscribers: make([]subscriberJSON, len(page.Subscribers)), NextCursor: encodeCursor(page.Next)}
	for i, sub := range page.Subscribers {
		out.Subscribers[i] = toJSON(sub)
	}
	writeJSON(w, http.StatusOK, out)
}

// apiCreate: POST /api/subscribers {"email", "name", "status", "attributes"}
func (s *Server) apiCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email      string            `json:"email"`
		Name       string            `json:"name"`
		Status     string            `json:"status"`
		Attributes map[string]string `json:"attributes"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	email, err := subscribers.NormaliseAddress(in.Email)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	sub := newsletter.Subscriber{Email: email, Status: in.Status}
	if sub.Name, err = subscribers.NormaliseName(in.Name); err == nil {
		sub.Attributes, err = subscribers.CheckAttributes(in.Attributes)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	sub, err = s.d.Store.AddSubscriber(r.Context(), sub, s.apiConsent(r))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/subscribers/"+strconv.FormatInt(sub.ID, 10))
	writeJSON(w, http.StatusCreated, toJSON(sub))
}

// apiGet: GET /api/subscribers/{id}, with consent events and deliveries.
func (s *Server) apiGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	sub, err := s.d.Store.GetSubscriber(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	evs, err := s.d.Store.ConsentEvents(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	dels, err := s.d.Store.SubscriberDeliveries(r.Context(), id, 100)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := toJSON(sub)
	out.ConsentEvents = make([]consentJSON, len(evs))
	for i, e := range evs {
		out.ConsentEvents[i] = consentJSON{Event: e.Event, Source: e.Source, IP: e.IP, CreatedAt: e.CreatedAt,
			Import: newImportJSON(e.Import)}
	}
	for _, d := range dels {
		out.Deliveries = append(out.Deliveries, deliveryJSON{Period: d.Period, Status: d.Status,
			Attempts: d.Attempts, LastReply: d.LastReply, SentAt: d.SentAt})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiUpdate: PATCH /api/subscribers/{id} {"name"?, "attributes"?}; given
// attributes replace the old ones. The status changes through unsubscribe
// and erase only, which log consent.
func (s *Server) apiUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in struct {
		Name       *string           `json:"name"`
		Attributes map[string]string `json:"attributes"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	if in.Name != nil {
		name, err := subscribers.NormaliseName(*in.Name)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		in.Name = &name
	}
	if in.Attributes != nil {
		if in.Attributes, err = subscribers.CheckAttributes(in.Attributes); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	sub, err := s.d.Store.UpdateSubscriber(r.Context(), id, in.Name, in.Attributes)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(sub))
}

// apiUnsubscribe: POST /api/subscribers/{id}/unsubscribe; repeating it is
// harmless.
func (s *Server) apiUnsubscribe(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	sub, _, err := s.d.Store.UnsubscribeSubscriber(r.Context(), id, s.apiConsent(r))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(sub))
}

// apiErase: DELETE /api/subscribers/{id} or POST …/erase: GDPR erasure.
func (s *Server) apiErase(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if err := s.d.Store.EraseSubscriber(r.Context(), id, s.apiConsent(r)); err != nil {
		s.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
