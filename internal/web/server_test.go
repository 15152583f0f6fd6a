package web_test

import (
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/enews/enews/internal/web"
	"github.com/enews/enews/templates"
)

func TestTemplatesOverride(t *testing.T) {
	t.Parallel()
	own := fstest.MapFS{}
	err := fs.WalkDir(templates.Web, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templates.Web, p)
		own[strings.TrimPrefix(p, "web/")] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	own["subscribe.html.tmpl"] = &fstest.MapFile{Data: []byte(`{{define "content"}}<h1>Our own form</h1>{{end}}`)}
	e := newEnv(t, func(d *web.Deps) { d.Templates = own })
	if code, body := e.get("/subscribe"); code != http.StatusOK || !strings.Contains(body, "Our own form") {
		t.Fatalf("override: %d\n%s", code, body)
	}
	own["layout.html.tmpl"] = &fstest.MapFile{Data: []byte(`{{define "layout"}}{{.Nope}}{{end`)}
	if _, err := web.New(web.Deps{Store: e.st, Issues: e.issues, Signer: e.signer, Links: e.links, Outbox: e.outbox, Templates: own}); err == nil {
		t.Fatal("a broken template directory was accepted")
	}
}
