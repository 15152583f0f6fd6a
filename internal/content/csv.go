package content

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
)

// parseCSV reads our CSV item file: a header naming the columns (any order),
// then one item per record. A bad header or broken quoting fails the whole
// file; a record with bad values is rejected by its line number.
func (p *parser) parseCSV(doc document) error {
	fail := func(err error) error {
		return fmt.Errorf("content: parse CSV %s: %w", doc.name, err)
	}
	if err := checkUTF8(doc.data); err != nil {
		return fail(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(doc.data, []byte("\xef\xbb\xbf"))))
	// A short or long record is reported as that record's problem rather
	// than stopping the import.
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return fail(fmt.Errorf("%w: empty file, want a header line", newsletter.ErrInvalid))
	}
	if err != nil {
		return fail(fmt.Errorf("%w: %w", newsletter.ErrInvalid, err))
	}
	columns, err := csvColumns(header)
	if err != nil {
		return fail(err)
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			// Broken quoting leaves the reader unsure where records
			// end; nothing after it can be trusted.
			return fail(fmt.Errorf("%w: %w", newsletter.ErrInvalid, err))
		}
		line, _ := r.FieldPos(0)
		entry := fmt.Sprintf("line %d", line)
		if len(rec) != len(columns) {
			p.reject(entry, fmt.Sprintf("has %d fields, the header has %d", len(rec), len(columns)))
			continue
		}
		var rw row
		for i, col := range columns {
			*rw.field(col) = rec[i]
		}
		it, reason := p.rowItem(rw)
		if reason != "" {
			p.reject(entry, reason)
			continue
		}
		p.accept(entry, it)
	}
}

// csvColumns maps header cells to field names. Unknown or repeated names fail
// the file: a misspelt "publised_at" would otherwise drop every date.
func csvColumns(header []string) ([]string, error) {
	columns := make([]string, len(header))
	seen := map[string]bool{}
	var row row
	for i, h := range header {
		name := normaliseHeader(h)
		if row.field(name) == nil {
			return nil, fmt.Errorf("%w: unknown column %q in the header (want kind, title, summary, url, image_url, image_alt, image_credit, published_at, status, external_id)", newsletter.ErrInvalid, plaintext.Clip(h, 40))
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: column %q appears twice in the header", newsletter.ErrInvalid, name)
		}
		seen[name] = true
		columns[i] = name
	}
	var missing []string
	for _, name := range requiredColumns() {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: header lacks required column(s) %s", newsletter.ErrInvalid, strings.Join(missing, ", "))
	}
	return columns, nil
}
