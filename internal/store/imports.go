package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
)

// recordImport writes the import's record under the id its added rows
// already point to. It comes last, when the counts are known; the
// transaction makes the rows and the record land together.
func recordImport(ctx context.Context, tx *sqlx.Tx, opts newsletter.ImportPolicy, res newsletter.ImportResult) error {
	checksum := ""
	if opts.Checksum != nil {
		checksum = opts.Checksum()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO imports (id, source, operator, file_name, checksum, status, rows, added)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		res.ImportID, opts.Source, truncateRunes(opts.Operator, 200), truncateRunes(opts.FileName, 500),
		checksum, opts.Status, res.Rows, res.Inserted)
	return wrap("import record", err)
}

// truncateRunes cuts s to at most n characters: a record names its file
// and operator as given, and an overlong name must not fail the import.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// importRow scans the import columns joined to a consent event.
type importRow struct {
	ID        *int64     `db:"import_id"`
	Source    *string    `db:"import_source"`
	Operator  *string    `db:"import_operator"`
	FileName  *string    `db:"import_file_name"`
	Checksum  *string    `db:"import_checksum"`
	Status    *string    `db:"import_status"`
	Rows      *int64     `db:"import_rows"`
	Added     *int64     `db:"import_added"`
	CreatedAt *time.Time `db:"import_created_at"`
}

// importColumns selects an imports row aliased m as importRow's columns.
const importColumns = `m.id AS import_id, m.source AS import_source, m.operator AS import_operator,
	m.file_name AS import_file_name, m.checksum AS import_checksum, m.status AS import_status,
	m.rows AS import_rows, m.added AS import_added, m.created_at AS import_created_at`

func (r importRow) record() *newsletter.ImportRecord {
	if r.ID == nil || r.CreatedAt == nil {
		return nil
	}
	return &newsletter.ImportRecord{ID: *r.ID, Source: deref(r.Source), Operator: deref(r.Operator),
		FileName: deref(r.FileName), Checksum: deref(r.Checksum), Status: deref(r.Status),
		Rows: derefInt(r.Rows), Added: derefInt(r.Added), CreatedAt: *r.CreatedAt}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(n *int64) int64 {
	if n == nil {
		return 0
	}
	return *n
}
