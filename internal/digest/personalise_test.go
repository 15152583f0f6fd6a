package digest

import (
	"html"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func compileSample(t testing.TB) (*Template, Rendered) {
	t.Helper()
	rd, err := newSampleRenderer(t).Render(may2022(t))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Compile(rd.HTML, rd.Text)
	if err != nil {
		t.Fatal(err)
	}
	return tpl, rd
}

func TestPersonalise(t *testing.T) {
	tpl, _ := compileSample(t)
	for _, tc := range []struct {
		name     string
		v        Values
		wantHTML []string
		wantText []string
		notHTML  []string
		notText  []string
	}{
		{
			name: "plain",
			v: Values{UnsubscribeURL: "https://coop.example.org/u/abc?s=1&t=2",
				ViewURL: "https://coop.example.org/i/2022-05", Name: "Ada"},
			wantHTML: []string{`href="https://coop.example.org/u/abc?s=1&amp;t=2"`,
				`href="https://coop.example.org/i/2022-05"`, "Hello Ada,"},
			wantText: []string{"Unsubscribe: https://coop.example.org/u/abc?s=1&t=2\n",
				"View in your browser: https://coop.example.org/i/2022-05\n", "Hello Ada,\n"},
		},
		{
			name:     "markup in name",
			v:        Values{UnsubscribeURL: "https://x.example/u", ViewURL: "https://x.example/v", Name: "<b>x</b>"},
			wantHTML: []string{"Hello &lt;b&gt;x&lt;/b&gt;,"},
			notHTML:  []string{"<b>x</b>"},
			wantText: []string{"Hello <b>x</b>,\n"},
		},
		{
			name: "line breaks stripped",
			v: Values{UnsubscribeURL: "https://x.example/u\r\nBcc: victim@example.com",
				ViewURL: "https://x.example/v\n", Name: "Ada\r\nLovelace"},
			wantHTML: []string{`href="https://x.example/uBcc: victim@example.com"`, "Hello AdaLovelace,"},
			wantText: []string{"Unsubscribe: https://x.example/uBcc: victim@example.com\n", "Hello AdaLovelace,\n"},
			notText:  []string{"\r", "\nBcc:", "\nLovelace"},
			notHTML:  []string{"\r"},
		},
		{
			name:     "quote in url",
			v:        Values{UnsubscribeURL: `https://x.example/u" onclick="alert(1)`, ViewURL: "https://x.example/v"},
			wantHTML: []string{`href="https://x.example/u&#34; onclick=&#34;alert(1)"`},
			notHTML:  []string{`" onclick="`},
		},
		{
			name:     "no name",
			v:        Values{UnsubscribeURL: "https://x.example/u", ViewURL: "https://x.example/v", Name: "  "},
			wantHTML: []string{"Hello there,"},
			wantText: []string{"Hello there,\n"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m Message
			tpl.Execute(&m, tc.v)
			h, txt := string(m.HTML), string(m.Text)
			check := func(part, body string, want []string, present bool) {
				for _, w := range want {
					if strings.Contains(body, w) != present {
						t.Errorf("%s: contains %q = %v, want %v", part, w, !present, present)
					}
				}
			}
			check(PartHTML, h, tc.wantHTML, true)
			check(PartText, txt, tc.wantText, true)
			check(PartHTML, h, tc.notHTML, false)
			check(PartText, txt, tc.notText, false)
			for _, tok := range tokenNames() {
				if strings.Contains(h, tok) || strings.Contains(txt, tok) {
					t.Errorf("token %s left after Execute", tok)
				}
			}
		})
	}
}

// TestPersonaliseMatchesReplacer checks the fast path against the obvious
// one: strings.Replacer with html.EscapeString.
func TestPersonaliseMatchesReplacer(t *testing.T) {
	tpl, rd := compileSample(t)
	v := Values{UnsubscribeURL: "https://x.example/u?a=1&b='2'", ViewURL: "https://x.example/v<1>", Name: `Zoë "Z" O'Neil`,
		ManageURL: "https://x.example/m?x=\"y\""}
	esc := strings.NewReplacer(
		TokenUnsubscribeURL, html.EscapeString(v.UnsubscribeURL),
		TokenViewURL, html.EscapeString(v.ViewURL),
		TokenName, html.EscapeString(v.Name),
		TokenManageURL, html.EscapeString(v.ManageURL))
	plain := strings.NewReplacer(TokenUnsubscribeURL, v.UnsubscribeURL, TokenViewURL, v.ViewURL, TokenName, v.Name,
		TokenManageURL, v.ManageURL)
	var m Message
	// Twice, so the second run reuses buffers that already hold a message.
	for range 2 {
		tpl.Execute(&m, v)
		if got, want := string(m.HTML), esc.Replace(rd.HTML); got != want {
			t.Fatalf("HTML differs from the replacer's:\n%s", cmp.Diff(want, got))
		}
		if got, want := string(m.Text), plain.Replace(rd.Text); got != want {
			t.Fatalf("text differs from the replacer's:\n%s", cmp.Diff(want, got))
		}
	}
}

func TestCompile(t *testing.T) {
	_, rd := compileSample(t)
	for _, tc := range []struct {
		name       string
		html, text string
		words      []string
	}{
		{"sample", rd.HTML, rd.Text, nil},
		{"html lost unsubscribe", strings.ReplaceAll(rd.HTML, TokenUnsubscribeURL, "#"), rd.Text,
			[]string{TokenUnsubscribeURL, PartHTML}},
		{"text lost view", rd.HTML, strings.ReplaceAll(rd.Text, TokenViewURL, ""),
			[]string{TokenViewURL, PartText}},
		// Bytes frozen before the manage link existed still send.
		{"frozen before the manage link", strings.ReplaceAll(rd.HTML, TokenManageURL, "#"),
			strings.ReplaceAll(rd.Text, TokenManageURL, ""), nil},
		{"near miss is literal", "ENEWS_ ENEWS_NAM " + TokenName + TokenUnsubscribeURL + TokenViewURL,
			TokenName + TokenUnsubscribeURL + TokenViewURL, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.html, tc.text)
			if tc.words == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tc.words {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want one naming %q", err, w)
				}
			}
		})
	}
	tpl, err := Compile("ENEWS_ ENEWS_NAM "+TokenName+TokenUnsubscribeURL+TokenViewURL, TokenName+TokenUnsubscribeURL+TokenViewURL)
	if err != nil {
		t.Fatal(err)
	}
	got := string(tpl.AppendHTML(nil, Values{UnsubscribeURL: "u", ViewURL: "v", Name: "n"}))
	if got != "ENEWS_ ENEWS_NAM nuv" {
		t.Errorf("AppendHTML = %q", got)
	}
}

func TestPreview(t *testing.T) {
	_, rd := compileSample(t)
	m, err := Preview(rd.HTML, rd.Text, SampleValues())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m.HTML), "Hello Sample Reader,") || !strings.Contains(string(m.Text), SampleValues().UnsubscribeURL) {
		t.Error("preview lacks the sample values")
	}
}
