package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// Files written by export --out and preview --out are the owner's only,
// even when a readable file of that name was there before.
func TestOutputFilesArePrivate(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate")
	c.ok("items", "import", "../../configs/sample/items.json")
	c.ok("subscribers", "add", "anna@example.org")
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"export", []string{"subscribers", "export", "--out"}},
		{"preview", []string{"issue", "preview", "--period", "2022-05", "--out"}},
	} {
		for _, existing := range []bool{false, true} {
			p := filepath.Join(dir, tt.name)
			_ = os.Remove(p)
			if existing {
				if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c.ok(append(tt.args, p)...)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 || fi.Size() < 10 {
				t.Errorf("%s --out (file there before: %v): mode %04o, %d bytes; want 0600 and the content", tt.name, existing, fi.Mode().Perm(), fi.Size())
			}
		}
	}
}
