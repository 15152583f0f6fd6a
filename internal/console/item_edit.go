package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/enews/enews/internal/content"
	"github.com/enews/enews/internal/newsletter"
)

// One item's page: its fields as a form, what staff overrode and what its
// source now says of those. A change is cleaned and checked as an import
// is, and stays through later polls of the source (as `enews items edit`).

type itemView struct {
	Item      newsletter.Item
	Form      itemEditForm
	Published string // the date field's value
	Period    string
	Overrides []itemOverride
	Error     string
}

type itemEditForm struct {
	Title, URL, Summary, Kind, Published, ImageURL, ImageAlt, ImageCredit string
}

// itemOverride is a field staff set, with what the source now says of it.
type itemOverride struct {
	Field, Source string
	Differs       bool
}

func (c *Console) itemPage(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	it, ok := c.itemOf(w, r)
	if !ok {
		return
	}
	c.showItem(w, r, u, http.StatusOK, it, formOfItem(it, c.day(it)), "")
}

func (c *Console) day(it newsletter.Item) string {
	return it.PublishedAt.In(c.d.Location).Format("2006-01-02")
}

func formOfItem(it newsletter.Item, day string) itemEditForm {
	return itemEditForm{Title: it.Title, URL: it.URL, Summary: it.Summary, Kind: it.Kind, Published: day,
		ImageURL: it.ImageURL, ImageAlt: it.ImageAlt, ImageCredit: it.ImageCredit}
}

func (c *Console) showItem(w http.ResponseWriter, r *http.Request, u newsletter.User, status int, it newsletter.Item, f itemEditForm, formErr string) {
	v := itemView{Item: it, Form: f, Error: formErr,
		Period: newsletter.PeriodOf(it.PublishedAt.In(c.d.Location), c.d.Location).String()}
	for _, field := range it.Overridden {
		src, ok := it.SourceValues[field]
		v.Overrides = append(v.Overrides, itemOverride{Field: field, Source: src, Differs: ok && src != it.Field(field)})
	}
	c.render(w, r, status, pageItem, c.view(r, u, "Item "+strconv.FormatInt(it.ID, 10), v))
}

func (c *Console) itemOf(w http.ResponseWriter, r *http.Request) (newsletter.Item, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(w, r, fmt.Errorf("%w: item %q: no such page", newsletter.ErrNotFound, r.PathValue("id")))
		return newsletter.Item{}, false
	}
	it, err := c.d.Items.ItemByID(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return newsletter.Item{}, false
	}
	return it, true
}

// itemEdit saves the fields the form changed.
func (c *Console) itemEdit(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	cur, ok := c.itemOf(w, r)
	if !ok {
		return
	}
	f := itemEditForm{}
	for _, fv := range []struct {
		dst  *string
		name string
	}{{&f.Title, "title"}, {&f.URL, "url"}, {&f.Summary, "summary"}, {&f.Kind, "kind"}, {&f.Published, "published"},
		{&f.ImageURL, "image_url"}, {&f.ImageAlt, "image_alt"}, {&f.ImageCredit, "image_credit"}} {
		*fv.dst = strings.TrimSpace(r.PostFormValue(fv.name))
	}
	in, fields, err := c.itemChanges(cur, f)
	if err == nil && len(fields) == 0 {
		redirectDone(w, r, r.URL.Path, "Nothing was changed.")
		return
	}
	var it newsletter.Item
	if err == nil {
		merged := cur
		merged.CopyFields(in, fields)
		var clean newsletter.Item
		if clean, err = content.Manual(cur.Source, merged, c.d.ItemOptions); err != nil {
			err = fmt.Errorf("%w: %w", newsletter.ErrInvalid, err)
		} else {
			it, err = c.d.Items.EditItem(r.Context(), cur.ID, clean, fields)
		}
	}
	if err != nil {
		if code, msg, ok := formError(err); ok {
			c.showItem(w, r, u, code, cur, f, "Nothing was changed: "+msg)
			return
		}
		c.fail(w, r, err)
		return
	}
	c.audit(r, u, "item.edit", "item "+strconv.FormatInt(it.ID, 10), strings.Join(fields, ","))
	redirectDone(w, r, r.URL.Path, "Saved: "+strings.Join(fields, ", ")+". Later polls of its source leave these as set here.")
}

// itemChanges compares the form with the item: the fields it changes and
// their new values.
func (c *Console) itemChanges(cur newsletter.Item, f itemEditForm) (newsletter.Item, []string, error) {
	var in newsletter.Item
	var fields []string
	set := func(field, now, typed string, dst *string) {
		if now != typed {
			*dst = typed
			fields = append(fields, field)
		}
	}
	set("title", cur.Title, f.Title, &in.Title)
	set("url", cur.URL, f.URL, &in.URL)
	set("summary", cur.Summary, f.Summary, &in.Summary)
	set("kind", cur.Kind, f.Kind, &in.Kind)
	set("image_url", cur.ImageURL, f.ImageURL, &in.ImageURL)
	set("image_alt", cur.ImageAlt, f.ImageAlt, &in.ImageAlt)
	set("image_credit", cur.ImageCredit, f.ImageCredit, &in.ImageCredit)
	if f.Published != c.day(cur) {
		at, err := newsletter.ParseDate(f.Published, c.d.Location)
		if err != nil {
			return in, nil, err
		}
		in.PublishedAt = at
		fields = append(fields, "published_at")
	}
	slices.Sort(fields)
	return in, fields, nil
}
