package digest

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/templates"
)

// WebFile is the theme's archive page body. A theme directory without one
// uses the embedded file, so older themes keep working.
const WebFile = "enewsupdate.web.html.tmpl"

// webView is what WebFile gets.
type webView struct {
	Title  string
	Intros []string
	Outros []string
	Items  []itemView
}

func loadWebTheme(fsys fs.FS) (*htmltemplate.Template, error) {
	b, err := fs.ReadFile(fsys, WebFile)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = fs.ReadFile(templates.EmailTheme(), WebFile)
	}
	if err != nil {
		return nil, fmt.Errorf("digest: theme: %w", err)
	}
	t, err := htmltemplate.New(WebFile).Option("missingkey=error").Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("digest: theme %s: %w: %v", WebFile, newsletter.ErrInvalid, err)
	}
	return t, nil
}

// RenderWeb renders the issue for period p as the archive page's body: an
// HTML fragment with no per-reader part, stored with the issue.
func (r *Renderer) RenderWeb(p newsletter.Period, items []newsletter.Item) (string, error) {
	for _, it := range items {
		if err := checkItem(it); err != nil {
			return "", err
		}
	}
	w, err := r.wording(p, items)
	if err != nil {
		return "", err
	}
	v := webView{Title: plaintext.OneLine(w[0]), Intros: paragraphs(w[1]), Outros: paragraphs(w[2]),
		Items: newIssueView(r.cfg, items).Items}
	var b strings.Builder
	if err := r.web.Execute(&b, v); err != nil {
		return "", fmt.Errorf("digest: theme %s: %w", WebFile, err)
	}
	return b.String(), nil
}
