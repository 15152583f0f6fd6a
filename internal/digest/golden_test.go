package digest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
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
		t.Errorf("directory theme differs from the embedded one:\n%s", lineDiff(want.HTML, got.HTML))
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
			path, lineDiff(string(want), got))
	}
}

// lineDiff is a longest-common-subsequence line diff, short enough to read:
// changed lines with "-" and "+", runs of equal lines cut to one line of
// context each side.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
		at   int
	}
	var ops []line
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, line{' ', x[i], i + 1})
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, line{'-', x[i], i + 1})
			i++
		default:
			ops = append(ops, line{'+', y[j], j + 1})
			j++
		}
	}
	var out strings.Builder
	skipped := false
	for k, l := range ops {
		near := (k > 0 && ops[k-1].op != ' ') || (k+1 < len(ops) && ops[k+1].op != ' ')
		if l.op == ' ' && !near {
			skipped = true
			continue
		}
		if skipped && out.Len() > 0 {
			out.WriteString("  ...\n")
		}
		skipped = false
		fmt.Fprintf(&out, "%c %4d| %s\n", l.op, l.at, l.text)
	}
	return out.String()
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
