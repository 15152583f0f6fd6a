// Package digest renders one issue of the eNewsUpdate: it turns a month of
// items into HTML and plain text once, with hermes and the eNewsUpdate theme,
// leaving placeholder tokens where each reader's details go. The frozen result
// is then personalised per recipient by plain substitution (see Compile), so
// sending never runs hermes, templates or CSS inlining again.
package digest

import (
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	"text/template"
	"time"

	"github.com/matcornic/hermes/v2"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/templates"
)

// Config is the issue-independent wording and branding of the email.
type Config struct {
	ProductName string // masthead and footer; required
	ProductURL  string // where the masthead links; required
	LogoURL     string // masthead image; the product name shows instead when empty

	// TitleFormat, Intro, Outro and Copyright are text/template strings over
	// TitleData, so the wording stays configurable without touching the theme.
	TitleFormat string // default "{{.Product}} — {{.Month}} {{.Year}}"; also the subject
	Intro       string // paragraphs separated by blank lines; optional
	Outro       string // likewise
	Copyright   string // default "© {{.Year}} {{.Product}}"

	OrgAddress string         // postal address, one line per line; anti-spam law wants it
	Reason     string         // why the reader gets this email
	Greeting   string         // before the reader's name; default "Hello"
	Location   *time.Location // item dates are shown in this zone; nil means UTC
}

// TitleData is what TitleFormat, Intro, Outro and Copyright can use.
type TitleData struct {
	Product string // Config.ProductName
	Month   string // "May"
	Year    int    // 2022
	Period  string // "2022-05"
	Count   int    // number of items in the issue
}

// Rendered is one issue, frozen: HTML and Text still hold the tokens.
type Rendered struct {
	Subject   string
	Preheader string
	HTML      string
	Text      string
}

// Renderer renders issues with one config and theme. It holds no hermes
// value (hermes writes defaults into its own struct), so one Renderer can be
// used from several goroutines.
type Renderer struct {
	cfg   Config
	theme themeSource
	web   *htmltemplate.Template // the archive page body
	title *template.Template
	intro *template.Template
	outro *template.Template
	copyr *template.Template
}

// Defaults for the optional wording.
const (
	DefaultTitleFormat = "{{.Product}} — {{.Month}} {{.Year}}"
	DefaultCopyright   = "© {{.Year}} {{.Product}}"
	DefaultGreeting    = "Hello"
)

// NewRenderer checks cfg, reads the theme from themeDir (nil means the
// embedded eNewsUpdate theme; a configured directory is os.DirFS(dir)) and
// renders a trial issue, so a broken theme or format fails at start rather
// than on the first of the month.
func NewRenderer(cfg Config, themeDir fs.FS) (*Renderer, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	if themeDir == nil {
		themeDir = templates.EmailTheme()
	}
	src, err := loadTheme(themeDir)
	if err != nil {
		return nil, err
	}
	web, err := loadWebTheme(themeDir)
	if err != nil {
		return nil, err
	}
	r := &Renderer{cfg: cfg, theme: src, web: web}
	for _, f := range []struct {
		name string
		text string
		dst  **template.Template
	}{
		{"TitleFormat", cfg.TitleFormat, &r.title},
		{"Intro", cfg.Intro, &r.intro},
		{"Outro", cfg.Outro, &r.outro},
		{"Copyright", cfg.Copyright, &r.copyr},
	} {
		t, err := template.New(f.name).Option("missingkey=error").Parse(f.text)
		if err != nil {
			return nil, &ConfigError{Field: f.name, Err: fmt.Errorf("%w: %v", newsletter.ErrInvalid, err)}
		}
		*f.dst = t
	}
	if _, err := r.Render(trialIssue()); err != nil {
		return nil, fmt.Errorf("digest: trial render: %w", err)
	}
	if _, err := r.RenderWeb(trialIssue()); err != nil {
		return nil, fmt.Errorf("digest: trial render: %w", err)
	}
	return r, nil
}

// ConfigError names the Config field that is wrong, so the caller can name
// the setting it came from.
type ConfigError struct {
	Field string // e.g. "ProductURL"
	Err   error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("digest: config %s: %v", e.Field, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

// checkConfig fills defaults and rejects what would make an unlawful or
// broken email: no sender identity or site, no postal address, no reason.
func checkConfig(cfg *Config) error {
	for _, f := range []struct{ name, value string }{
		{"ProductName", cfg.ProductName},
		{"OrgAddress", cfg.OrgAddress},
		{"Reason", cfg.Reason},
	} {
		if strings.TrimSpace(f.value) == "" {
			return &ConfigError{Field: f.name, Err: fmt.Errorf("%w: required", newsletter.ErrInvalid)}
		}
	}
	if err := checkWebURL(cfg.ProductURL, true); err != nil {
		return &ConfigError{Field: "ProductURL", Err: err}
	}
	if err := checkWebURL(cfg.LogoURL, false); err != nil {
		return &ConfigError{Field: "LogoURL", Err: err}
	}
	if cfg.TitleFormat == "" {
		cfg.TitleFormat = DefaultTitleFormat
	}
	if cfg.Copyright == "" {
		cfg.Copyright = DefaultCopyright
	}
	if cfg.Greeting == "" {
		cfg.Greeting = DefaultGreeting
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	for _, f := range []struct{ name, value string }{
		{"ProductName", cfg.ProductName}, {"ProductURL", cfg.ProductURL},
		{"LogoURL", cfg.LogoURL}, {"TitleFormat", cfg.TitleFormat},
		{"Intro", cfg.Intro}, {"Outro", cfg.Outro}, {"Copyright", cfg.Copyright},
		{"OrgAddress", cfg.OrgAddress}, {"Reason", cfg.Reason}, {"Greeting", cfg.Greeting},
	} {
		if err := rejectTokens("text", f.value); err != nil {
			return &ConfigError{Field: f.name, Err: err}
		}
	}
	return nil
}

// Render builds the issue for period p from items, in the order given. The
// result holds the tokens, each checked to have survived the theme.
func (r *Renderer) Render(p newsletter.Period, items []newsletter.Item) (Rendered, error) {
	for _, it := range items {
		if err := checkItem(it); err != nil {
			return Rendered{}, err
		}
	}
	words, err := r.wording(p, items)
	if err != nil {
		return Rendered{}, err
	}
	title := plaintext.OneLine(words[0])
	view := newIssueView(r.cfg, items)

	// A fresh Hermes per call: hermes merges its defaults into the value it
	// is called on, so sharing one would race and leak state between issues.
	h := hermes.Hermes{
		Theme:         &theme{src: r.theme, issue: view},
		TextDirection: hermes.TDLeftToRight,
		Product: hermes.Product{
			Name:      r.cfg.ProductName,
			Link:      r.cfg.ProductURL,
			Logo:      r.cfg.LogoURL,
			Copyright: plaintext.OneLine(words[3]),
		},
	}
	email := hermes.Email{Body: hermes.Body{
		Title:    title,
		Greeting: r.cfg.Greeting,
		Name:     TokenName,
		Intros:   paragraphs(words[1]),
		Outros:   paragraphs(words[2]),
	}}
	html, err := h.GenerateHTML(email)
	if err != nil {
		return Rendered{}, fmt.Errorf("digest: theme %s: %w", HTMLFile, err)
	}
	text, err := h.GeneratePlainText(email)
	if err != nil {
		return Rendered{}, fmt.Errorf("digest: theme %s: %w", TextFile, err)
	}
	out := Rendered{
		Subject:   title,
		Preheader: view.Preheader,
		HTML:      html,
		Text:      text + "\n",
	}
	if err := checkTokens(out.HTML, out.Text, false); err != nil {
		return Rendered{}, err
	}
	return out, nil
}

// wording executes the configured title, intro, outro and copyright for
// one issue, in that order.
func (r *Renderer) wording(p newsletter.Period, items []newsletter.Item) ([4]string, error) {
	data := TitleData{
		Product: r.cfg.ProductName,
		Month:   p.Month.String(),
		Year:    p.Year,
		Period:  p.String(),
		Count:   len(items),
	}
	var words [4]string
	for n, t := range []*template.Template{r.title, r.intro, r.outro, r.copyr} {
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return words, fmt.Errorf("digest: config %s: %w", t.Name(), err)
		}
		words[n] = b.String()
	}
	return words, nil
}

// trialIssue exercises every branch of a theme: image, credit, summary.
func trialIssue() (newsletter.Period, []newsletter.Item) {
	at := time.Date(2000, time.January, 15, 12, 0, 0, 0, time.UTC)
	return newsletter.Period{Year: 2000, Month: time.January}, []newsletter.Item{{
		Kind:        "News",
		Title:       "Trial item",
		Summary:     "Trial summary.",
		URL:         "https://example.com/trial",
		ImageURL:    "https://example.com/trial.png",
		ImageAlt:    "Trial image",
		ImageCredit: "Trial credit",
		PublishedAt: at,
	}}
}
