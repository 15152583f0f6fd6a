package store

import (
	"context"
	"encoding/json"
	"errors"
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
	err = s.inConnTx(ctx, "import subscribers", func(conn *sqlx.Conn, tx *sqlx.Tx) error {
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
		if res.Rows, err = copyRows(ctx, conn, p, rows); err != nil {
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
	var hashes []string
	if err := tx.SelectContext(ctx, &hashes, `SELECT email_hash FROM suppressions`); err != nil {
		return nil, wrap("suppressions", err)
	}
	set := make(map[string]struct{}, len(hashes))
	for _, h := range hashes {
		set[h] = struct{}{}
	}
	return set, nil
}

// copyRows streams rows into import_rows with COPY FROM STDIN, on conn,
// whose transaction is open. Reading the rows (CSV parsing, address checks,
// hashing) and writing them in COPY's text format run in their own
// goroutine and hand over batches, so they overlap with sending them.
func copyRows(ctx context.Context, conn *sqlx.Conn, p rowPreparer, rows iter.Seq2[newsletter.Subscriber, error]) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan copyBatch, 4)
	var (
		readErr error
		n       int64
	)
	go func() {
		defer close(batches)
		n, readErr = p.prepare(ctx, rows, batches)
	}()
	err := conn.Raw(func(dc any) error {
		return copyIn(ctx, dc, `COPY import_rows (line, email, name, attributes, email_hash, suppressed) FROM STDIN`, batches)
	})
	if err != nil {
		cancel()
		for range batches { // let the reader see the cancel and stop
		}
		if readErr != nil && !errors.Is(readErr, context.Canceled) {
			return 0, readErr
		}
		return 0, wrap("copy", err)
	}
	// The reader closed batches after setting readErr and n; a failed read
	// ended the batches early, so the COPY ended short: the error aborts
	// the transaction.
	if readErr != nil {
		return 0, readErr
	}
	return n, nil
}

// rowPreparer turns subscribers into rows for COPY.
type rowPreparer struct {
	hasher     Hasher
	suppressed map[string]struct{} // hashes on the suppression list
	keepHash   bool                // every row's hash is sent (for events)
}

// prepare turns rows into batches in COPY's text format until the rows
// end, one fails, or ctx ends, and counts the rows.
func (p rowPreparer) prepare(ctx context.Context, rows iter.Seq2[newsletter.Subscriber, error], out chan<- copyBatch) (int64, error) {
	const batchRows = 1000
	var (
		line  int64
		js    []byte
		batch copyBatch
	)
	send := func() error {
		select {
		case out <- batch:
			batch = copyBatch{buf: make([]byte, 0, 2*len(batch.buf))}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for sub, err := range rows {
		if err != nil {
			return line, err
		}
		line++
		var hash string
		var suppressed bool
		if p.keepHash || len(p.suppressed) > 0 {
			h := p.hasher.HashAddress(sub.Email)
			_, suppressed = p.suppressed[h]
			if p.keepHash {
				hash = h
			}
		}
		hasAttrs := len(sub.Attributes) > 0
		if hasAttrs {
			var ok bool
			if js, ok = attributesJSON(js, sub.Attributes); !ok {
				b, err := json.Marshal(sub.Attributes)
				if err != nil {
					return line, fmt.Errorf("attributes: %w", err)
				}
				js = b
			}
		}
		batch.row()
		batch.int(line, false)
		batch.text(sub.Email, false)
		batch.text(sub.Name, false)
		batch.json(js, hasAttrs, false)
		batch.text(hash, false)
		batch.bool(suppressed, true)
		if batch.rows == batchRows {
			if err := send(); err != nil {
				return line, err
			}
		}
	}
	if batch.rows > 0 {
		return line, send()
	}
	return line, nil
}
