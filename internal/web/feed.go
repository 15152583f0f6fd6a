package web

import (
	"encoding/xml"
	"net/http"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// The Atom feed of sent issues (RFC 4287): one entry per issue, its content
// the same web rendering the archive page shows.

const atomNS = "http://www.w3.org/2005/Atom"

// feedEntries bounds the feed: ten years of monthly issues.
const feedEntries = 120

type atomFeed struct {
	XMLName xml.Name    `xml:"feed"`
	NS      string      `xml:"xmlns,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string    `xml:"id"`
	Title     string    `xml:"title"`
	Updated   string    `xml:"updated"`
	Published string    `xml:"published"`
	Link      atomLink  `xml:"link"`
	Summary   *atomText `xml:"summary,omitempty"`
	Content   atomText  `xml:"content"`
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) archiveFeed(w http.ResponseWriter, r *http.Request) {
	list, err := s.d.Store.ListIssues(r.Context(), newsletter.IssueSent, feedEntries)
	if err != nil {
		s.log.Error("web: archive feed", "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	l := s.d.Links
	f := atomFeed{NS: atomNS, ID: l.Base() + "/archive/", Title: s.d.Brand.Newsletter + " · " + s.d.Brand.ProductName,
		Author: atomPerson{Name: s.d.Brand.ProductName, URI: s.d.Brand.ProductURL},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: l.Feed()},
			{Rel: "alternate", Type: "text/html", Href: l.Base() + "/archive/"}}}
	var updated time.Time
	for _, is := range list {
		at := is.UpdatedAt
		if is.SentAt != nil {
			at = *is.SentAt
		}
		if at.After(updated) {
			updated = at
		}
		e := atomEntry{ID: l.Archive(is.Period), Title: is.Subject, Updated: atomTime(at), Published: atomTime(at),
			Link: atomLink{Rel: "alternate", Type: "text/html", Href: l.Archive(is.Period)},
			// encoding/xml escapes the HTML, as type="html" wants.
			Content: atomText{Type: "html", Body: is.WebHTML}}
		if is.WebHTML == "" {
			e.Content.Body = "<p>Read this issue on the web: <a href=\"" + l.Archive(is.Period) + "\">" + l.Archive(is.Period) + "</a></p>"
		}
		if is.Preheader != "" {
			e.Summary = &atomText{Type: "text", Body: is.Preheader}
		}
		f.Entries = append(f.Entries, e)
	}
	if updated.IsZero() {
		updated = time.Unix(0, 0)
	}
	f.Updated = atomTime(updated)
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		s.log.Error("web: archive feed", "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}
