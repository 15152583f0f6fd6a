package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/subscribers"
)

// An import leaves one record, not an event per address; the consent log
// of each address it added shows that record, also after an erase.
func TestImportRecordIsTheConsentEvidence(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	file := "email,name\nada@example.org,Ada\nbo@example.org,Bo\nbo@example.org,Again\n"
	ir, err := subscribers.NewImportReader(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	hostile := "list\r\nBcc: x@evil.example <b>.csv'; DROP TABLE imports;--"
	res, err := st.ImportSubscribers(ctx, subscribers.Rows(ir, nil), newsletter.ImportPolicy{
		Status: newsletter.SubscriberPending, Operator: "alice", FileName: hostile, Checksum: ir.Checksum})
	if err != nil || res.Inserted != 2 || res.ImportID == 0 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	var perAddress int
	if err := db.GetContext(ctx, &perAddress, `SELECT count(*) FROM consent_events`); err != nil || perAddress != 0 {
		t.Fatalf("consent events written per address: %d, %v", perAddress, err)
	}
	sum := sha256.Sum256([]byte(file))
	want := newsletter.ImportRecord{ID: res.ImportID, Source: newsletter.SourceImport, Operator: "alice",
		FileName: hostile, Checksum: hex.EncodeToString(sum[:]), Status: newsletter.SubscriberPending, Rows: 3, Added: 2}
	ada, err := st.SubscriberByEmail(ctx, "ada@example.org")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.ConsentEvents(ctx, ada.ID)
	if err != nil || len(evs) != 1 || evs[0].Event != newsletter.EventImported || evs[0].Import == nil {
		t.Fatalf("consent log %+v, %v", evs, err)
	}
	got := *evs[0].Import
	if !got.CreatedAt.Equal(evs[0].CreatedAt) || got.CreatedAt.IsZero() {
		t.Errorf("event time %v, import time %v", evs[0].CreatedAt, got.CreatedAt)
	}
	got.CreatedAt = time.Time{}
	if got != want {
		t.Errorf("import record\n got %+v\nwant %+v", got, want)
	}

	// A second import activating the pending address logs that against
	// itself, after the first.
	ir2, _ := subscribers.NewImportReader(strings.NewReader("email\nADA@example.org\n"))
	res2, err := st.ImportSubscribers(ctx, subscribers.Rows(ir2, nil), newsletter.ImportPolicy{ActivatePending: true, Operator: "bob"})
	if err != nil || res2.Activated != 1 {
		t.Fatalf("activate: %+v, %v", res2, err)
	}
	evs, _ = st.ConsentEvents(ctx, ada.ID)
	if len(evs) != 2 || evs[1].Event != newsletter.EventConfirmed || evs[1].Import == nil ||
		evs[1].Import.ID != res2.ImportID || evs[1].Import.Operator != "bob" {
		t.Fatalf("after activation: %+v", evs)
	}

	// Erased, the address keeps its imported event under its hash.
	if err := st.EraseSubscriber(ctx, ada.ID, viaCLI()); err != nil {
		t.Fatal(err)
	}
	var kept string
	if err := db.GetContext(ctx, &kept, `SELECT string_agg(c.event || '/' || COALESCE(CAST(c.import_id AS text), '-'), ' ' ORDER BY c.created_at, c.id)
		FROM consent_events c JOIN suppressions s USING (email_hash)`); err != nil {
		t.Fatal(err)
	}
	first := "imported/" + itoa(res.ImportID) + " confirmed/" + itoa(res2.ImportID) + " erased/-"
	if kept != first {
		t.Errorf("erased address's log %q, want %q", kept, first)
	}

	for _, q := range []string{`UPDATE imports SET operator = 'mallory'`, `DELETE FROM imports`, `TRUNCATE imports`} {
		if _, err := db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// An address erased while an import that holds it runs stays erased: the
// erase waits for the import, which finds the address still on the list.
func TestEraseDuringImportStaysErased(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	gone := add(t, st, "gone@example.org", newsletter.SubscriberActive)
	release := make(chan struct{})
	rows := func(yield func(newsletter.Subscriber, error) bool) {
		if !yield(newsletter.Subscriber{Email: "first@example.org"}, nil) {
			return
		}
		<-release // the import's transaction is open here
		yield(newsletter.Subscriber{Email: "gone@example.org"}, nil)
	}
	imported := make(chan error, 1)
	go func() {
		_, err := st.ImportSubscribers(ctx, iter.Seq2[newsletter.Subscriber, error](rows), newsletter.ImportPolicy{})
		imported <- err
	}()
	waitFor(t, db, `SELECT count(*) FROM pg_locks WHERE relation = CAST('suppressions' AS regclass) AND mode = 'ShareLock' AND granted`)
	erased := make(chan error, 1)
	go func() { erased <- st.EraseSubscriber(ctx, gone.ID, viaCLI()) }()
	waitFor(t, db, `SELECT count(*) FROM pg_locks WHERE relation = CAST('suppressions' AS regclass) AND NOT granted`)
	close(release)
	if err := <-imported; err != nil {
		t.Fatalf("import: %v", err)
	}
	if err := <-erased; err != nil {
		t.Fatalf("erase: %v", err)
	}
	if got := status(t, st, "gone@example.org"); got != "absent" {
		t.Errorf("erased address is %s after the import", got)
	}
	if got := status(t, st, "first@example.org"); got != newsletter.SubscriberActive {
		t.Errorf("the import's other address is %s", got)
	}
}

// waitFor polls q until it counts at least one row, for at most 10 s.
func waitFor(t *testing.T, db interface {
	GetContext(ctx context.Context, dest any, q string, args ...any) error
}, q string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := db.GetContext(context.Background(), &n, q); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still nothing after 10 s: %s", q)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A sign-up that commits an address the import is adding, while the
// import's insert waits on it, costs the import nothing: the insert runs
// again skipping that address, which counts as already on the list. Both
// ways of merging (adding only, and updating too) do this.
func TestImportYieldsToASignUpMeanwhile(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts newsletter.ImportPolicy
	}{{"adding only", newsletter.ImportPolicy{}}, {"overwriting too", newsletter.ImportPolicy{Overwrite: true}}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			importDuringSignUp(t, tt.opts)
		})
	}
}

func importDuringSignUp(t *testing.T, opts newsletter.ImportPolicy) {
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	signup, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer signup.Rollback() //nolint:errcheck // committed below
	if _, err := signup.ExecContext(ctx, `INSERT INTO subscribers (email, name) VALUES ('racer@example.org', 'Signed up')`); err != nil {
		t.Fatal(err)
	}
	rows := func(yield func(newsletter.Subscriber, error) bool) {
		for _, e := range []string{"first@example.org", "racer@example.org", "last@example.org"} {
			if !yield(newsletter.Subscriber{Email: e, Name: "Imported"}, nil) {
				return
			}
		}
	}
	type outcome struct {
		res newsletter.ImportResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := st.ImportSubscribers(ctx, rows, opts)
		done <- outcome{res, err}
	}()
	// The import's insert waits for the sign-up's uncommitted row.
	waitFor(t, db, `SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted`)
	if err := signup.Commit(); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || got.res.Inserted != 2 || got.res.Existing != 1 {
		t.Fatalf("import: %+v, %v", got.res, got.err)
	}
	racer, err := st.SubscriberByEmail(ctx, "racer@example.org")
	if err != nil || racer.Name != "Signed up" || status(t, st, "last@example.org") != newsletter.SubscriberActive {
		t.Errorf("racer %+v, %v", racer, err)
	}
}

// What COPY's text format gives a meaning to (backslash, tab, line breaks,
// \N) arrives as written, in every column.
func TestImportKeepsEveryCharacter(t *testing.T) {
	t.Parallel()
	st := pgtest.New(t)
	ctx := context.Background()
	tricky := "a\\b\tc\nd\re \\N \\. '; DROP TABLE subscribers;-- <b>é</b>"
	rows := func(yield func(newsletter.Subscriber, error) bool) {
		yield(newsletter.Subscriber{Email: "tricky@example.org", Name: tricky,
			Attributes: map[string]string{"note": tricky, tricky: "\\N"}}, nil)
	}
	if _, err := st.ImportSubscribers(ctx, rows, newsletter.ImportPolicy{}); err != nil {
		t.Fatal(err)
	}
	got, err := st.SubscriberByEmail(ctx, "tricky@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != tricky || got.Attributes["note"] != tricky || got.Attributes[tricky] != "\\N" || len(got.Attributes) != 2 {
		t.Errorf("stored %q %q", got.Name, got.Attributes)
	}
}

// The dashboard's monthly count of subscriptions counts every address an
// import added, though the import is one record.
func TestConsentByMonthCountsImports(t *testing.T) {
	t.Parallel()
	st := pgtest.New(t)
	ctx := context.Background()
	rows := func(yield func(newsletter.Subscriber, error) bool) {
		for _, e := range []string{"a@example.org", "b@example.org", "c@example.org", "a@example.org"} {
			if !yield(newsletter.Subscriber{Email: e}, nil) {
				return
			}
		}
	}
	if _, err := st.ImportSubscribers(ctx, rows, newsletter.ImportPolicy{}); err != nil {
		t.Fatal(err)
	}
	add(t, st, "d@example.org", newsletter.SubscriberActive)
	b, _ := st.SubscriberByEmail(ctx, "b@example.org")
	if _, _, err := st.UnsubscribeSubscriber(ctx, b.ID, viaCLI()); err != nil {
		t.Fatal(err)
	}
	months, err := st.ConsentByMonth(ctx, 2, time.Now(), time.UTC)
	if err != nil || len(months) != 2 {
		t.Fatalf("%+v, %v", months, err)
	}
	if m := months[1]; m.Subscribed != 4 || m.Unsubscribed != 1 || m.Bounced != 0 {
		t.Errorf("this month %+v, want 4 subscribed (3 imported, 1 added) and 1 unsubscribed", m)
	}
	if m := months[0]; m.Subscribed != 0 || m.Unsubscribed != 0 {
		t.Errorf("last month %+v, want nothing", m)
	}
}
