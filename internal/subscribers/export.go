package subscribers

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// exportColumns are the fixed columns of an export, before one column per
// attribute key. email and name come first, so an export can be imported
// again (status and created_at then become attributes unless removed).
func exportColumns() []string { return []string{"email", "name", "status", "created_at"} }

// CSVExport writes an export as CSV. It implements store.ExportSink and
// holds one record at a time, so memory stays flat for any list size.
type CSVExport struct {
	w    *csv.Writer
	keys []string
	rec  []string
}

// NewCSVExport writes to w; call Flush at the end.
func NewCSVExport(w io.Writer) *CSVExport {
	return &CSVExport{w: csv.NewWriter(w)}
}

// Begin writes the header: the fixed columns, then the attribute keys. A key
// that clashes with a fixed column is written as "attribute:KEY".
func (e *CSVExport) Begin(keys []string) error {
	e.keys = keys
	fixed := exportColumns()
	header := fixed
	for _, k := range keys {
		if slices.Contains(fixed, k) {
			k = "attribute:" + k
		}
		// Attribute keys come from imported headers: as untrusted as values.
		header = append(header, defuse(k))
	}
	e.rec = make([]string, len(header))
	return e.write(header)
}

// Row writes one subscriber.
func (e *CSVExport) Row(s *newsletter.Subscriber) error {
	// The order of exportColumns.
	e.rec[0] = s.Email
	e.rec[1] = defuse(s.Name)
	e.rec[2] = s.Status
	e.rec[3] = s.CreatedAt.UTC().Format(time.RFC3339)
	for i, k := range e.keys {
		e.rec[4+i] = defuse(s.Attributes[k])
	}
	return e.write(e.rec)
}

func (e *CSVExport) write(rec []string) error {
	if err := e.w.Write(rec); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

// Flush writes what is buffered and reports any write error.
func (e *CSVExport) Flush() error {
	e.w.Flush()
	if err := e.w.Error(); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

// defuse keeps a spreadsheet from running a cell as a formula. Names and
// attributes come from the public form and from imported files, so a name
// like =HYPERLINK(…) is someone's attack, not their name; a leading
// apostrophe makes spreadsheets show the text as typed. Addresses cannot
// start a useful formula (no spaces, quotes or parentheses) and stay exact.
func defuse(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
