package store_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
)

// One sender's recorder and heartbeat, and another sender's reclaim, all
// lock the same leased rows of one issue at once. Each must take its row
// locks in one order (by subscriber id), or PostgreSQL sees a deadlock and
// kills one of them: "deadlock detected" in record outcomes, once, under
// load. The outcomes arrive in the order their messages finished, never
// sorted, so this test shuffles them.
func TestRecordHeartbeatAndReclaimNeverDeadlock(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const n, batch = 5000, 300
	var issueID int64
	if err := db.GetContext(ctx, &issueID, `INSERT INTO issues (period, status) VALUES ('2022-05-01', 'sending') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO subscribers (email, name, status)
		SELECT 'user' || g || '@example.org', '', 'active' FROM generate_series(1, $1) g`, n); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO deliveries (issue_id, subscriber_id) SELECT $1, id FROM subscribers`, issueID); err != nil {
		t.Fatal(err)
	}
	// Planned as in production, where the ledger is large: the outcomes
	// are updated in the order they come in.
	if _, err := db.ExecContext(ctx, `ANALYZE deliveries`); err != nil {
		t.Fatal(err)
	}
	var all []int64
	if err := db.SelectContext(ctx, &all, `SELECT id FROM subscribers`); err != nil {
		t.Fatal(err)
	}
	const owner = "sender-a"
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 40; round++ {
		ids := all[rng.IntN(n-batch):][:batch]
		if _, err := db.ExecContext(ctx, `UPDATE deliveries SET status = 'sending', lease_owner = $2,
			lease_expires = now() + interval '1 minute', attempts = 1 WHERE issue_id = $1 AND subscriber_id = ANY($3)`,
			issueID, owner, pq.Int64Array(ids)); err != nil {
			t.Fatal(err)
		}
		outs := make([]newsletter.Outcome, len(ids))
		for i, p := range rng.Perm(len(ids)) {
			outs[i] = newsletter.Outcome{SubscriberID: ids[p], Status: newsletter.DeliverySent, Reply: "250 ok"}
		}
		beat := make([]int64, len(ids))
		for i, p := range rng.Perm(len(ids)) {
			beat[i] = ids[p]
		}
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		wg.Add(3)
		go func() {
			defer wg.Done()
			_, err := st.Record(ctx, issueID, owner, outs, 1)
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := st.Heartbeat(ctx, owner, issueID, beat, time.Minute, time.Time{}, "")
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := st.ReclaimExpired(ctx, issueID, "sender-b", time.Hour)
			errs <- err
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
