package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
)

// recordImport writes the import's record under the id its added rows
// already point to. It comes last, when the counts are known; the
// transaction makes the rows and the record land together. An overlong
// file name or operator is clipped rather than failing the import.
func recordImport(ctx context.Context, tx *sqlx.Tx, opts newsletter.ImportPolicy, res newsletter.ImportResult) error {
	checksum := ""
	if opts.Checksum != nil {
		checksum = opts.Checksum()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO imports (id, source, operator, file_name, checksum, status, rows, added)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		res.ImportID, opts.Source, plaintext.Clip(opts.Operator, 200), plaintext.Clip(opts.FileName, 500),
		checksum, opts.Status, res.Rows, res.Inserted)
	return wrap("import record", err)
}

// importRow scans the import columns joined to a consent event; ID is 0
// where no import is joined.
type importRow struct {
	ID        int64     `db:"import_id"`
	Source    string    `db:"import_source"`
	Operator  string    `db:"import_operator"`
	FileName  string    `db:"import_file_name"`
	Checksum  string    `db:"import_checksum"`
	Status    string    `db:"import_status"`
	Rows      int64     `db:"import_rows"`
	Added     int64     `db:"import_added"`
	CreatedAt time.Time `db:"import_created_at"`
}

// importColumns selects an imports row aliased m, possibly absent (a LEFT
// JOIN), as importRow's columns.
const importColumns = `COALESCE(m.id, 0) AS import_id, COALESCE(m.source, '') AS import_source,
	COALESCE(m.operator, '') AS import_operator, COALESCE(m.file_name, '') AS import_file_name,
	COALESCE(m.checksum, '') AS import_checksum, COALESCE(m.status, '') AS import_status,
	COALESCE(m.rows, 0) AS import_rows, COALESCE(m.added, 0) AS import_added,
	COALESCE(m.created_at, CAST('epoch' AS timestamptz)) AS import_created_at`

func (r importRow) record() *newsletter.ImportRecord {
	if r.ID == 0 {
		return nil
	}
	return &newsletter.ImportRecord{ID: r.ID, Source: r.Source, Operator: r.Operator, FileName: r.FileName,
		Checksum: r.Checksum, Status: r.Status, Rows: r.Rows, Added: r.Added, CreatedAt: r.CreatedAt}
}
