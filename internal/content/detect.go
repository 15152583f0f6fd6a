package content

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/url"
	"path"
	"strings"
)

type format int

const (
	formatUnknown format = iota
	formatFeed           // RSS, Atom or JSON Feed: gofeed tells them apart
	formatCSV
	formatJSON // our own item file
)

// detect picks the parser. The bytes decide where they can (a '<' is XML, a
// '[' is our JSON); the name and Content-Type only settle CSV, which has no
// signature, and are never trusted over the content: servers label feeds
// text/html and people name files .txt.
func detect(doc document) format {
	body := trimLeading(doc.data)
	if len(body) == 0 {
		return formatUnknown
	}
	switch body[0] {
	case '<':
		return formatFeed
	case '[':
		return formatJSON
	case '{':
		if isJSONFeed(body) {
			return formatFeed
		}
		return formatJSON
	}
	if hintsCSV(doc) || looksLikeCSVHeader(body) {
		return formatCSV
	}
	return formatUnknown
}

// trimLeading skips a UTF-8 byte order mark and leading white space, which
// spreadsheet exports and hand-edited files often carry.
func trimLeading(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return bytes.TrimLeft(b, " \t\r\n")
}

// isJSONFeed tells a JSON Feed from our {"items": [...]} object: both have
// items, only JSON Feed declares its version URL. A document that does not
// decode is left to our JSON parser, whose error names the line.
func isJSONFeed(body []byte) bool {
	var probe struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return false
	}
	v := strings.ToLower(probe.Version)
	return strings.HasPrefix(v, "https://jsonfeed.org/version/") || strings.HasPrefix(v, "http://jsonfeed.org/version/")
}

func hintsCSV(doc document) bool {
	if mt, _, err := mime.ParseMediaType(doc.contentType); err == nil && (mt == "text/csv" || mt == "application/csv") {
		return true
	}
	name := doc.name
	if u, err := url.Parse(name); err == nil && u.Scheme != "" && u.Host != "" {
		name = u.Path
	}
	return strings.EqualFold(path.Ext(name), ".csv")
}

// looksLikeCSVHeader accepts a first line naming the required columns, so a
// CSV file without the .csv extension still imports.
func looksLikeCSVHeader(body []byte) bool {
	line := body
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	have := map[string]bool{}
	for _, f := range strings.Split(string(line), ",") {
		have[normaliseHeader(f)] = true
	}
	return have["title"] && have["url"] && have["published_at"]
}

// normaliseHeader forgives what spreadsheets do to header cells: quotes,
// padding, capitals, spaces for underscores.
func normaliseHeader(h string) string {
	h = strings.Trim(strings.TrimSpace(h), `"`)
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.ReplaceAll(h, " ", "_")
}
