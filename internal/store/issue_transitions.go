package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// ErrIssueMoved is the conflict of an issue whose status changed between
// the lifecycle service's read and the change: another process acted first.
// It is worth a second look; other conflicts are final.
var ErrIssueMoved = fmt.Errorf("the issue's status changed meanwhile: %w", newsletter.ErrConflict)

// IssueChange is one transition to apply to an issue, already looked up in
// newsletter.IssueTransitions by the lifecycle service: the store checks, in
// the same transaction, that the issue is still in T.From, does the
// action's side effects, and logs it.
type IssueChange struct {
	IssueID int64
	T       newsletter.IssueTransition
	Actor   string
	Note    string
	// Content, when set, replaces the bytes (refresh, approve): subject,
	// preheader, HTML, text, web HTML and item ids; the skip reason too.
	Content *newsletter.Issue
}

// IssueChangeResult is the issue after the change and what its side
// effects touched: deliveries queued by a start or a retry-failed,
// removed by a reopen.
type IssueChangeResult struct {
	Issue      newsletter.Issue
	Deliveries int64
}

// CreateIssue stores a new issue (a draft or a skipped month) and logs its
// creation, unless its period already has one: then the existing issue is
// returned with created false, so two processes creating the same period
// end with one row.
func (s *Store) CreateIssue(ctx context.Context, is newsletter.Issue, action newsletter.IssueAction, actor string) (newsletter.Issue, bool, error) {
	var created bool
	inclusion, err := inclusionJSON(is.Inclusion)
	if err != nil {
		return newsletter.Issue{}, false, err
	}
	err = s.inTx(ctx, "create issue "+is.Period.String(), func(tx *sqlx.Tx) error {
		var rows []issueRow
		err := tx.SelectContext(ctx, &rows, `
			INSERT INTO issues (period, status, subject, preheader, html, text, web_html, item_ids, skip_reason, rendered_at, inclusion)
			VALUES (CAST($1 AS date), $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $5 = '' THEN NULL ELSE now() END, CAST($10 AS jsonb))
			ON CONFLICT (period) DO NOTHING
			RETURNING `+issueColumns,
			periodDate(is.Period), is.Status, is.Subject, is.Preheader, is.HTML, is.Text, is.WebHTML,
			// a nil slice would be NULL; a skipped issue holds an empty list
			pq.Int64Array(append([]int64{}, is.ItemIDs...)), is.SkipReason, inclusion)
		if err != nil || len(rows) == 0 {
			return err
		}
		created, is = true, rows[0].issue()
		return logTransition(ctx, tx, is.ID, action, newsletter.StatusNone, is.Status, actor, is.SkipReason)
	})
	if err != nil {
		return newsletter.Issue{}, false, err
	}
	if created {
		return is, true, nil
	}
	existing, err := s.IssueByPeriod(ctx, is.Period)
	return existing, false, err
}

// ApplyIssueChange applies c in one transaction: the issue row is locked,
// its status checked against c.T.From (newsletter.ErrConflict if it moved
// on meanwhile), the action's side effects done, the status set and the
// transition logged. Nothing is half-done: on any error nothing changed.
func (s *Store) ApplyIssueChange(ctx context.Context, c IssueChange) (IssueChangeResult, error) {
	var res IssueChangeResult
	err := s.inTx(ctx, string(c.T.Action)+" issue", func(tx *sqlx.Tx) error {
		var cur string
		if err := tx.GetContext(ctx, &cur, `SELECT status FROM issues WHERE id = $1 FOR UPDATE`, c.IssueID); err != nil {
			return wrap("issue", err)
		}
		if cur != c.T.From {
			return fmt.Errorf("issue is %s now, not %s: %w", cur, c.T.From, ErrIssueMoved)
		}
		if c.T.NothingSent {
			if err := refuseIfSent(ctx, tx, c.IssueID); err != nil {
				return err
			}
		}
		n, err := sideEffects(ctx, tx, c)
		if err != nil {
			return err
		}
		res.Deliveries = n
		var rows []issueRow
		if err := tx.SelectContext(ctx, &rows, `
			UPDATE issues SET status = $2, updated_at = now(),
				approved_at = CASE WHEN $3 = 'approve' THEN now() WHEN $2 = 'draft' THEN NULL ELSE approved_at END,
				started_at  = CASE WHEN $2 = 'sending' AND started_at IS NULL THEN now() ELSE started_at END,
				sent_at     = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END
			WHERE id = $1
			RETURNING `+issueColumns, c.IssueID, c.T.To, string(c.T.Action)); err != nil {
			return err
		}
		if len(rows) != 1 {
			return fmt.Errorf("issue %d vanished: %w", c.IssueID, newsletter.ErrNotFound)
		}
		res.Issue = rows[0].issue()
		return logTransition(ctx, tx, c.IssueID, c.T.Action, c.T.From, c.T.To, c.Actor, c.Note)
	})
	return res, err
}

// refuseIfSent refuses a change that needs an issue with no mail out: any
// delivery sent, in flight, or in doubt after a crash counts as sent.
func refuseIfSent(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var sent, inFlight int64
	err := tx.QueryRowxContext(ctx, `SELECT count(*) FILTER (WHERE status = 'sent' OR in_doubt),
			count(*) FILTER (WHERE status = 'sending')
		FROM deliveries WHERE issue_id = $1`, id).Scan(&sent, &inFlight)
	if err != nil {
		return err
	}
	if sent+inFlight > 0 {
		return fmt.Errorf("%d messages of this issue were sent or may have been (%d in flight): "+
			"a reopened issue would send again: %w", sent+inFlight, inFlight, newsletter.ErrConflict)
	}
	return nil
}

// sideEffects does what an action does besides setting the status.
func sideEffects(ctx context.Context, tx *sqlx.Tx, c IssueChange) (int64, error) {
	if c.Content != nil {
		is := c.Content
		inclusion, err := inclusionJSON(is.Inclusion)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE issues SET subject = $2, preheader = $3, html = $4, text = $5,
				web_html = $6, item_ids = $7, skip_reason = $8, rendered_at = now(), inclusion = CAST($9 AS jsonb) WHERE id = $1`,
			c.IssueID, is.Subject, is.Preheader, is.HTML, is.Text, is.WebHTML,
			pq.Int64Array(append([]int64{}, is.ItemIDs...)), is.SkipReason, inclusion); err != nil {
			return 0, wrap("issue content", err)
		}
	}
	switch c.T.Action {
	case newsletter.ActionStart:
		// Fan-out: every subscriber active at this moment gets a queued
		// delivery, in the transaction that makes the issue sending.
		return rowsAffected(tx.ExecContext(ctx, `
			INSERT INTO deliveries (issue_id, subscriber_id)
			SELECT $1, id FROM subscribers WHERE status = 'active'
			ON CONFLICT (issue_id, subscriber_id) DO NOTHING`, c.IssueID))
	case newsletter.ActionRetryFailed:
		// Only subscribers still active: a bounced, complained,
		// unsubscribed or erased (deleted) one is never mailed again.
		n, err := rowsAffected(tx.ExecContext(ctx, `
			UPDATE deliveries d SET status = 'queued', attempts = 0, next_attempt_at = now(), updated_at = now()
			FROM subscribers s
			WHERE d.issue_id = $1 AND d.status = 'failed' AND s.id = d.subscriber_id AND s.status = 'active'`, c.IssueID))
		if err == nil && n == 0 {
			err = fmt.Errorf("no failed delivery to a subscriber still active: %w", newsletter.ErrConflict)
		}
		return n, err
	case newsletter.ActionComplete:
		var left int64
		if err := tx.GetContext(ctx, &left, `SELECT count(*) FROM deliveries
			WHERE issue_id = $1 AND status IN ('queued', 'retry', 'sending')`, c.IssueID); err != nil {
			return 0, err
		}
		if left > 0 {
			return 0, fmt.Errorf("%d deliveries are still to be sent: %w", left, newsletter.ErrConflict)
		}
	case newsletter.ActionReopen:
		// Nothing was sent (checked): what is left in the ledger is queued
		// or failed rows of a cancelled send, dropped so a later start
		// fans out afresh to whoever is active then.
		return rowsAffected(tx.ExecContext(ctx, `DELETE FROM deliveries WHERE issue_id = $1`, c.IssueID))
	}
	return 0, nil
}

func rowsAffected(res interface{ RowsAffected() (int64, error) }, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func logTransition(ctx context.Context, tx *sqlx.Tx, id int64, action newsletter.IssueAction, from, to, actor, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO issue_transitions (issue_id, action, from_status, to_status, actor, note)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, string(action), from, to, actor, note)
	return wrap("log transition", err)
}

// IssueTransitions returns an issue's logged transitions, oldest first.
func (s *Store) IssueTransitions(ctx context.Context, issueID int64) ([]newsletter.IssueTransitionRecord, error) {
	var rows []struct {
		IssueID int64     `db:"issue_id"`
		Action  string    `db:"action"`
		From    string    `db:"from_status"`
		To      string    `db:"to_status"`
		Actor   string    `db:"actor"`
		Note    string    `db:"note"`
		At      time.Time `db:"created_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT issue_id, action, from_status, to_status, actor, note, created_at
		FROM issue_transitions WHERE issue_id = $1 ORDER BY id`, issueID); err != nil {
		return nil, wrap("issue transitions", err)
	}
	out := make([]newsletter.IssueTransitionRecord, len(rows))
	for i, r := range rows {
		out[i] = newsletter.IssueTransitionRecord{IssueID: r.IssueID, Action: newsletter.IssueAction(r.Action),
			From: r.From, To: r.To, Actor: r.Actor, Note: r.Note, At: r.At}
	}
	return out, nil
}
