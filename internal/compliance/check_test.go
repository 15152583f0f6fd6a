package compliance_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/compliance"
	"github.com/enews/enews/internal/dnstest"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
)

func ed25519Key(t *testing.T) (file, txt string) {
	t.Helper()
	pub, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	file = filepath.Join(t.TempDir(), "dkim.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
}

func TestReceipt(t *testing.T) {
	t.Parallel()
	keyFile, keyTXT := ed25519Key(t)
	_, otherTXT := ed25519Key(t)
	oneClick := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/unsubscribe/") || r.PostFormValue("List-Unsubscribe") != "One-Click" {
			http.Error(w, "no", http.StatusMethodNotAllowed)
			return
		}
		http.Error(w, "not on the list", http.StatusNotFound)
	}))
	t.Cleanup(oneClick.Close)
	good := map[string][]string{
		"may2022._domainkey.example.org": {keyTXT},
		"bounces.example.org":            {"v=spf1 include:spf.relay.example -all"},
		"example.org":                    {"v=spf1 -all", "google-site-verification=abc"},
		"_dmarc.example.org":             {"v=DMARC1; p=quarantine; rua=mailto:d@example.org"},
	}
	issue := newsletter.Issue{ID: 7, Period: newsletter.Period{Year: 2022, Month: time.May}, Subject: "eNewsUpdate — May 2022",
		HTML: `<p>News</p><a href="ENEWS_UNSUBSCRIBE_URL">Unsubscribe</a>`, Text: "News\nUnsubscribe: ENEWS_UNSUBSCRIBE_URL\n"}
	tests := []struct {
		name    string
		records func(map[string][]string)
		change  func(*compliance.Config, *newsletter.Issue)
		dkimOff bool
		failing []string // the blocking items that fail
	}{
		{name: "everything in place"},
		{name: "no DMARC record", records: func(r map[string][]string) { delete(r, "_dmarc.example.org") },
			failing: []string{"DMARC record"}},
		{name: "DMARC record at the organizational domain", change: func(c *compliance.Config, _ *newsletter.Issue) { c.From = "news@mail.example.org" }},
		{name: "no SPF record for the return path", records: func(r map[string][]string) { delete(r, "bounces.example.org") },
			failing: []string{"SPF record of the return path"}},
		{name: "DKIM selector missing", records: func(r map[string][]string) { delete(r, "may2022._domainkey.example.org") },
			failing: []string{"DKIM signature verifies and covers List-Unsubscribe and List-Unsubscribe-Post", "DKIM selector record"}},
		{name: "DNS publishes another key", records: func(r map[string][]string) { r["may2022._domainkey.example.org"] = []string{otherTXT} },
			failing: []string{"DKIM signature verifies and covers List-Unsubscribe and List-Unsubscribe-Post"}},
		{name: "DKIM not configured", dkimOff: true, failing: []string{"DKIM configured"}},
		{name: "strict alignment with a subdomain return path and no DKIM", dkimOff: true,
			records: func(r map[string][]string) { r["_dmarc.example.org"] = []string{"v=DMARC1; p=reject; aspf=s"} },
			failing: []string{"DKIM configured", "DMARC alignment"}},
		{name: "http base URL", change: func(c *compliance.Config, _ *newsletter.Issue) { c.BaseURL = "http://news.example.org" },
			failing: []string{"https base URL"}},
		{name: "one-click endpoint missing", change: func(c *compliance.Config, _ *newsletter.Issue) {
			c.ProbeUnsubscribeURL = oneClick.URL + "/elsewhere/x"
		}, failing: []string{"one-click unsubscribe answers a POST"}},
		{name: "List-Id left at the local default", change: func(c *compliance.Config, _ *newsletter.Issue) { c.ListID = "enewsupdate.localhost" },
			failing: []string{"List-Id set"}},
		{name: "text part without the unsubscribe link", change: func(_ *compliance.Config, is *newsletter.Issue) { is.Text = "News\n" },
			failing: []string{"unsubscribe link in both parts"}},
	}
	st := pgtest.New(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			records := map[string][]string{}
			for k, v := range good {
				records[k] = v
			}
			if tt.records != nil {
				tt.records(records)
			}
			res, err := compliance.NewResolver(dnstest.Start(t, records), 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			mcfg := mailer.Config{Host: "127.0.0.1", Port: 25, TLS: mailer.TLSNone, From: "eNewsUpdate <news@example.org>"}
			if !tt.dkimOff {
				mcfg.DKIM = &mailer.DKIMConfig{Domain: "example.org", Selector: "may2022", KeyFile: keyFile}
			}
			pool, err := mailer.NewPool(mcfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg := compliance.Config{BaseURL: "https://news.example.org", From: "news@example.org",
				ReturnPathDomain: "bounces.example.org", ListID: "enewsupdate.example.org", ListName: "eNewsUpdate",
				ProbeUnsubscribeURL: oneClick.URL + "/unsubscribe/probe-token",
				UnsubscribeMailto:   "mailto:unsubscribe+abc@bounces.example.org?subject=unsubscribe", HTTP: oneClick.Client()}
			is := issue
			if tt.change != nil {
				tt.change(&cfg, &is)
			}
			rec, err := compliance.NewChecker(cfg, res, pool, st).Run(context.Background(), is)
			if err != nil {
				t.Fatal(err)
			}
			var failing []string
			for _, it := range rec.Failed() {
				failing = append(failing, it.Name)
			}
			if strings.Join(failing, "|") != strings.Join(tt.failing, "|") || rec.Passed != (len(tt.failing) == 0) {
				for _, it := range rec.Items {
					t.Logf("%v %s: %s", it.OK, it.Name, it.Detail)
				}
				t.Fatalf("failing %q (passed %v), want %q", failing, rec.Passed, tt.failing)
			}
		})
	}
}
