package console

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/csv"
	htmltemplate "html/template"
	"net/http"
	"strconv"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

// maxUploadBytes bounds an uploaded list: a million rows fit easily.
const maxUploadBytes = 256 << 20

// maxShownLines bounds the bad lines shown on the page; the downloadable
// report and the count cover them all up to maxReportLines.
const (
	maxShownLines  = 200
	maxReportLines = 100_000
)

type importView struct {
	Done      bool
	Result    newsletter.ImportResult
	Bad       int64
	Lines     []subscribers.LineError
	More      int64            // bad lines not shown on the page
	ReportURL htmltemplate.URL // data: URL of the CSV report
	Error     string
	Status    string
	Options   map[string]bool
}

func (c *Console) importForm(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	c.render(w, r, http.StatusOK, pageImport, c.view(r, u, "Import subscribers", importView{Status: newsletter.SubscriberActive}))
}

// importUpload imports an uploaded CSV in one transaction and shows what
// happened, with every refused line and a CSV report of them to download.
func (c *Console) importUpload(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	v := importView{Status: r.FormValue("status")}
	file, header, err := r.FormFile("file")
	if err != nil {
		v.Error = "Choose a CSV file to upload (at most 256 MB)."
		c.render(w, r, http.StatusUnprocessableEntity, pageImport, c.view(r, u, "Import subscribers", v))
		return
	}
	defer file.Close()
	opts := newsletter.ImportPolicy{Status: v.Status, Source: newsletter.SourceAPI,
		ActivatePending: r.FormValue("activate_pending") == "on", Overwrite: r.FormValue("overwrite") == "on"}
	ir, err := subscribers.NewImportReader(file)
	if err != nil {
		v.Error = userMessage(err)
		c.render(w, r, http.StatusUnprocessableEntity, pageImport, c.view(r, u, "Import subscribers", v))
		return
	}
	opts.Operator, opts.FileName, opts.Checksum = "user:"+u.Email, header.Filename, ir.Checksum
	var report bytes.Buffer
	rw := csv.NewWriter(&report)
	_ = rw.Write([]string{"line", "reason"})
	res, err := c.d.Subscribers.ImportSubscribers(r.Context(), subscribers.Rows(ir, func(le *subscribers.LineError) {
		v.Bad++
		if len(v.Lines) < maxShownLines {
			v.Lines = append(v.Lines, *le)
		}
		if v.Bad <= maxReportLines {
			_ = rw.Write([]string{strconv.Itoa(le.Line), le.Reason})
		}
	}), opts)
	if err != nil {
		if code, msg, ok := formError(err); ok {
			v.Error = "Nothing was imported: " + msg
			c.render(w, r, code, pageImport, c.view(r, u, "Import subscribers", v))
			return
		}
		c.fail(w, r, err)
		return
	}
	rw.Flush()
	v.Done, v.Result, v.More = true, res, v.Bad-int64(len(v.Lines))
	if v.Bad > 0 {
		// The report is built here from our own bytes, never from a URL
		// the client gave, so marking it safe is sound.
		v.ReportURL = htmltemplate.URL("data:text/csv;base64," + base64.StdEncoding.EncodeToString(report.Bytes()))
	}
	c.audit(r, u, "subscribers.import", "", "inserted "+strconv.FormatInt(res.Inserted, 10)+
		", existing "+strconv.FormatInt(res.Existing, 10)+", bad lines "+strconv.FormatInt(v.Bad, 10))
	c.render(w, r, http.StatusOK, pageImport, c.view(r, u, "Import subscribers", v))
}

// export streams the list as CSV, optionally one status only.
func (c *Console) export(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	status := r.URL.Query().Get("status")
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	name := "subscribers.csv"
	if status != "" {
		name = "subscribers-" + status + ".csv"
	}
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	bw := bufio.NewWriterSize(w, 64<<10)
	e := subscribers.NewCSVExport(bw)
	n, err := c.d.Subscribers.ExportSubscribers(r.Context(), store.ExportFilter{Status: status}, e)
	if err == nil {
		err = e.Flush()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		// The status line is gone already; the log says why the file is short.
		c.log.Error("console: export", "rows", n, "err", err)
	}
	c.audit(r, u, "subscribers.export", status, strconv.FormatInt(n, 10)+" rows")
}
