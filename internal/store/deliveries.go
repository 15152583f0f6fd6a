package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// leaseRow scans one claimed delivery.
type leaseRow struct {
	SubscriberID int64  `db:"subscriber_id"`
	Email        string `db:"email"`
	Name         string `db:"name"`
	Status       string `db:"status"`
	Attempts     int    `db:"attempts"`
}

// ReclaimExpired returns to the queue, marked in doubt (they may have been
// sent already), the deliveries of issueID whose lease ran out or whose
// owner is dead: its heartbeat in senders is older than liveness, or
// missing. A dead sender's rows so come back within seconds, not after the
// whole lease. The rows of self, the caller's own lease owner, come back
// only when their lease ran out: a caller whose heartbeat could not be
// written for a while (the database restarted) is not dead, and its own
// outcomes are still on their way. A row another statement holds locked
// (its owner recording it) is left for the next call: no waiting, and no
// lock order to get wrong.
func (s *Store) ReclaimExpired(ctx context.Context, issueID int64, self string, liveness time.Duration) (int64, error) {
	res, err := s.db.ExecContext(ctx, `
		WITH r AS (
			SELECT d.subscriber_id FROM deliveries d
			WHERE d.issue_id = $1 AND d.status = 'sending'
			  AND (d.lease_expires < now() OR (d.lease_owner <> $3 AND NOT EXISTS (SELECT 1 FROM senders s
				WHERE s.owner = d.lease_owner AND s.seen_at > now() - make_interval(secs => $2))))
			FOR UPDATE OF d SKIP LOCKED)
		UPDATE deliveries d SET status = 'retry', in_doubt = true, lease_owner = NULL,
			lease_expires = NULL, next_attempt_at = now(), updated_at = now()
		FROM r WHERE d.issue_id = $1 AND d.subscriber_id = r.subscriber_id`,
		issueID, liveness.Seconds(), self)
	if err != nil {
		return 0, wrap("reclaim leases", err)
	}
	// Rows of senders long dead tell nothing any more.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM senders WHERE seen_at < now() - interval '1 day'`); err != nil {
		return 0, wrap("forget dead senders", err)
	}
	return res.RowsAffected()
}

// Claim leases up to n due deliveries of a sending issue to owner. Rows locked
// by another sender are skipped, so any number of senders in any number of
// processes share the work without further coordination.
func (s *Store) Claim(ctx context.Context, issueID int64, owner string, n int, lease time.Duration) ([]newsletter.Lease, error) {
	var rows []leaseRow
	err := s.db.SelectContext(ctx, &rows, `
		WITH c AS (
			SELECT d.subscriber_id FROM deliveries d
			WHERE d.issue_id = $1 AND d.status IN ('queued', 'retry') AND d.next_attempt_at <= now()
			  AND EXISTS (SELECT 1 FROM issues i WHERE i.id = $1 AND i.status = 'sending')
			ORDER BY d.next_attempt_at
			LIMIT $2
			FOR UPDATE OF d SKIP LOCKED)
		UPDATE deliveries d SET status = 'sending', lease_owner = $3,
			lease_expires = now() + make_interval(secs => $4), attempts = d.attempts + 1, updated_at = now()
		FROM c, subscribers s
		WHERE d.issue_id = $1 AND d.subscriber_id = c.subscriber_id AND s.id = c.subscriber_id
		RETURNING d.subscriber_id, s.email, s.name, s.status, d.attempts`,
		issueID, n, owner, lease.Seconds())
	if err != nil {
		return nil, wrap("claim deliveries", err)
	}
	out := make([]newsletter.Lease, len(rows))
	for i, r := range rows {
		out[i] = newsletter.Lease(r)
	}
	return out, nil
}

// Record writes a batch of outcomes and counts hard bounces against their
// subscribers (who become bounced at the threshold) in one statement: one
// round trip, atomic without an explicit transaction. Senders wait for it
// before their next message, so its latency bounds throughput. A batch with
// hard bounces runs in a transaction instead, which also writes a bounced
// consent event for each subscriber the bounces took off the list, like
// every other change of status.
//
// It returns the issue's status as the statement saw it: a sender that waits
// for this before its next final "." stops at the first commit after a pause,
// so at most one message per sender leaves after the pause commits.
func (s *Store) Record(ctx context.Context, issueID int64, owner string, outs []newsletter.Outcome, bounceThreshold int) (string, error) {
	if len(outs) == 0 {
		return s.IssueStatus(ctx, issueID)
	}
	// Sorted, like every statement that locks leased rows (lockLeased): in
	// the order outcomes arrive, a heartbeat taking the same rows in
	// another order made a deadlock.
	outs = slices.Clone(outs)
	slices.SortFunc(outs, func(a, b newsletter.Outcome) int { return cmp.Compare(a.SubscriberID, b.SubscriberID) })
	ids := make([]int64, len(outs))
	statuses := make([]string, len(outs))
	replies := make([]string, len(outs))
	mids := make([]string, len(outs))
	next := make([]time.Time, len(outs))
	hard := make([]bool, len(outs))
	doubt := make([]bool, len(outs))
	var bounced []int64
	now := time.Now()
	for i, o := range outs {
		if o.HardBounce {
			bounced = append(bounced, o.SubscriberID)
		}
		ids[i], statuses[i], replies[i], mids[i], hard[i] = o.SubscriberID, o.Status, o.Reply, o.MessageID, o.HardBounce
		next[i], doubt[i] = o.NextAttempt, o.InDoubt
		if next[i].IsZero() {
			next[i] = now
		}
	}
	stmt, err := s.recordStmt(ctx)
	if err != nil {
		return "", err
	}
	args := []any{issueID, owner, pq.Int64Array(ids), pq.StringArray(statuses), pq.StringArray(replies),
		pq.StringArray(mids), pq.Array(next), pq.BoolArray(hard), bounceThreshold, pq.BoolArray(doubt)}
	var status string
	if len(bounced) == 0 {
		err = stmt.QueryRowContext(ctx, args...).Scan(&status)
		return status, wrap("record outcomes", err)
	}
	err = s.inTx(ctx, "record outcomes", func(tx *sqlx.Tx) error {
		before, err := bounceStatuses(ctx, tx, bounced)
		if err != nil {
			return err
		}
		if err := tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...).Scan(&status); err != nil {
			return wrap("record", err)
		}
		after, err := bounceStatuses(ctx, tx, bounced)
		if err != nil {
			return err
		}
		for id, cur := range after {
			if cur.Status != newsletter.SubscriberBounced || before[id].Status == newsletter.SubscriberBounced {
				continue
			}
			hash, err := s.hash(cur.Email)
			if err != nil {
				return err
			}
			if err := logConsent(ctx, tx, id, hash, newsletter.EventBounced,
				newsletter.Consent{Source: newsletter.SourceDelivery}); err != nil {
				return err
			}
		}
		return nil
	})
	return status, err
}

// subscriberState is a subscriber's address and status at one moment.
type subscriberState struct {
	ID     int64  `db:"id"`
	Email  string `db:"email"`
	Status string `db:"status"`
}

// bounceStatuses reads, and locks until tx ends, the status of the
// subscribers a batch hard-bounced, so the states read before and after
// Record's statement are the only ones.
func bounceStatuses(ctx context.Context, tx *sqlx.Tx, ids []int64) (map[int64]subscriberState, error) {
	var rows []subscriberState
	if err := tx.SelectContext(ctx, &rows, `SELECT id, email, status FROM subscribers
		WHERE id = ANY($1) ORDER BY id FOR UPDATE`, pq.Int64Array(ids)); err != nil {
		return nil, wrap("bounced subscribers", err)
	}
	out := make(map[int64]subscriberState, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// recordSQL is Record's statement, prepared once per Store: it runs on the
// send path for every group commit, and parsing and planning it each time
// cost more than executing it. Its rows are locked first, in subscriber
// order (locked); on a large ledger the update alone takes them in the
// order of the batch.
const recordSQL = `
		WITH v AS (
			SELECT * FROM unnest(CAST($3 AS bigint[]), CAST($4 AS text[]), CAST($5 AS text[]),
			                     CAST($6 AS text[]), CAST($7 AS timestamptz[]), CAST($8 AS boolean[]),
			                     CAST($10 AS boolean[]))
				AS v(sid, status, reply, mid, next, hard, doubt)
		), locked AS MATERIALIZED (
			SELECT d.subscriber_id FROM deliveries d
			WHERE d.issue_id = $1 AND d.subscriber_id = ANY(CAST($3 AS bigint[]))
			  AND d.status = 'sending' AND d.lease_owner = $2
			ORDER BY d.subscriber_id FOR UPDATE
		), done AS (
			UPDATE deliveries d SET status = v.status, last_reply = v.reply, in_doubt = d.in_doubt OR v.doubt,
				message_id = CASE WHEN v.mid = '' THEN d.message_id ELSE v.mid END,
				next_attempt_at = v.next, lease_owner = NULL, lease_expires = NULL,
				-- a delivery handed back unsent did not use an attempt
				attempts = CASE WHEN v.status = 'queued' THEN d.attempts - 1 ELSE d.attempts END,
				sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE d.sent_at END, updated_at = now()
			FROM v, locked
			WHERE d.issue_id = $1 AND d.subscriber_id = v.sid AND locked.subscriber_id = v.sid
			  AND d.status = 'sending' AND d.lease_owner = $2
			RETURNING d.subscriber_id, v.hard
		), bounced AS (
			UPDATE subscribers SET bounce_count = bounce_count + 1, updated_at = now(),
				status = CASE WHEN bounce_count + 1 >= $9 AND status = 'active' THEN 'bounced' ELSE status END
			FROM done WHERE done.hard AND subscribers.id = done.subscriber_id
		)
		SELECT status FROM issues WHERE id = $1`

func (s *Store) recordStmt(ctx context.Context) (*sql.Stmt, error) {
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	if s.record == nil {
		// A failure is not kept: the next call tries again.
		stmt, err := s.db.PrepareContext(ctx, recordSQL)
		if err != nil {
			return nil, wrap("prepare record outcomes", err)
		}
		s.record = stmt
	}
	return s.record, nil
}

// deliveryErrorRow scans one recent failed or retried delivery.
type deliveryErrorRow struct {
	SubscriberID int64     `db:"subscriber_id"`
	Status       string    `db:"status"`
	Attempts     int       `db:"attempts"`
	Reply        string    `db:"last_reply"`
	At           time.Time `db:"updated_at"`
}

// Stats reads the ledger counts of one issue.
func (s *Store) Stats(ctx context.Context, issueID int64) (newsletter.DeliveryStats, error) {
	st := newsletter.DeliveryStats{ByStatus: map[string]int64{}}
	var windowSecs float64
	var rows []struct {
		Status string `db:"status"`
		N      int64  `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT status, count(*) AS n FROM deliveries WHERE issue_id = $1 GROUP BY status`, issueID); err != nil {
		return st, wrap("delivery stats", err)
	}
	for _, r := range rows {
		st.ByStatus[r.Status] = r.N
	}
	err := s.db.QueryRowxContext(ctx, `SELECT
			count(*) FILTER (WHERE in_doubt),
			count(*) FILTER (WHERE status = 'sent' AND sent_at > now() - interval '1 minute'),
			COALESCE(extract(epoch FROM now() - min(sent_at) FILTER (WHERE status = 'sent' AND sent_at > now() - interval '1 minute')), 0)
		FROM deliveries WHERE issue_id = $1`, issueID).Scan(&st.InDoubt, &st.SentLastMin, &windowSecs)
	st.SentWindow = time.Duration(windowSecs * float64(time.Second))
	if err != nil {
		return st, wrap("delivery stats", err)
	}
	var errs []deliveryErrorRow
	err = s.db.SelectContext(ctx, &errs, `SELECT subscriber_id, status, attempts, last_reply, updated_at
		FROM deliveries WHERE issue_id = $1 AND status IN ('failed', 'retry') AND last_reply <> ''
		ORDER BY updated_at DESC LIMIT 5`, issueID)
	for _, e := range errs {
		st.RecentErrors = append(st.RecentErrors, newsletter.DeliveryError(e))
	}
	return st, wrap("delivery stats", err)
}

// PendingIssues lists issues in the sending state, for senders to work on.
func (s *Store) PendingIssues(ctx context.Context) ([]newsletter.Issue, error) {
	return s.ListIssues(ctx, newsletter.IssueSending, 100)
}

// NextAttempt gives the earliest time work on an issue may resume: a retry
// falling due or a lease expiring. ok is false when nothing is left to do.
func (s *Store) NextAttempt(ctx context.Context, issueID int64) (time.Time, bool, error) {
	var next *time.Time
	err := s.db.GetContext(ctx, &next, `
		SELECT min(CASE WHEN status = 'sending' THEN lease_expires ELSE next_attempt_at END)
		FROM deliveries WHERE issue_id = $1 AND status IN ('queued', 'retry', 'sending')`, issueID)
	if err != nil {
		return time.Time{}, false, wrap("next attempt", err)
	}
	if next == nil {
		return time.Time{}, false, nil
	}
	return *next, true, nil
}

// ReleaseLeases hands an owner's unsent leases back to the queue, for a
// sender that stops without having recorded them, except those in keep: a
// sender that lost a claim's answer to a broken connection hands back the
// rows the claim may have leased and keeps the ones it knows of.
func (s *Store) ReleaseLeases(ctx context.Context, owner string, keep []int64) (int64, error) {
	if keep == nil {
		keep = []int64{} // NULL would match nothing
	}
	res, err := s.db.ExecContext(ctx, `
		WITH r AS (
			SELECT subscriber_id, issue_id FROM deliveries
			WHERE status = 'sending' AND lease_owner = $1 AND subscriber_id <> ALL($2)
			ORDER BY issue_id, subscriber_id FOR UPDATE)
		UPDATE deliveries d SET status = 'queued', lease_owner = NULL, lease_expires = NULL,
			attempts = greatest(attempts - 1, 0), updated_at = now()
		FROM r WHERE d.issue_id = r.issue_id AND d.subscriber_id = r.subscriber_id
		  AND d.status = 'sending' AND d.lease_owner = $1`, owner, pq.Int64Array(keep))
	if err != nil {
		return 0, wrap("release leases", err)
	}
	return res.RowsAffected()
}

// DeliveryCounts counts every delivery in the ledger by status, over all
// issues.
func (s *Store) DeliveryCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int64  `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT status, count(*) AS n FROM deliveries GROUP BY status`); err != nil {
		return nil, wrap("delivery counts", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// QueueDepth counts deliveries waiting to be sent across all issues.
func (s *Store) QueueDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM deliveries WHERE status IN ('queued', 'retry', 'sending')`)
	return n, wrap("queue depth", err)
}
