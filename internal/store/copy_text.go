package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"strconv"
)

// copyBatch is rows in PostgreSQL's COPY text format: columns separated by
// tabs, one row per line. Rows are written here by the goroutine that
// reads them, and sent as one piece, so the connection's goroutine does no
// per-row work.
type copyBatch struct {
	buf  []byte
	rows int
}

// row starts a row.
func (b *copyBatch) row() {
	if b.rows > 0 {
		b.buf = append(b.buf, '\n')
	}
	b.rows++
}

func (b *copyBatch) int(n int64, last bool) {
	b.buf = strconv.AppendInt(b.buf, n, 10)
	b.end(last)
}

func (b *copyBatch) bool(v, last bool) {
	if v {
		b.buf = append(b.buf, 't')
	} else {
		b.buf = append(b.buf, 'f')
	}
	b.end(last)
}

// text writes s with the four characters COPY text gives a meaning to
// escaped.
func (b *copyBatch) text(s string, last bool) {
	b.buf = appendCopyText(b.buf, s)
	b.end(last)
}

// json writes a JSON document as text, without copying it into a string
// first; ok false writes NULL.
func (b *copyBatch) json(js []byte, ok, last bool) {
	if ok {
		b.buf = appendCopyText(b.buf, js)
	} else {
		b.buf = append(b.buf, '\\', 'N')
	}
	b.end(last)
}

func appendCopyText[T string | []byte](buf []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

func (b *copyBatch) end(last bool) {
	if !last {
		b.buf = append(b.buf, '\t')
	}
}

// copyDataStmt is lib/pq's COPY statement, which takes rows already in
// COPY text format.
type copyDataStmt interface {
	driver.Stmt
	CopyData(ctx context.Context, line string) (driver.Result, error)
}

// copyIn runs query (a COPY ... FROM STDIN) on the driver connection dc
// and sends each batch from batches as it comes. It returns when batches
// is closed and the server has taken everything, or at the first error.
func copyIn(ctx context.Context, dc any, query string, batches <-chan copyBatch) error {
	prep, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return errors.New("copy: the driver connection cannot prepare statements")
	}
	st, err := prep.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	cd, ok := st.(copyDataStmt)
	if !ok {
		_ = st.Close()
		return errors.New("copy: the driver cannot stream COPY data")
	}
	for b := range batches {
		if b.rows == 0 {
			continue
		}
		// CopyData ends the piece with the last row's line break.
		if _, err := cd.CopyData(ctx, string(b.buf)); err != nil {
			_ = st.Close()
			return err
		}
	}
	// Close ends the COPY and, called on the driver's statement rather
	// than through database/sql, reports any error the server found in
	// the stream.
	return st.Close()
}
