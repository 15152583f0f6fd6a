package web

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

// maxReportedLines bounds the bad lines an import answer lists; the count
// covers them all.
const maxReportedLines = 1000

type lineErrorJSON struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// apiImport: POST /api/subscribers/import with the CSV as the raw body or
// as the first file of a multipart/form-data upload (what an HTML form or
// curl -F sends), as the CLI's import: ?status=pending,
// ?activate_pending=true, ?overwrite=true. The answer's "input" says which
// was read.
func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := newsletter.ImportPolicy{Status: q.Get("status"), Source: newsletter.SourceAPI}
	for name, dst := range map[string]*bool{"activate_pending": &opts.ActivatePending, "overwrite": &opts.Overwrite} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				s.apiError(w, r, badRequest("%s %q: want true or false", name, v))
				return
			}
			*dst = b
		}
	}
	body, fileName, err := importBody(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	input := "raw body"
	if fileName != "" {
		input = fmt.Sprintf("multipart file %q", fileName)
	}
	ir, err := subscribers.NewImportReader(body) // bounded by HTTPLimits
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	t, _ := r.Context().Value(tokenKey{}).(store.APIToken)
	opts.Operator, opts.FileName, opts.Checksum = "token:"+t.Name, fileName, ir.Checksum
	bad := 0
	lines := []lineErrorJSON{}
	res, err := s.d.Store.ImportSubscribers(r.Context(), subscribers.Rows(ir, func(le *subscribers.LineError) {
		bad++
		if len(lines) < maxReportedLines {
			lines = append(lines, lineErrorJSON{Line: le.Line, Reason: le.Reason})
		}
	}), opts)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"rows": res.Rows, "duplicates": res.Duplicates, "suppressed": res.Suppressed,
		"inserted": res.Inserted, "existing": res.Existing, "activated": res.Activated, "updated": res.Updated,
		"bad_lines": bad, "errors": lines, "input": input, "import_id": res.ImportID,
	})
}

// importBody is the CSV of an import request: the first file part of a
// multipart upload, streamed, or else the raw body; fileName is the part's
// file name, empty for a raw body.
func importBody(r *http.Request) (body io.Reader, fileName string, err error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return r.Body, "", nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", badRequest("multipart upload: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", badRequest("multipart upload holds no file: send the CSV as a file part, e.g. curl -F file=@list.csv")
		}
		if err != nil {
			return nil, "", badRequest("multipart upload: %v", err)
		}
		if part.FileName() != "" {
			return part, part.FileName(), nil
		}
	}
}

// apiExport: GET /api/subscribers/export?status=&since= streams CSV.
func (s *Server) apiExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.ExportFilter{Status: q.Get("status")}
	if v := q.Get("since"); v != "" {
		t, err := newsletter.ParseDate(v, s.d.Location)
		if err != nil {
			s.apiError(w, r, badRequest("since: %v", err))
			return
		}
		f.CreatedSince = t
	}
	// Checked before the CSV headers go out: afterwards only a cut-short
	// body could tell the client.
	if err := newsletter.CheckStatusFilter(f.Status); err != nil {
		s.apiError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="subscribers.csv"`)
	h.Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	e := subscribers.NewCSVExport(bw)
	n, err := s.d.Store.ExportSubscribers(r.Context(), f, e)
	if err == nil {
		err = e.Flush()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		// The status line is gone already; a cut-short body is all a
		// client can be told, so the log says why.
		s.log.Error("web: api export", "rows", n, "err", err)
	}
}
