package store_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

// importCSV runs a CSV file through the reader and the store, as the CLI
// does, and returns the result and the refused lines.
func importCSV(t *testing.T, st *store.Store, file string, opts newsletter.ImportPolicy) (newsletter.ImportResult, []string) {
	t.Helper()
	ir, err := subscribers.NewImportReader(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	res, err := st.ImportSubscribers(context.Background(), subscribers.Rows(ir, func(le *subscribers.LineError) {
		bad = append(bad, le.Error())
	}), opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if res.ImportID == 0 {
		t.Error("import left no record")
	}
	res.ImportID = 0 // the counts are what the callers compare
	return res, bad
}

func status(t *testing.T, st *store.Store, email string) string {
	t.Helper()
	s, err := st.SubscriberByEmail(context.Background(), email)
	if errors.Is(err, newsletter.ErrNotFound) {
		return "absent"
	}
	if err != nil {
		t.Fatal(err)
	}
	return s.Status
}

func TestImportWithBadLines(t *testing.T) {
	t.Parallel()
	st := pgtest.New(t)
	file := "email,name,city\n" +
		"a@example.org,Anna,Bern\n" + // 2
		"not-an-address,X,Y\n" + // 3
		"b@example.org,Ben\n" + // 4: two columns
		"\"c@example.org,\"Carl\"\",Z\n" + // 5: broken quoting
		"\"d@example.org\",\"Dan\nny\",Z\n" + // 6-7: line break in a field
		"e@example.org,<script>alert(1)</script>,'; DROP TABLE subscribers;--\n" + // 8
		"A@EXAMPLE.org,Again,Zug\n" // 9: duplicate of line 2
	res, bad := importCSV(t, st, file, newsletter.ImportPolicy{})
	want := newsletter.ImportResult{Rows: 3, Duplicates: 1, Inserted: 2}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	wantBad := []string{"line 3: email:", "line 4: wrong column count", "line 5: broken quoting", "line 6: line break"}
	if len(bad) != len(wantBad) {
		t.Fatalf("bad lines %q", bad)
	}
	for i, w := range wantBad {
		if !strings.HasPrefix(bad[i], w) {
			t.Errorf("bad line %d = %q, want prefix %q", i, bad[i], w)
		}
	}
	a, _ := st.SubscriberByEmail(context.Background(), "a@example.org")
	if a.Name != "Anna" || a.Attributes["city"] != "Bern" || a.Status != newsletter.SubscriberActive {
		t.Errorf("first occurrence should win: %+v", a)
	}
	e, _ := st.SubscriberByEmail(context.Background(), "e@example.org")
	if e.Name != "<script>alert(1)</script>" || e.Attributes["city"] != "'; DROP TABLE subscribers;--" {
		t.Errorf("hostile text not kept as data: %+v", e)
	}
	if ev := events(t, st, a.ID); ev != "imported/import" {
		t.Errorf("consent events %q", ev)
	}
}

func TestReimportNeverResurrects(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	file := "email,name\nactive@example.org,A\nunsub@example.org,U\nbounced@example.org,B\npending@example.org,P\nerased@example.org,E\n"
	importCSV(t, st, file, newsletter.ImportPolicy{})
	set := func(email, status string) {
		if _, err := db.ExecContext(ctx, `UPDATE subscribers SET status = $2 WHERE email = $1`, email, status); err != nil {
			t.Fatal(err)
		}
	}
	unsub, _ := st.SubscriberByEmail(ctx, "unsub@example.org")
	if _, _, err := st.UnsubscribeSubscriber(ctx, unsub.ID, viaCLI()); err != nil {
		t.Fatal(err)
	}
	set("bounced@example.org", newsletter.SubscriberBounced)
	set("pending@example.org", newsletter.SubscriberPending)
	erased, _ := st.SubscriberByEmail(ctx, "erased@example.org")
	if err := st.EraseSubscriber(ctx, erased.ID, viaCLI()); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		opts newsletter.ImportPolicy
		want newsletter.ImportResult
		pend string // status of pending@ afterwards
	}{
		{"plain re-import", newsletter.ImportPolicy{}, newsletter.ImportResult{Rows: 5, Suppressed: 1, Existing: 4}, "pending"},
		{"overwrite", newsletter.ImportPolicy{Overwrite: true}, newsletter.ImportResult{Rows: 5, Suppressed: 1, Existing: 4}, "pending"},
		{"activate pending", newsletter.ImportPolicy{ActivatePending: true}, newsletter.ImportResult{Rows: 5, Suppressed: 1, Activated: 1, Existing: 4}, "active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, bad := importCSV(t, st, strings.ToUpper(file[:10])+file[10:], tt.opts)
			if res != tt.want || len(bad) != 0 {
				t.Errorf("result %+v %q, want %+v", res, bad, tt.want)
			}
			for email, want := range map[string]string{
				"ACTIVE@example.org": "active", "unsub@example.org": "unsubscribed",
				"bounced@example.org": "bounced", "erased@example.org": "absent", "pending@example.org": tt.pend,
			} {
				if got := status(t, st, email); got != want {
					t.Errorf("%s is %s, want %s", email, got, want)
				}
			}
		})
	}
	res, _ := importCSV(t, st, "email,name,plan\nactive@example.org,Renamed,pro\n", newsletter.ImportPolicy{Overwrite: true})
	a, _ := st.SubscriberByEmail(ctx, "active@example.org")
	if res.Updated != 1 || a.Name != "Renamed" || a.Attributes["plan"] != "pro" {
		t.Errorf("overwrite: %+v, %+v", res, a)
	}
}

func TestImportIsAllOrNothing(t *testing.T) {
	t.Parallel()
	st, ctx := pgtest.New(t), context.Background()
	boom := errors.New("disk on fire")
	rows := func(yield func(newsletter.Subscriber, error) bool) {
		if yield(newsletter.Subscriber{Email: "first@example.org"}, nil) {
			yield(newsletter.Subscriber{}, boom)
		}
	}
	if _, err := st.ImportSubscribers(ctx, rows, newsletter.ImportPolicy{}); !errors.Is(err, boom) {
		t.Fatalf("import: %v, want the read error", err)
	}
	if got := status(t, st, "first@example.org"); got != "absent" {
		t.Fatalf("half an import landed: first@ is %s", got)
	}
	res, _ := importCSV(t, st, "email\nnew@example.org\n", newsletter.ImportPolicy{Status: newsletter.SubscriberPending})
	if res.Inserted != 1 || status(t, st, "new@example.org") != newsletter.SubscriberPending {
		t.Errorf("pending import: %+v", res)
	}
}

// exportCSV exports with f and parses the result.
func exportCSV(t *testing.T, st *store.Store, f store.ExportFilter) [][]string {
	t.Helper()
	var buf bytes.Buffer
	e := subscribers.NewCSVExport(&buf)
	if _, err := st.ExportSubscribers(context.Background(), f, e); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	return recs
}

func TestExport(t *testing.T) {
	t.Parallel()
	st, ctx := pgtest.New(t), context.Background()
	importCSV(t, st, "email,name,city,status\na@example.org,\"=HYPERLINK(\"\"x\"\")\",Bern,vip\nb@example.org,\"Ben, Jr.\",,\n", newsletter.ImportPolicy{})
	add(t, st, "p@example.org", newsletter.SubscriberPending)
	recs := exportCSV(t, st, store.ExportFilter{})
	if len(recs) != 4 || strings.Join(recs[0], ",") != "email,name,status,created_at,city,attribute:status" {
		t.Fatalf("export %q", recs)
	}
	for _, r := range recs[1:] {
		if _, err := time.Parse(time.RFC3339, r[3]); err != nil {
			t.Errorf("created_at %q", r[3])
		}
	}
	if recs[1][1] != `'=HYPERLINK("x")` || recs[1][4] != "Bern" || recs[1][5] != "vip" || recs[2][1] != "Ben, Jr." {
		t.Errorf("rows %q", recs[1:])
	}
	if recs := exportCSV(t, st, store.ExportFilter{Status: newsletter.SubscriberPending}); len(recs) != 2 || recs[1][0] != "p@example.org" {
		t.Errorf("status filter: %q", recs)
	}
	if recs := exportCSV(t, st, store.ExportFilter{CreatedSince: time.Now().Add(time.Hour)}); len(recs) != 1 {
		t.Errorf("created since the future: %q", recs)
	}
	// An export imports again unchanged.
	var buf bytes.Buffer
	e := subscribers.NewCSVExport(&buf)
	if _, err := st.ExportSubscribers(ctx, store.ExportFilter{}, e); err != nil || e.Flush() != nil {
		t.Fatal(err)
	}
	ir, err := subscribers.NewImportReader(io.NopCloser(&buf))
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.ImportSubscribers(ctx, subscribers.Rows(ir, nil), newsletter.ImportPolicy{})
	if err != nil || res.Existing != 3 || res.Inserted != 0 {
		t.Errorf("re-import of export: %+v, %v", res, err)
	}
}
