package subscribers

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
)

const (
	// MaxNameRunes bounds a subscriber's name: it is printed in greetings and
	// headers, and nobody's name is longer.
	MaxNameRunes = 200
	// MaxRecordBytes bounds one CSV record. encoding/csv keeps reading lines
	// while a quoted field is open, so without a bound a single stray quote
	// would pull the rest of a large file into memory.
	MaxRecordBytes = 1 << 20
)

// Row is one good line of an import.
type Row struct {
	Line       int    // 1-based line in the file; the header is line 1
	Email      string // normalised, see NormaliseAddress
	Name       string // trimmed; empty when the file has no name column
	Attributes map[string]string
}

// LineError is one refused line. The import goes on with the next line.
type LineError struct {
	Line   int
	Reason string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Unwrap lets errors.Is(err, newsletter.ErrInvalid) hold.
func (e *LineError) Unwrap() error { return newsletter.ErrInvalid }

// ImportReader streams subscriber rows from CSV. It holds one record at a
// time, so memory stays flat however long the file is. Duplicate addresses
// within a file are not detected here (that would mean remembering every
// address); the store's unique index settles them.
type ImportReader struct {
	csv     *csv.Reader
	limit   *recordLimiter
	sum     hash.Hash // SHA-256 of the bytes read, for the import's record
	bom     int64     // bytes skipped before the csv reader saw anything
	columns []string
	email   int
	name    int // -1 without a name column
	attrs   int // number of attribute columns
}

// NewImportReader reads the header line. It must name an email column; a
// name column is optional; every other column becomes an attribute keyed by
// its trimmed, lower-cased header.
func NewImportReader(r io.Reader) (*ImportReader, error) {
	sum := sha256.New()
	limit := &recordLimiter{r: io.TeeReader(r, sum), allowed: MaxRecordBytes}
	br := bufio.NewReader(limit)
	ir := &ImportReader{limit: limit, sum: sum, email: -1, name: -1}
	// A UTF-8 byte order mark, as spreadsheet programs write, would otherwise
	// become part of the first header name.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		_, _ = br.Discard(3)
		ir.bom = 3
	}
	// csv.NewReader reuses br (a *bufio.Reader of default size) rather than
	// buffering a second time.
	ir.csv = csv.NewReader(br)
	ir.csv.FieldsPerRecord = -1 // column counts are checked per line, to go on after a bad one
	ir.csv.LazyQuotes = false
	ir.csv.ReuseRecord = true

	header, err := ir.csv.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: import: empty file, no header line", newsletter.ErrInvalid)
	case err != nil:
		return nil, fmt.Errorf("%w: import: header: %w", newsletter.ErrInvalid, err)
	}
	ir.advance()
	if err := ir.readHeader(header); err != nil {
		return nil, err
	}
	return ir, nil
}

// Checksum is the SHA-256, in hex, of the bytes read so far: of the whole
// input once Next has returned io.EOF. The import's record keeps it, so the
// file a list came from can be told apart from any other.
func (ir *ImportReader) Checksum() string {
	return hex.EncodeToString(ir.sum.Sum(nil))
}

func (ir *ImportReader) readHeader(header []string) error {
	ir.columns = make([]string, len(header))
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
			return fmt.Errorf("%w: import: header column %d has no name", newsletter.ErrInvalid, i+1)
		case seen[h]:
			return fmt.Errorf("%w: import: header column %q appears twice", newsletter.ErrInvalid, h)
		case strings.ContainsFunc(h, unicode.IsControl):
			return fmt.Errorf("%w: import: header column %d has a control character", newsletter.ErrInvalid, i+1)
		}
		seen[h] = true
		ir.columns[i] = h
		switch h {
		case "email":
			ir.email = i
		case "name":
			ir.name = i
		default:
			ir.attrs++
		}
	}
	if ir.email < 0 {
		return fmt.Errorf("%w: import: header has no %q column", newsletter.ErrInvalid, "email")
	}
	return nil
}

// Next returns the next good row, a *LineError for a refused line (call Next
// again to go on), io.EOF at the end, or another error when reading fails;
// after that last kind the import cannot go on.
func (ir *ImportReader) Next() (Row, error) {
	record, err := ir.csv.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// The csv reader has dropped the rest of the broken line and
			// resumes on the next one.
			ir.advance()
			return Row{}, &LineError{Line: pe.StartLine, Reason: quotingReason(pe)}
		}
		if errors.Is(err, errRecordTooLong) {
			return Row{}, fmt.Errorf("%w: import: line %d: record longer than %d bytes (unclosed quote?)",
				newsletter.ErrInvalid, ir.limit.lines+1, MaxRecordBytes)
		}
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		return Row{}, fmt.Errorf("import: read: %w", err)
	}
	ir.advance()
	line, _ := ir.csv.FieldPos(0)
	for _, f := range record {
		if !utf8.ValidString(f) {
			// Not a bad line but a file in another encoding (Latin-1 from
			// a spreadsheet): every accented name after it would be wrong
			// too, so the whole import is refused, as items import does.
			return Row{}, newsletter.Problemf(newsletter.ErrInvalid,
				"import: not UTF-8 text (first bad byte on line %d); save the file as UTF-8 and import it again: nothing was imported", line)
		}
	}
	if reason := ir.check(record); reason != "" {
		return Row{}, &LineError{Line: line, Reason: reason}
	}
	email, err := NormaliseAddress(record[ir.email])
	if err != nil {
		reason := err.Error()
		var ae *AddressError
		if errors.As(err, &ae) {
			reason = ae.Reason
		}
		return Row{}, &LineError{Line: line, Reason: "email: " + reason}
	}
	row := Row{Line: line, Email: email}
	if ir.name >= 0 {
		row.Name = strings.TrimSpace(plaintext.StripBidi(record[ir.name]))
		if n := utf8.RuneCountInString(row.Name); n > MaxNameRunes {
			return Row{}, &LineError{Line: line, Reason: fmt.Sprintf("name longer than %d characters (%d)", MaxNameRunes, n)}
		}
		if strings.ContainsFunc(row.Name, unicode.IsControl) {
			return Row{}, &LineError{Line: line, Reason: "name has a control character"}
		}
	}
	if ir.attrs > 0 {
		row.Attributes = make(map[string]string, ir.attrs)
		for i, v := range record {
			if i != ir.email && i != ir.name {
				row.Attributes[ir.columns[i]] = strings.TrimSpace(v)
			}
		}
	}
	return row, nil
}

// check finds what makes a parsed record unusable before any field is looked
// at for meaning; "" means nothing.
func (ir *ImportReader) check(record []string) string {
	if len(record) != len(ir.columns) {
		return fmt.Sprintf("wrong column count: %d, header has %d", len(record), len(ir.columns))
	}
	for i, f := range record {
		switch {
		// PostgreSQL text cannot hold NUL.
		case strings.IndexByte(f, 0) >= 0:
			return fmt.Sprintf("NUL byte in column %q", ir.columns[i])
		// A quoted field may span lines in CSV, but no subscriber field
		// should, and a line break in a name or attribute would end up in
		// mail headers.
		case strings.ContainsAny(f, "\r\n"):
			return fmt.Sprintf("line break (CR or LF) inside column %q", ir.columns[i])
		}
	}
	return ""
}

func quotingReason(pe *csv.ParseError) string {
	where := fmt.Sprintf("column %d", pe.Column)
	if pe.Line != pe.StartLine {
		where = fmt.Sprintf("line %d column %d", pe.Line, pe.Column)
	}
	return fmt.Sprintf("broken quoting: %v (at %s)", pe.Err, where)
}

// advance lets the limiter hand out up to MaxRecordBytes past what the csv
// reader has consumed so far.
func (ir *ImportReader) advance() {
	ir.limit.allowed = ir.bom + ir.csv.InputOffset() + MaxRecordBytes
}

var errRecordTooLong = errors.New("record too long")

// recordLimiter refuses to deliver bytes beyond allowed, which the
// ImportReader moves forward after each record, and counts the line breaks it
// delivered so the refusal can name a line.
type recordLimiter struct {
	r       io.Reader
	read    int64
	allowed int64
	lines   int
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	room := l.allowed - l.read
	if room <= 0 {
		return 0, errRecordTooLong
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	l.lines += bytes.Count(p[:n], []byte{'\n'})
	return n, err
}
