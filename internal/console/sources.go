package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/enews/enews/internal/newsletter"
)

// SourceStore is what the sources pages need: the feeds the leader polls
// and each one's fetch history.
type SourceStore interface {
	ListSources(ctx context.Context) ([]newsletter.Source, error)
	SourceByRef(ctx context.Context, ref string) (newsletter.Source, error)
	AddSource(ctx context.Context, src newsletter.Source) (newsletter.Source, error)
	SetSourceEnabled(ctx context.Context, id int64, enabled bool) (newsletter.Source, error)
	SourceFetches(ctx context.Context, sourceID int64, limit int) ([]newsletter.SourceFetch, error)
}

type sourcesView struct {
	Sources []newsletter.Source
	Add     sourceForm
	Error   string
}

type sourceForm struct {
	Name, URL, Kind string
}

type sourceView struct {
	Source  newsletter.Source
	Fetches []newsletter.SourceFetch
}

func (c *Console) sourceList(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	c.showSources(w, r, u, http.StatusOK, sourceForm{}, "")
}

func (c *Console) showSources(w http.ResponseWriter, r *http.Request, u newsletter.User, status int, f sourceForm, formErr string) {
	list, err := c.d.Sources.ListSources(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, status, pageSources, c.view(r, u, "Sources", sourcesView{Sources: list, Add: f, Error: formErr}))
}

// sourcePage shows one source and its last fetches, newest first.
func (c *Console) sourcePage(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	src, err := c.sourceOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	fetches, err := c.d.Sources.SourceFetches(r.Context(), src.ID, 100)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, pageSource, c.view(r, u, "Source "+src.Name, sourceView{Source: src, Fetches: fetches}))
}

func (c *Console) sourceOf(r *http.Request) (newsletter.Source, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return newsletter.Source{}, fmt.Errorf("%w: source %q: no such page", newsletter.ErrNotFound, r.PathValue("id"))
	}
	return c.d.Sources.SourceByRef(r.Context(), strconv.FormatInt(id, 10))
}

// sourceAdd stores a new feed; the leader fetches it within its next poll.
func (c *Console) sourceAdd(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	f := sourceForm{Name: strings.TrimSpace(r.PostFormValue("name")), URL: strings.TrimSpace(r.PostFormValue("url")),
		Kind: strings.TrimSpace(r.PostFormValue("kind"))}
	src, err := newsletter.NewSource(f.Name, f.URL, f.Kind)
	if err == nil {
		src, err = c.d.Sources.AddSource(r.Context(), src)
	}
	if err != nil {
		if code, msg, ok := formError(err); ok {
			if code == http.StatusConflict {
				msg = "a source with this name or address exists already."
			}
			c.showSources(w, r, u, code, f, "No source was added: "+msg)
			return
		}
		c.fail(w, r, err)
		return
	}
	c.audit(r, u, "source.add", "source "+strconv.FormatInt(src.ID, 10), src.URL)
	redirectDone(w, r, "/admin/sources/"+strconv.FormatInt(src.ID, 10), "Added "+src.Name+": the server fetches it within its next poll.")
}

func (c *Console) sourceEnable(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	src, err := c.sourceOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	action := r.PathValue("action")
	if action != "enable" && action != "disable" {
		c.fail(w, r, fmt.Errorf("%w: no source action %q", newsletter.ErrNotFound, action))
		return
	}
	if src, err = c.d.Sources.SetSourceEnabled(r.Context(), src.ID, action == "enable"); err != nil {
		c.fail(w, r, err)
		return
	}
	c.audit(r, u, "source."+action, "source "+strconv.FormatInt(src.ID, 10), "")
	redirectDone(w, r, "/admin/sources/"+strconv.FormatInt(src.ID, 10), src.Name+" is "+action+"d.")
}
