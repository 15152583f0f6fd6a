package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// EnqueueMail writes one transactional email to the outbox, due now, and
// returns its id.
func (s *Store) EnqueueMail(ctx context.Context, kind string, m newsletter.Mail) (int64, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue mail: %w", err)
	}
	var id int64
	err = s.db.GetContext(ctx, &id,
		`INSERT INTO outbox (kind, recipient, mail) VALUES ($1, $2, $3) RETURNING id`, kind, m.To, body)
	return id, wrap("enqueue mail", err)
}

type outboxRow struct {
	ID            int64      `db:"id"`
	Kind          string     `db:"kind"`
	Mail          []byte     `db:"mail"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastError     string     `db:"last_error"`
	CreatedAt     time.Time  `db:"created_at"`
	SentAt        *time.Time `db:"sent_at"`
}

func (r outboxRow) message() (newsletter.OutboxMessage, error) {
	m := newsletter.OutboxMessage{ID: r.ID, Kind: r.Kind, Status: r.Status, Attempts: r.Attempts,
		NextAttemptAt: r.NextAttemptAt, LastError: r.LastError, CreatedAt: r.CreatedAt, SentAt: r.SentAt}
	if len(r.Mail) > 0 {
		if err := json.Unmarshal(r.Mail, &m.Mail); err != nil {
			return m, fmt.Errorf("outbox message %d: %w", r.ID, err)
		}
	}
	return m, nil
}

func outboxMessages(op string, rows []outboxRow) ([]newsletter.OutboxMessage, error) {
	out := make([]newsletter.OutboxMessage, 0, len(rows))
	for _, r := range rows {
		m, err := r.message()
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", op, err)
		}
		out = append(out, m)
	}
	return out, nil
}

const outboxColumns = `id, kind, mail, status, attempts, next_attempt_at, last_error, created_at, sent_at`

// ClaimOutbox takes up to limit due messages for lease, counting the
// attempt. With ids, only those messages are taken (a command sending what
// it just queued); otherwise any due ones, oldest first. Rows another worker
// holds are skipped.
func (s *Store) ClaimOutbox(ctx context.Context, limit int, lease time.Duration, ids []int64) ([]newsletter.OutboxMessage, error) {
	var rows []outboxRow
	err := s.db.SelectContext(ctx, &rows, `
		UPDATE outbox SET attempts = attempts + 1, locked_until = now() + make_interval(secs => $2)
		WHERE id IN (
			SELECT id FROM outbox
			WHERE status = 'pending' AND next_attempt_at <= now()
			  AND (locked_until IS NULL OR locked_until < now())
			  AND (CAST($3 AS bigint[]) IS NULL OR id = ANY($3))
			ORDER BY next_attempt_at, id
			LIMIT $1
			FOR UPDATE SKIP LOCKED)
		RETURNING `+outboxColumns, limit, lease.Seconds(), nullableIDs(ids))
	if err != nil {
		return nil, wrap("claim outbox", err)
	}
	return outboxMessages("claim outbox", rows)
}

func nullableIDs(ids []int64) any {
	if ids == nil {
		return nil
	}
	return pq.Array(ids)
}

// OutboxSent records that a message was taken by the relay. Its body is
// dropped: what was sent needs no keeping, and it may hold a live link.
func (s *Store) OutboxSent(ctx context.Context, id int64) error {
	return s.outboxUpdate(ctx, "outbox sent", `
		UPDATE outbox SET status = 'sent', sent_at = now(), locked_until = NULL, last_error = '',
		       mail = jsonb_build_object('to', mail->'to', 'subject', mail->'subject')
		WHERE id = $1`, id)
}

// OutboxRetry puts a message back for another attempt at next.
func (s *Store) OutboxRetry(ctx context.Context, id int64, next time.Time, reason string) error {
	return s.outboxUpdate(ctx, "outbox retry", `
		UPDATE outbox SET next_attempt_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1`,
		id, next, clip(reason, 1000))
}

// OutboxFailed gives a message up: the relay refused it for good, or it
// waited too long.
func (s *Store) OutboxFailed(ctx context.Context, id int64, reason string) error {
	return s.outboxUpdate(ctx, "outbox failed", `
		UPDATE outbox SET status = 'failed', locked_until = NULL, last_error = $2 WHERE id = $1`,
		id, clip(reason, 1000))
}

// OutboxRelease hands back claimed messages that were not tried, without
// counting the attempt.
func (s *Store) OutboxRelease(ctx context.Context, ids []int64) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE outbox SET locked_until = NULL, attempts = greatest(attempts - 1, 0)
		WHERE id = ANY($1) AND status = 'pending'`, pq.Array(ids))
	return wrap("outbox release", err)
}

func (s *Store) outboxUpdate(ctx context.Context, op, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return wrap(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: %s: %w", op, newsletter.ErrNotFound)
	}
	return nil
}

// OutboxMessages returns the given messages, in id order.
func (s *Store) OutboxMessages(ctx context.Context, ids []int64) ([]newsletter.OutboxMessage, error) {
	var rows []outboxRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+outboxColumns+` FROM outbox WHERE id = ANY($1) ORDER BY id`,
		pq.Array(ids)); err != nil {
		return nil, wrap("outbox messages", err)
	}
	return outboxMessages("outbox messages", rows)
}

// OutboxBacklog summarises what waits in the outbox and what failed lately.
func (s *Store) OutboxBacklog(ctx context.Context) (newsletter.OutboxBacklog, error) {
	var b newsletter.OutboxBacklog
	err := s.db.QueryRowContext(ctx, `
		SELECT count(*) FILTER (WHERE status = 'pending'),
		       count(*) FILTER (WHERE status = 'pending' AND attempts > 0),
		       min(created_at) FILTER (WHERE status = 'pending'),
		       count(*) FILTER (WHERE status = 'failed' AND created_at > now() - interval '7 days'),
		       coalesce((SELECT last_error FROM outbox WHERE last_error <> '' AND status <> 'sent' AND created_at > now() - interval '7 days'
		                 ORDER BY next_attempt_at DESC, id DESC LIMIT 1), '')
		FROM outbox WHERE status = 'pending' OR (status = 'failed' AND created_at > now() - interval '7 days')`).
		Scan(&b.Pending, &b.Retrying, &b.OldestPending, &b.FailedRecent, &b.LastError)
	return b, wrap("outbox backlog", err)
}
