package store

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
)

// ImportSubscribers adds rows to the list in one transaction: either the
// whole import lands or none of it. The rows stream through COPY into a
// temporary table, so memory stays flat however many there are, and are
// then merged with a few set-based statements rather than one per row.
// The import leaves one record (ImportRecord) that the addresses it added
// point to, rather than an event per address.
// Rows must be normalised already; Status and ID of each are ignored.
// The sequence ending with an error aborts the import.
func (s *Store) ImportSubscribers(ctx context.Context, rows iter.Seq2[newsletter.Subscriber, error], opts newsletter.ImportPolicy) (newsletter.ImportResult, error) {
	status, err := newsletter.CheckNewStatus(opts.Status)
	if err != nil {
		return newsletter.ImportResult{}, fmt.Errorf("store: import: %w", err)
	}
	opts.Status = status
	if opts.Source == "" {
		opts.Source = newsletter.SourceImport
	}
	if s.hasher == nil {
		return newsletter.ImportResult{}, errNoHasher
	}
	var res newsletter.ImportResult
	err = s.inTx(ctx, "import subscribers", func(tx *sqlx.Tx) error {
		// Sorting and joining a million rows in memory rather than on disk;
		// LOCAL ends with the transaction.
		if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
			return err
		}
		suppressed, err := lockSuppressions(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_rows (
				line bigint NOT NULL, email text NOT NULL, name text NOT NULL,
				attributes jsonb, email_hash text NOT NULL, suppressed boolean NOT NULL) ON COMMIT DROP`); err != nil {
			return wrap("staging table", err)
		}
		p := rowPreparer{hasher: s.hasher, suppressed: suppressed, keepHash: opts.ActivatePending}
		if res.Rows, err = copyRows(ctx, tx, p, rows); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &res.ImportID, `SELECT nextval(pg_get_serial_sequence('imports', 'id'))`); err != nil {
			return wrap("import record", err)
		}
		if err := mergeImport(ctx, tx, opts, &res); err != nil {
			return err
		}
		return recordImport(ctx, tx, opts, res)
	})
	if err != nil {
		return newsletter.ImportResult{}, err
	}
	return res, nil
}

// lockSuppressions reads the suppression list's hashes for the rows to be
// checked against in the client, which then hashes an address only when
// the list is not empty, and sends no hash to the server. The SHARE lock
// holds back a new suppression (an erase, a complaint) until the import
// commits, so an address erased meanwhile cannot come back through it.
func lockSuppressions(ctx context.Context, tx *sqlx.Tx) (map[string]struct{}, error) {
	if _, err := tx.ExecContext(ctx, `LOCK TABLE suppressions IN SHARE MODE`); err != nil {
		return nil, wrap("lock suppressions", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT email_hash FROM suppressions`)
	if err != nil {
		return nil, wrap("suppressions", err)
	}
	defer rows.Close()
	set := map[string]struct{}{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, wrap("suppressions", err)
		}
		set[h] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("suppressions", err)
	}
	return set, nil
}

// copyRow is one row ready for COPY.
type copyRow struct {
	line        int64
	email, name string
	hash        string // only when an event will need it
	suppressed  bool
	attrs       any // JSON text, or nil for none
}

// copyRows streams rows into import_rows with COPY FROM STDIN. Reading the
// rows (CSV parsing, address checks, hashing) runs in its own goroutine and
// hands over batches, so it overlaps with the COPY instead of taking turns
// with it.
func copyRows(ctx context.Context, tx *sqlx.Tx, p rowPreparer, rows iter.Seq2[newsletter.Subscriber, error]) (int64, error) {
	stmt, err := tx.PrepareContext(ctx, `COPY import_rows (line, email, name, attributes, email_hash, suppressed) FROM STDIN`)
	if err != nil {
		return 0, wrap("copy", err)
	}
	defer stmt.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []copyRow, 4)
	var readErr error
	go func() {
		defer close(batches)
		readErr = p.prepare(ctx, rows, batches)
	}()
	var n int64
	for batch := range batches {
		for _, r := range batch {
			if _, err := stmt.ExecContext(ctx, r.line, r.email, r.name, r.attrs, r.hash, r.suppressed); err != nil {
				cancel()
				for range batches { // let the reader see the cancel and stop
				}
				return n, wrap("copy", err)
			}
			n++
		}
	}
	// The reader closed batches after setting readErr.
	if readErr != nil {
		return n, readErr
	}
	// The empty Exec ends the COPY and reports any error the server found
	// in the stream.
	if _, err := stmt.ExecContext(ctx); err != nil {
		return n, wrap("copy", err)
	}
	return n, nil
}

// rowPreparer turns subscribers into rows for COPY.
type rowPreparer struct {
	hasher     Hasher
	suppressed map[string]struct{} // hashes on the suppression list
	keepHash   bool                // every row's hash is sent (for events)
}

// prepare turns rows into batches of copyRow until the rows end, one
// fails, or ctx ends.
func (p rowPreparer) prepare(ctx context.Context, rows iter.Seq2[newsletter.Subscriber, error], out chan<- []copyRow) error {
	const batchSize = 1000
	batch := make([]copyRow, 0, batchSize)
	send := func() error {
		select {
		case out <- batch:
			batch = make([]copyRow, 0, batchSize)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var (
		line int64
		js   []byte
	)
	for sub, err := range rows {
		if err != nil {
			return err
		}
		line++
		r := copyRow{line: line, email: sub.Email, name: sub.Name}
		if p.keepHash || len(p.suppressed) > 0 {
			h := p.hasher.HashAddress(sub.Email)
			_, r.suppressed = p.suppressed[h]
			if p.keepHash {
				r.hash = h
			}
		}
		if len(sub.Attributes) > 0 {
			var ok bool
			if js, ok = attributesJSON(js, sub.Attributes); !ok {
				b, err := json.Marshal(sub.Attributes)
				if err != nil {
					return fmt.Errorf("attributes: %w", err)
				}
				js = b
			}
			r.attrs = string(js)
		}
		if batch = append(batch, r); len(batch) == batchSize {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(batch) > 0 {
		return send()
	}
	return nil
}
