package digest

import (
	"fmt"
	"io/fs"

	"github.com/enews/enews/internal/newsletter"
)

// File names a theme directory must hold.
const (
	HTMLFile  = "enewsupdate.html.tmpl"
	TextFile  = "enewsupdate.txt.tmpl"
	ThemeName = "enewsupdate"
)

// themeSource is a theme's template text, read once per Renderer.
type themeSource struct {
	html string
	text string
}

func loadTheme(fsys fs.FS) (themeSource, error) {
	html, err := fs.ReadFile(fsys, HTMLFile)
	if err != nil {
		return themeSource{}, fmt.Errorf("digest: theme: %w", err)
	}
	text, err := fs.ReadFile(fsys, TextFile)
	if err != nil {
		return themeSource{}, fmt.Errorf("digest: theme: %w", err)
	}
	if len(html) == 0 || len(text) == 0 {
		return themeSource{}, fmt.Errorf("digest: theme: %w: empty template file", newsletter.ErrInvalid)
	}
	// hermes v2.1.0 always feeds the plain-text template's output through
	// html2text, which would fold every line break into a space. Inside <pre>
	// html2text keeps the text as written and still decodes the entities that
	// html/template put in, so the theme file can be written as plain text.
	return themeSource{html: string(html), text: "<pre>" + string(text) + "</pre>"}, nil
}

// theme is the hermes.Theme for one Render call. hermes hands its templates
// only its own Hermes and Email values; the theme is part of the former, so
// carrying the issue here gives templates typed items
// (.Hermes.Theme.Issue.Items) instead of string tables.
//
// Its fields stay unexported: hermes merges its default theme (an empty
// struct) into this one with mergo, which walks exported fields by index
// and panics on a struct that has any. Templates reach the issue through
// the Issue method instead.
type theme struct {
	src   themeSource
	issue *issueView
}

func (t *theme) Name() string              { return ThemeName }
func (t *theme) HTMLTemplate() string      { return t.src.html }
func (t *theme) PlainTextTemplate() string { return t.src.text }

// Issue is the issue being rendered, for the templates.
func (t *theme) Issue() *issueView { return t.issue }
