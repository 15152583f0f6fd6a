package subscribers

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

func TestCSVExport(t *testing.T) {
	var buf bytes.Buffer
	e := NewCSVExport(&buf)
	if err := e.Begin([]string{"city", "status", `=cmd|' /C calc'!A0`}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2022, 5, 1, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	for _, s := range []newsletter.Subscriber{
		{Email: "a@example.org", Name: `=HYPERLINK("http://evil.example","x")`, Status: "active", CreatedAt: at,
			Attributes: map[string]string{"city": "+41 Bern", "status": "vip"}},
		{Email: "-b@example.org", Name: "Ben, \"Jr.\"", Status: "pending", CreatedAt: at},
	} {
		if err := e.Row(&s); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"email", "name", "status", "created_at", "city", "attribute:status", `'=cmd|' /C calc'!A0`},
		{"a@example.org", `'=HYPERLINK("http://evil.example","x")`, "active", "2022-05-01T07:00:00Z", "'+41 Bern", "vip", ""},
		{"-b@example.org", `Ben, "Jr."`, "pending", "2022-05-01T07:00:00Z", "", "", ""},
	}
	for i := range want {
		for j := range want[i] {
			if recs[i][j] != want[i][j] {
				t.Errorf("record %d column %d = %q, want %q", i, j, recs[i][j], want[i][j])
			}
		}
	}
}
