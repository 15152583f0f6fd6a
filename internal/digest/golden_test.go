package digest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/enews/enews/internal/newsletter"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestGolden(t *testing.T) {
	r := newSampleRenderer(t)
	for _, tc := range []struct {
		name    string
		issue   func(testing.TB) (newsletter.Period, []newsletter.Item)
		subject string
	}{
		{"2022-05", may2022, "eNewsUpdate — May 2022"},
		{"2022-04", april2022, "eNewsUpdate — April 2022"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Render(tc.issue(t))
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", got.Subject, tc.subject)
			}
			golden(t, tc.name+".html", got.HTML)
			golden(t, tc.name+".txt", got.Text)
			golden(t, tc.name+".preheader.txt", got.Preheader+"\n")
			web, err := r.RenderWeb(tc.issue(t))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".web.html", web)
		})
	}
}

// TestThemeDirectory renders with the theme read from disk, as a configured
// override directory is, and expects the embedded theme's bytes.
func TestThemeDirectory(t *testing.T) {
	dir, err := NewRenderer(sampleConfig(t), os.DirFS(filepath.Join("..", "..", "templates", "email")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := dir.Render(may2022(t))
	if err != nil {
		t.Fatal(err)
	}
	want, err := newSampleRenderer(t).Render(may2022(t))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("directory theme differs from the embedded one:\n%s", cmp.Diff(want.HTML, got.HTML))
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/digest -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (-want +got); rerun with -update if intended:\n%s",
			path, cmp.Diff(string(want), got))
	}
}

// TestThemeWithoutWebFile: a theme directory made before the archive's web
// body existed still loads, and the archive uses the embedded web body.
func TestThemeWithoutWebFile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{HTMLFile, TextFile} {
		b, err := os.ReadFile(filepath.Join("..", "..", "templates", "email", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := NewRenderer(sampleConfig(t), os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.RenderWeb(may2022(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "2022-05.web.html", got)
}
