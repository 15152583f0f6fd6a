package content

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/enews/enews/internal/newsletter"
)

// document is one source read into memory. Sources are capped at MaxBytes,
// so holding them whole is cheap, and format detection needs to look at the
// start before a parser reads the rest.
type document struct {
	name        string // normalised source, for messages and extension hints
	contentType string // from HTTP; empty for files
	data        []byte
	// From HTTP only: the status and the validators for the next
	// conditional GET; notModified is a 304 (data is empty).
	status             int
	etag, lastModified string
	notModified        bool
}

// StatusError is a fetch the server answered with an HTTP error.
type StatusError struct {
	URL    string
	Status int
	Text   string // e.g. "500 Internal Server Error"
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("content: fetch %s: server answered %s", e.URL, e.Text)
}

// Unwrap makes an HTTP error newsletter.ErrInvalid, as every other source
// that cannot be used.
func (e *StatusError) Unwrap() error { return newsletter.ErrInvalid }

// HTTPStatus is the HTTP status an error from Load carries, or 0.
func HTTPStatus(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// readFile reads path, refusing it before reading when it is over limit.
func readFile(ctx context.Context, path string, limit int64) (document, error) {
	if err := ctx.Err(); err != nil {
		return document{}, fmt.Errorf("content: read %s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return document{}, fmt.Errorf("content: read %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return document{}, fmt.Errorf("content: read %s: %w", path, err)
	}
	if info.IsDir() {
		return document{}, fmt.Errorf("content: read %s: %w: is a directory", path, newsletter.ErrInvalid)
	}
	if info.Size() > limit {
		return document{}, tooLarge("read "+path, info.Size(), limit)
	}
	// The size can change between Stat and Read (a file still being
	// written, a pipe): the limited read is what enforces the cap.
	data, err := readCapped(f, limit)
	if err != nil {
		return document{}, fmt.Errorf("content: read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return document{}, tooLarge("read "+path, int64(len(data)), limit)
	}
	return document{name: path, data: data}, nil
}

// fetchURL GETs rawURL with the configured client, bounded by opts.Timeout
// and opts.MaxBytes.
func fetchURL(ctx context.Context, rawURL string, opts Options) (document, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return document{}, fmt.Errorf("content: fetch %s: %w", rawURL, err)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json, text/csv, application/xml;q=0.9, */*;q=0.5")
	req.Header.Set("User-Agent", "enews-feed-import/1")
	if opts.IfNoneMatch != "" {
		req.Header.Set("If-None-Match", opts.IfNoneMatch)
	}
	if opts.IfModifiedSince != "" {
		req.Header.Set("If-Modified-Since", opts.IfModifiedSince)
	}
	resp, err := opts.HTTPClient.Do(req)
	if err != nil {
		// The client's error already quotes the URL; the prefix names the
		// operation so the message reads the same as every other failure.
		return document{}, fmt.Errorf("content: fetch %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	conditional := opts.IfNoneMatch != "" || opts.IfModifiedSince != ""
	if resp.StatusCode == http.StatusNotModified && conditional {
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return document{name: rawURL, status: resp.StatusCode, notModified: true,
			etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused by the pool.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return document{}, &StatusError{URL: rawURL, Status: resp.StatusCode, Text: resp.Status}
	}
	if resp.ContentLength > opts.MaxBytes {
		return document{}, tooLarge("fetch "+rawURL, resp.ContentLength, opts.MaxBytes)
	}
	data, err := readCapped(resp.Body, opts.MaxBytes)
	if err != nil {
		return document{}, fmt.Errorf("content: fetch %s: read body: %w", rawURL, err)
	}
	if int64(len(data)) > opts.MaxBytes {
		return document{}, tooLarge("fetch "+rawURL, int64(len(data)), opts.MaxBytes)
	}
	return document{name: rawURL, contentType: resp.Header.Get("Content-Type"), data: data, status: resp.StatusCode,
		etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}, nil
}

// readCapped reads at most limit+1 bytes: one past the limit is enough to
// know the source is too large without reading all of it.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, limit+1))
}

// tooLarge names the limit so the person importing knows which setting to
// raise, or that the file is not what they meant to import. size is a lower
// bound when the body was cut off at the limit.
func tooLarge(op string, size, limit int64) error {
	if size == limit+1 {
		return fmt.Errorf("content: %s: %w: larger than the %s limit (MaxBytes)", op, newsletter.ErrInvalid, formatBytes(limit))
	}
	return fmt.Errorf("content: %s: %w: %s is larger than the %s limit (MaxBytes)", op, newsletter.ErrInvalid, formatBytes(size), formatBytes(limit))
}

// formatBytes prints n in the largest binary unit that keeps one decimal.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<30))) + " GiB"
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
