package console

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

// Subscribers is what the subscriber pages need of the store.
type Subscribers interface {
	SearchSubscribers(ctx context.Context, f store.SubscriberSearch) (store.SubscriberPage, error)
	GetSubscriber(ctx context.Context, id int64) (newsletter.Subscriber, error)
	ConsentEvents(ctx context.Context, subscriberID int64) ([]newsletter.ConsentEvent, error)
	SubscriberDeliveries(ctx context.Context, id int64, limit int) ([]store.DeliveryRecord, error)
	AddSubscriber(ctx context.Context, sub newsletter.Subscriber, c newsletter.Consent) (newsletter.Subscriber, error)
	UpdateSubscriber(ctx context.Context, id int64, name *string, attrs map[string]string) (newsletter.Subscriber, error)
	UnsubscribeSubscriber(ctx context.Context, id int64, c newsletter.Consent) (newsletter.Subscriber, bool, error)
	EraseSubscriber(ctx context.Context, id int64, c newsletter.Consent) error
	ImportSubscribers(ctx context.Context, rows iter.Seq2[newsletter.Subscriber, error], opts newsletter.ImportPolicy) (newsletter.ImportResult, error)
	ExportSubscribers(ctx context.Context, f store.ExportFilter, sink store.ExportSink) (int64, error)
}

// pageSize is how many subscribers a list page shows.
const pageSize = 50

func subscriberStatuses() []string {
	return []string{newsletter.SubscriberActive, newsletter.SubscriberPending, newsletter.SubscriberUnsubscribed,
		newsletter.SubscriberBounced, newsletter.SubscriberComplained}
}

type subscribersView struct {
	Query, Status string
	Statuses      []string
	Subscribers   []newsletter.Subscriber
	Next          int64
	Paged         bool // not the first page
	Error         string
	Add           addForm
}

type addForm struct {
	Email, Name, Status string
}

func (c *Console) subscriberList(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	q := r.URL.Query()
	v := subscribersView{Query: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Statuses: subscriberStatuses()}
	if v.Status != "" && !slices.Contains(v.Statuses, v.Status) {
		c.fail(w, r, fmt.Errorf("%w: status %q: want one of %s", newsletter.ErrInvalid, v.Status, strings.Join(v.Statuses, ", ")))
		return
	}
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	v.Paged = after > 0
	page, err := c.d.Subscribers.SearchSubscribers(r.Context(), store.SubscriberSearch{Prefix: v.Query, Status: v.Status, After: after, Limit: pageSize})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v.Subscribers, v.Next = page.Subscribers, page.Next
	c.render(w, r, http.StatusOK, pageSubscribers, c.view(r, u, "Subscribers", v))
}

// consent is the consent log's record of a change made here. The log's
// sources are those the schema allows; the console is the API's browser
// face, and the audit log names the person.
func (c *Console) consent(r *http.Request) newsletter.Consent {
	return newsletter.Consent{Source: newsletter.SourceAPI, IP: c.d.ClientIP(r)}
}

func (c *Console) subscriberAdd(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	f := addForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: r.PostFormValue("name"), Status: r.PostFormValue("status")}
	sub, err := func() (newsletter.Subscriber, error) {
		email, err := subscribers.NormaliseAddress(f.Email)
		if err != nil {
			return newsletter.Subscriber{}, err
		}
		name, err := subscribers.NormaliseName(f.Name)
		if err != nil {
			return newsletter.Subscriber{}, err
		}
		if f.Status != newsletter.SubscriberActive && f.Status != newsletter.SubscriberPending {
			return newsletter.Subscriber{}, fmt.Errorf("%w: status must be active or pending", newsletter.ErrInvalid)
		}
		return c.d.Subscribers.AddSubscriber(r.Context(), newsletter.Subscriber{Email: email, Name: name, Status: f.Status}, c.consent(r))
	}()
	if err != nil {
		if code, msg, ok := formError(err); ok {
			v := subscribersView{Statuses: subscriberStatuses(), Add: f, Error: msg}
			c.render(w, r, code, pageSubscribers, c.view(r, u, "Subscribers", v))
			return
		}
		c.fail(w, r, err)
		return
	}
	c.audit(r, u, "subscriber.add", subjectOf(sub), sub.Status)
	redirectDone(w, r, fmt.Sprintf("/admin/subscribers/%d", sub.ID), "Added "+sub.Email+".")
}

// subjectOf names a subscriber in the audit log by id only: the log is
// kept after an erase, and must not keep the address.
func subjectOf(s newsletter.Subscriber) string { return fmt.Sprintf("subscriber %d", s.ID) }

type subscriberView struct {
	Sub        newsletter.Subscriber
	Attributes string // key=value lines, for the edit form
	Keys       []string
	Consent    []newsletter.ConsentEvent
	Deliveries []store.DeliveryRecord
	Error      string
}

func (c *Console) subscriberPage(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	id, err := pathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.showSubscriber(w, r, u, id, http.StatusOK, "", "")
}

func (c *Console) showSubscriber(w http.ResponseWriter, r *http.Request, u newsletter.User, id int64, status int, formErr, attrs string) {
	ctx := r.Context()
	sub, err := c.d.Subscribers.GetSubscriber(ctx, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := subscriberView{Sub: sub, Error: formErr, Attributes: attrs}
	for k := range sub.Attributes {
		v.Keys = append(v.Keys, k)
	}
	slices.Sort(v.Keys)
	if formErr == "" {
		var b strings.Builder
		for _, k := range v.Keys {
			fmt.Fprintf(&b, "%s=%s\n", k, sub.Attributes[k])
		}
		v.Attributes = b.String()
	}
	if v.Consent, err = c.d.Subscribers.ConsentEvents(ctx, id); err != nil {
		c.fail(w, r, err)
		return
	}
	if v.Deliveries, err = c.d.Subscribers.SubscriberDeliveries(ctx, id, 24); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, status, pageSubscriber, c.view(r, u, sub.Email, v))
}

func (c *Console) subscriberEdit(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	id, err := pathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	raw := r.PostFormValue("attributes")
	name, err := subscribers.NormaliseName(r.PostFormValue("name"))
	var attrs map[string]string
	if err == nil {
		attrs, err = parseAttributes(raw)
	}
	if err == nil {
		_, err = c.d.Subscribers.UpdateSubscriber(r.Context(), id, &name, attrs)
	}
	if err != nil {
		if code, msg, ok := formError(err); ok {
			c.showSubscriber(w, r, u, id, code, msg, raw)
			return
		}
		c.fail(w, r, err)
		return
	}
	c.audit(r, u, "subscriber.edit", fmt.Sprintf("subscriber %d", id), "")
	redirectDone(w, r, fmt.Sprintf("/admin/subscribers/%d", id), "Saved.")
}

// parseAttributes reads key=value lines; blank lines are skipped.
func parseAttributes(raw string) (map[string]string, error) {
	attrs := map[string]string{}
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.ReplaceAll(raw, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%w: attributes line %d: want key=value", newsletter.ErrInvalid, i+1)
		}
		key := strings.ToLower(strings.TrimSpace(k))
		if seen[key] {
			return nil, fmt.Errorf("%w: attribute key %q given twice", newsletter.ErrInvalid, key)
		}
		seen[key] = true
		attrs[k] = v
	}
	return subscribers.CheckAttributes(attrs)
}

func (c *Console) subscriberUnsubscribe(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	id, err := pathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sub, changed, err := c.d.Subscribers.UnsubscribeSubscriber(r.Context(), id, c.consent(r))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	msg := sub.Email + " was already off the list (" + sub.Status + ")."
	if changed {
		c.audit(r, u, "subscriber.unsubscribe", subjectOf(sub), "")
		msg = "Unsubscribed " + sub.Email + "."
	}
	redirectDone(w, r, fmt.Sprintf("/admin/subscribers/%d", id), msg)
}

// subscriberErase erases for good, once the address is typed again: a
// slip of the mouse must not destroy data.
func (c *Console) subscriberErase(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	id, err := pathID(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sub, err := c.d.Subscribers.GetSubscriber(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if !strings.EqualFold(strings.TrimSpace(r.PostFormValue("confirm")), sub.Email) {
		c.showSubscriber(w, r, u, id, http.StatusUnprocessableEntity,
			"Nothing was erased: type the address exactly as shown to confirm.", "")
		return
	}
	if err := c.d.Subscribers.EraseSubscriber(r.Context(), id, c.consent(r)); err != nil {
		c.fail(w, r, err)
		return
	}
	c.audit(r, u, "subscriber.erase", subjectOf(sub), "")
	redirectDone(w, r, "/admin/subscribers", fmt.Sprintf("Subscriber %d was erased; only a keyed hash of the address is kept.", id))
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: subscriber %q: no such page", newsletter.ErrNotFound, r.PathValue("id"))
	}
	return id, nil
}
