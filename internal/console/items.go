package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/enews/enews/internal/content"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// ItemStore is what the items pages need.
type ItemStore interface {
	ListItems(ctx context.Context, f store.ItemFilter) ([]newsletter.Item, error)
	UpsertItems(ctx context.Context, items []newsletter.Item) (store.UpsertResult, error)
	ItemByID(ctx context.Context, id int64) (newsletter.Item, error)
	EditItem(ctx context.Context, id int64, edited newsletter.Item, fields []string) (newsletter.Item, error)
}

// manualSource is the source of items added by hand, as `enews items add`
// stores them.
const manualSource = "manual"

type itemsView struct {
	Period, Prev, Next string
	Items              []newsletter.Item
	Add                itemForm
	Error              string
}

type itemForm struct {
	Title, URL, Kind, Summary, Published, Status string
}

func (c *Console) itemList(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	c.showItems(w, r, u, http.StatusOK, r.URL.Query().Get("period"), itemForm{Status: newsletter.ItemPublished}, "")
}

func (c *Console) showItems(w http.ResponseWriter, r *http.Request, u newsletter.User, status int, period string, f itemForm, formErr string) {
	p, err := newsletter.ParsePeriod(period)
	if err != nil {
		p = newsletter.PeriodOf(c.d.Now().In(c.d.Location), c.d.Location)
	}
	from, to := p.Bounds(c.d.Location)
	list, err := c.d.Items.ListItems(r.Context(), store.ItemFilter{From: from, To: to, Limit: 1000})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if f.Published == "" {
		f.Published = c.d.Now().In(c.d.Location).Format("2006-01-02")
	}
	v := itemsView{Period: p.String(), Prev: p.Prev().String(), Next: newsletter.PeriodOf(to, c.d.Location).String(), Items: list, Add: f, Error: formErr}
	c.render(w, r, status, pageItems, c.view(r, u, "Items", v))
}

// itemAdd adds an item by hand (or updates the manual item with the same
// link), cleaned and checked as `enews items add` does.
func (c *Console) itemAdd(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	f := itemForm{Title: strings.TrimSpace(r.PostFormValue("title")), URL: strings.TrimSpace(r.PostFormValue("url")),
		Kind: strings.TrimSpace(r.PostFormValue("kind")), Summary: strings.TrimSpace(r.PostFormValue("summary")),
		Published: strings.TrimSpace(r.PostFormValue("published")), Status: r.PostFormValue("status")}
	it, res, err := func() (newsletter.Item, store.UpsertResult, error) {
		at, err := newsletter.ParseDate(f.Published, c.d.Location)
		if err != nil {
			return newsletter.Item{}, store.UpsertResult{}, err
		}
		if f.Status != newsletter.ItemPublished && f.Status != newsletter.ItemDraft {
			return newsletter.Item{}, store.UpsertResult{}, fmt.Errorf("%w: the status must be published or draft", newsletter.ErrInvalid)
		}
		clean, err := content.Manual(manualSource, newsletter.Item{Title: f.Title, URL: f.URL, Kind: f.Kind, Summary: f.Summary,
			PublishedAt: at, Status: f.Status, ExternalID: f.URL}, c.d.ItemOptions)
		if err != nil {
			return newsletter.Item{}, store.UpsertResult{}, fmt.Errorf("%w: %w", newsletter.ErrInvalid, err)
		}
		res, err := c.d.Items.UpsertItems(r.Context(), []newsletter.Item{clean})
		return clean, res, err
	}()
	period := r.PostFormValue("period")
	if err != nil {
		if code, msg, ok := formError(err); ok {
			c.showItems(w, r, u, code, period, f, "No item was added: "+msg)
			return
		}
		c.fail(w, r, err)
		return
	}
	p := newsletter.PeriodOf(it.PublishedAt.In(c.d.Location), c.d.Location)
	what := "Added"
	if res.New == 0 {
		what = "Updated the item with this link:"
	}
	c.audit(r, u, "item.add", it.URL, it.Status)
	redirectDone(w, r, "/admin/items?period="+p.String(), what+" “"+it.Title+"”, "+it.Status+", in "+p.String()+
		". A draft issue of that month takes it in within seconds.")
}

// itemStatus hides or publishes again an item, feed items included: the
// status is then the staff's, whatever its source says later (as `enews
// items hide|unhide`).
func (c *Console) itemStatus(status string) func(http.ResponseWriter, *http.Request, newsletter.User) {
	return func(w http.ResponseWriter, r *http.Request, u newsletter.User) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			c.fail(w, r, fmt.Errorf("%w: item %q: no such page", newsletter.ErrNotFound, r.PathValue("id")))
			return
		}
		it, err := c.d.Items.EditItem(r.Context(), id, newsletter.Item{Status: status}, []string{"status"})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		verb := "Hid"
		if status == newsletter.ItemPublished {
			verb = "Published again"
		}
		c.audit(r, u, "item."+map[string]string{newsletter.ItemHidden: "hide", newsletter.ItemPublished: "unhide"}[status],
			"item "+strconv.FormatInt(it.ID, 10), it.Title)
		p := newsletter.PeriodOf(it.PublishedAt.In(c.d.Location), c.d.Location)
		redirectDone(w, r, "/admin/items?period="+p.String(), verb+" “"+it.Title+"”. Later polls of its source leave its status as it is now; a draft issue of "+
			p.String()+" follows within seconds.")
	}
}
