package digest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

func TestRenderHostileText(t *testing.T) {
	r := newSampleRenderer(t)
	p, _ := may2022(t)
	items := []newsletter.Item{{
		ID: 1, Kind: "<i>News</i>", Title: "<script>alert(1)</script>",
		Summary:     "<img src=x onerror=alert(1)>",
		URL:         "https://coop.example.org/a?x=1&y=\"2\"",
		ImageURL:    "https://coop.example.org/i.png",
		ImageAlt:    `" onload="alert(1)`,
		PublishedAt: time.Date(2022, time.May, 2, 9, 0, 0, 0, time.UTC),
	}}
	got, err := r.Render(p, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, part, want string
		present          bool
	}{
		{"no script tag", got.HTML, "<script", false},
		{"no img tag from summary", got.HTML, "<img src=x", false},
		{"no kind markup", got.HTML, "<i>", false},
		{"no attribute break-out", got.HTML, `" onload="`, false},
		{"title escaped", got.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;", true},
		{"summary escaped", got.HTML, "&lt;img src=x onerror=alert(1)&gt;", true},
		{"alt escaped", got.HTML, `alt="&#34; onload=&#34;alert(1)"`, true},
		{"href ampersand escaped", got.HTML, `href="https://coop.example.org/a?x=1&amp;y=%222%22"`, true},
		// text/plain is never interpreted: the words show as written, not
		// as entities a reader would have to decode.
		{"text shows title verbatim", got.Text, "\n<script>alert(1)</script>\n", true},
		{"text shows summary verbatim", got.Text, "\n<img src=x onerror=alert(1)>\n", true},
		{"text has no entities", got.Text, "&lt;", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.part, tc.want) != tc.present {
				t.Errorf("contains %q = %v, want %v", tc.want, !tc.present, tc.present)
			}
		})
	}
}

func TestRenderRejects(t *testing.T) {
	r := newSampleRenderer(t)
	p, items := may2022(t)
	for _, tc := range []struct {
		name  string
		edit  func(*newsletter.Item)
		words string
	}{
		{"token in summary", func(it *newsletter.Item) { it.Summary = "see ENEWS_UNSUBSCRIBE_URL" }, "ENEWS_UNSUBSCRIBE_URL"},
		{"token in title", func(it *newsletter.Item) { it.Title = "Hi ENEWS_NAME" }, "ENEWS_NAME"},
		{"javascript url", func(it *newsletter.Item) { it.URL = "javascript:alert(1)" }, "url"},
		{"relative url", func(it *newsletter.Item) { it.URL = "/news/1" }, "url"},
		{"data image", func(it *newsletter.Item) { it.ImageURL = "data:image/png;base64,AAAA" }, "image url"},
		{"no title", func(it *newsletter.Item) { it.Title = " " }, "title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := append([]newsletter.Item(nil), items...)
			tc.edit(&bad[2])
			_, err := r.Render(p, bad)
			if !errors.Is(err, newsletter.ErrInvalid) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("err = %v, want ErrInvalid naming %q", err, tc.words)
			}
		})
	}
}

func TestRenderDateUsesLocation(t *testing.T) {
	// 22:30 UTC on 31 May is already 1 June in Geneva.
	at := time.Date(2022, time.May, 31, 22, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		loc  *time.Location
		want string
	}{
		{"zurich", zurich(t), "1 June 2022"},
		{"utc", time.UTC, "31 May 2022"},
		{"nil is utc", nil, "31 May 2022"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sampleConfig(t)
			cfg.Location = tc.loc
			r, err := NewRenderer(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Render(newsletter.Period{Year: 2022, Month: time.May}, []newsletter.Item{{
				ID: 1, Kind: "News", Title: "Late", URL: "https://coop.example.org/late", PublishedAt: at,
			}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got.HTML, ">"+tc.want+"</p>") || !strings.Contains(got.Text, "\n"+tc.want+"\n") {
				t.Errorf("date %q missing from HTML or text", tc.want)
			}
		})
	}
}

// TestDefaultThemeTokenCounts pins where the default theme puts each token;
// TokenRules only asks for at least one.
func TestDefaultThemeTokenCounts(t *testing.T) {
	got, err := newSampleRenderer(t).Render(may2022(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token, part string
		want        int
	}{
		{TokenUnsubscribeURL, PartHTML, 1}, {TokenViewURL, PartHTML, 2}, {TokenName, PartHTML, 1},
		{TokenUnsubscribeURL, PartText, 1}, {TokenViewURL, PartText, 1}, {TokenName, PartText, 1},
	} {
		t.Run(tc.token+"/"+tc.part, func(t *testing.T) {
			s := got.HTML
			if tc.part == PartText {
				s = got.Text
			}
			if n := strings.Count(s, tc.token); n != tc.want {
				t.Errorf("count = %d, want %d", n, tc.want)
			}
		})
	}
	// Tokens in hrefs must come through html/template and premailer as is.
	for _, want := range []string{`href="` + TokenUnsubscribeURL + `"`, `href="` + TokenViewURL + `"`} {
		if !strings.Contains(got.HTML, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
}

func TestRenderHasNoHermesDefaults(t *testing.T) {
	got, err := newSampleRenderer(t).Render(may2022(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Hermes", "Yours truly", "© 2020", "having trouble", "Hi ENEWS_NAME"} {
		for part, body := range map[string]string{PartHTML: got.HTML, PartText: got.Text} {
			if strings.Contains(body, s) {
				t.Errorf("%s part holds hermes default %q", part, s)
			}
		}
	}
}

// minimalTheme is a valid theme that callers break one piece at a time.
func minimalTheme() fstest.MapFS {
	return fstest.MapFS{
		HTMLFile: {Data: []byte(`<html><body><p>{{ .Email.Body.Name }}</p>` +
			`<a href="{{ .Hermes.Theme.Issue.ViewURL }}">web</a>` +
			`<a href="{{ .Hermes.Theme.Issue.UnsubscribeURL }}">out</a>` +
			`<a href="{{ .Hermes.Theme.Issue.ManageURL }}">manage</a></body></html>`)},
		TextFile: {Data: []byte(`{{ .Email.Body.Name }} {{ .Hermes.Theme.Issue.ViewURL }} ` +
			`{{ .Hermes.Theme.Issue.UnsubscribeURL }} {{ .Hermes.Theme.Issue.ManageURL }}`)},
	}
}

func TestNewRendererTheme(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(fstest.MapFS)
		words []string // all must appear in the error; none means success
	}{
		{"minimal theme works", func(fstest.MapFS) {}, nil},
		{"html drops unsubscribe", func(m fstest.MapFS) {
			m[HTMLFile] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(m[HTMLFile].Data),
				"{{ .Hermes.Theme.Issue.UnsubscribeURL }}", "/static"))}
		}, []string{TokenUnsubscribeURL, PartHTML}},
		{"text drops the manage link", func(m fstest.MapFS) {
			m[TextFile] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(m[TextFile].Data),
				"{{ .Hermes.Theme.Issue.ManageURL }}", ""))}
		}, []string{TokenManageURL, PartText}},
		{"text drops name", func(m fstest.MapFS) {
			m[TextFile] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(m[TextFile].Data),
				"{{ .Email.Body.Name }}", "Reader"))}
		}, []string{TokenName, PartText}},
		{"broken syntax", func(m fstest.MapFS) {
			m[HTMLFile] = &fstest.MapFile{Data: []byte("<p>{{ .Email.Body.Name </p>")}
		}, []string{HTMLFile}},
		{"unknown field", func(m fstest.MapFS) {
			m[TextFile] = &fstest.MapFile{Data: []byte("{{ .Hermes.Theme.Issue.Nope }}")}
		}, []string{TextFile, "Nope"}},
		{"missing file", func(m fstest.MapFS) { delete(m, TextFile) }, []string{TextFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := minimalTheme()
			tc.edit(fsys)
			_, err := NewRenderer(sampleConfig(t), fsys)
			if tc.words == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("NewRenderer accepted a broken theme")
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestNewRendererConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		key  string
	}{
		{"no product", func(c *Config) { c.ProductName = "" }, "ProductName"},
		{"no address", func(c *Config) { c.OrgAddress = " " }, "OrgAddress"},
		{"no reason", func(c *Config) { c.Reason = "" }, "Reason"},
		{"bad product url", func(c *Config) { c.ProductURL = "coop.example.org" }, "ProductURL"},
		{"bad title syntax", func(c *Config) { c.TitleFormat = "{{.Month" }, "TitleFormat"},
		{"unknown title field", func(c *Config) { c.TitleFormat = "{{.Day}}" }, "TitleFormat"},
		{"token in reason", func(c *Config) { c.Reason = "ENEWS_VIEW_URL" }, "Reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sampleConfig(t)
			tc.edit(&cfg)
			_, err := NewRenderer(cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("err = %v, want one naming %s", err, tc.key)
			}
		})
	}
}

func TestRenderTitleAndPreheader(t *testing.T) {
	for _, tc := range []struct {
		name      string
		format    string
		items     int
		subject   string
		preheader string
	}{
		{"default", "", 8, "eNewsUpdate — May 2022",
			"8 new items: Materials on “Decent Work and the Social and Solidarity… · " +
				"Mr Melih Toprak and Mr Fatih Polattimur, Trade Experts at… and 6 more"},
		{"custom", "ILO COOP {{.Product}} {{.Period}} ({{.Count}})", 1, "ILO COOP eNewsUpdate 2022-05 (1)",
			"1 new item: Materials on “Decent Work and the Social and Solidarity…"},
		{"empty month", "", 0, "eNewsUpdate — May 2022", "No new items this month."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sampleConfig(t)
			cfg.TitleFormat = tc.format
			r, err := NewRenderer(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, items := may2022(t)
			got, err := r.Render(p, items[:tc.items])
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != tc.subject || got.Preheader != tc.preheader {
				t.Errorf("got %q / %q, want %q / %q", got.Subject, got.Preheader, tc.subject, tc.preheader)
			}
		})
	}
}

// TestRenderConcurrent backs the claim that one Renderer serves many
// goroutines: each Render builds its own hermes value. Run with -race.
func TestRenderConcurrent(t *testing.T) {
	r := newSampleRenderer(t)
	p, items := may2022(t)
	want, err := r.Render(p, items)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got, err := r.Render(p, items)
			if err != nil || got != want {
				t.Errorf("concurrent render differs (err %v)", err)
			}
		})
	}
	wg.Wait()
}
