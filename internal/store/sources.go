package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
)

// fetchHistoryKept is how many fetches of each source the history keeps.
const fetchHistoryKept = 50

type sourceRow struct {
	ID            int64      `db:"id"`
	Name          string     `db:"name"`
	URL           string     `db:"url"`
	DefaultKind   string     `db:"default_kind"`
	Enabled       bool       `db:"enabled"`
	ETag          string     `db:"etag"`
	LastModified  string     `db:"last_modified"`
	Failures      int        `db:"failures"`
	LastError     string     `db:"last_error"`
	LastFetchAt   *time.Time `db:"last_fetch_at"`
	LastSuccessAt *time.Time `db:"last_success_at"`
	FailingSince  *time.Time `db:"failing_since"`
	NextFetchAt   time.Time  `db:"next_fetch_at"`
	CreatedAt     time.Time  `db:"created_at"`
}

const sourceColumns = `id, name, url, default_kind, enabled, etag, last_modified, failures, last_error,
	last_fetch_at, last_success_at, failing_since, next_fetch_at, created_at`

func (r sourceRow) source() newsletter.Source {
	return newsletter.Source{ID: r.ID, Name: r.Name, URL: r.URL, DefaultKind: r.DefaultKind, Enabled: r.Enabled,
		ETag: r.ETag, LastModified: r.LastModified, Failures: r.Failures, LastError: r.LastError,
		LastFetchAt: r.LastFetchAt, LastSuccessAt: r.LastSuccessAt, FailingSince: r.FailingSince,
		NextFetchAt: r.NextFetchAt, CreatedAt: r.CreatedAt}
}

func sources(rows []sourceRow) []newsletter.Source {
	out := make([]newsletter.Source, len(rows))
	for i, r := range rows {
		out[i] = r.source()
	}
	return out
}

// AddSource stores a new source, due for its first fetch at once. A name or
// URL already taken is newsletter.ErrConflict.
func (s *Store) AddSource(ctx context.Context, src newsletter.Source) (newsletter.Source, error) {
	var r sourceRow
	err := s.db.GetContext(ctx, &r, `INSERT INTO sources (name, url, default_kind, enabled)
		VALUES ($1, $2, $3, $4) RETURNING `+sourceColumns, src.Name, src.URL, src.DefaultKind, src.Enabled)
	return r.source(), wrap("add source", err)
}

// ListSources lists every source by name.
func (s *Store) ListSources(ctx context.Context) ([]newsletter.Source, error) {
	var rows []sourceRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+sourceColumns+` FROM sources ORDER BY lower(name)`)
	return sources(rows), wrap("list sources", err)
}

// SourceByRef finds a source by its id or its name (any case).
func (s *Store) SourceByRef(ctx context.Context, ref string) (newsletter.Source, error) {
	var r sourceRow
	id, err := strconv.ParseInt(strings.TrimSpace(ref), 10, 64)
	if err != nil {
		id = 0
	}
	err = s.db.GetContext(ctx, &r, `SELECT `+sourceColumns+` FROM sources
		WHERE id = $1 OR lower(name) = lower($2) ORDER BY id = $1 DESC LIMIT 1`, id, strings.TrimSpace(ref))
	return r.source(), wrap("find source "+ref, err)
}

// SetSourceEnabled turns a source on or off; one turned on is due at once.
func (s *Store) SetSourceEnabled(ctx context.Context, id int64, enabled bool) (newsletter.Source, error) {
	var r sourceRow
	err := s.db.GetContext(ctx, &r, `UPDATE sources SET enabled = $2, updated_at = now(),
			next_fetch_at = CASE WHEN $2 AND NOT enabled THEN now() ELSE next_fetch_at END
		WHERE id = $1 RETURNING `+sourceColumns, id, enabled)
	return r.source(), wrap("enable source", err)
}

// RemoveSource deletes a source and its fetch history; the items it brought
// stay (issues may hold them).
func (s *Store) RemoveSource(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sources WHERE id = $1`, id)
	if err != nil {
		return wrap("remove source", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrap("remove source", sql.ErrNoRows)
	}
	return nil
}

// DueSources lists the enabled sources whose next fetch is due at now.
func (s *Store) DueSources(ctx context.Context, now time.Time) ([]newsletter.Source, error) {
	var rows []sourceRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+sourceColumns+` FROM sources
		WHERE enabled AND next_fetch_at <= $1 ORDER BY next_fetch_at, id`, now)
	return sources(rows), wrap("due sources", err)
}

// EnabledSources lists every enabled source.
func (s *Store) EnabledSources(ctx context.Context) ([]newsletter.Source, error) {
	var rows []sourceRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+sourceColumns+` FROM sources WHERE enabled ORDER BY id`)
	return sources(rows), wrap("enabled sources", err)
}

// FetchState is what a fetch leaves on its source for the next one.
type FetchState struct {
	ETag, LastModified string    // kept from the last success when empty
	NextFetchAt        time.Time // when the next fetch is due
}

// RecordSourceFetch keeps one fetch in the source's history and moves the
// source's state on: validators and success time after a success, the count
// of failures in a row after a failure, and the next fetch's time. The
// history keeps the newest fetchHistoryKept fetches.
func (s *Store) RecordSourceFetch(ctx context.Context, f newsletter.SourceFetch, st FetchState) (newsletter.Source, error) {
	var r sourceRow
	err := s.inTx(ctx, "record source fetch", func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO source_fetches
				(source_id, at, http_status, outcome, new_items, updated, unchanged, rejected, error, duration_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			f.SourceID, f.At, f.HTTPStatus, f.Outcome, f.New, f.Updated, f.Unchanged, f.Rejected, f.Error,
			f.Duration.Milliseconds()); err != nil {
			return err
		}
		failed := f.Outcome == newsletter.FetchFailed
		if err := tx.GetContext(ctx, &r, `UPDATE sources SET
				last_fetch_at = $2, next_fetch_at = $3, updated_at = now(),
				failures = CASE WHEN $4 THEN failures + 1 ELSE 0 END,
				failing_since = CASE WHEN $4 THEN COALESCE(failing_since, $2) END,
				last_error = CASE WHEN $4 THEN $5 ELSE '' END,
				last_success_at = CASE WHEN $4 THEN last_success_at ELSE $2 END,
				etag = CASE WHEN $4 OR $6 = '' THEN etag ELSE $6 END,
				last_modified = CASE WHEN $4 OR $7 = '' THEN last_modified ELSE $7 END
			WHERE id = $1 RETURNING `+sourceColumns,
			f.SourceID, f.At, st.NextFetchAt, failed, f.Error, st.ETag, st.LastModified); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM source_fetches WHERE source_id = $1 AND id NOT IN
			(SELECT id FROM source_fetches WHERE source_id = $1 ORDER BY id DESC LIMIT $2)`, f.SourceID, fetchHistoryKept)
		return err
	})
	return r.source(), err
}

// SourceFetches is a source's fetch history, newest first.
func (s *Store) SourceFetches(ctx context.Context, sourceID int64, limit int) ([]newsletter.SourceFetch, error) {
	var rows []struct {
		SourceID   int64     `db:"source_id"`
		At         time.Time `db:"at"`
		HTTPStatus int       `db:"http_status"`
		Outcome    string    `db:"outcome"`
		New        int       `db:"new_items"`
		Updated    int       `db:"updated"`
		Unchanged  int       `db:"unchanged"`
		Rejected   int       `db:"rejected"`
		Error      string    `db:"error"`
		DurationMS int64     `db:"duration_ms"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT source_id, at, http_status, outcome, new_items, updated, unchanged,
			rejected, error, duration_ms
		FROM source_fetches WHERE source_id = $1 ORDER BY id DESC LIMIT $2`, sourceID, limit)
	out := make([]newsletter.SourceFetch, len(rows))
	for i, r := range rows {
		out[i] = newsletter.SourceFetch{SourceID: r.SourceID, At: r.At, HTTPStatus: r.HTTPStatus, Outcome: r.Outcome,
			New: r.New, Updated: r.Updated, Unchanged: r.Unchanged, Rejected: r.Rejected, Error: r.Error,
			Duration: time.Duration(r.DurationMS) * time.Millisecond}
	}
	return out, wrap("source fetches", err)
}
