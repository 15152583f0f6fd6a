package content

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
)

// parseJSON reads our JSON item file: an array of item objects, or an object
// whose "items" holds that array. Invalid JSON fails the whole file with the
// line of the fault; an item with unknown keys or bad values is rejected.
func (p *parser) parseJSON(doc document) error {
	fail := func(err error) error {
		return fmt.Errorf("content: parse JSON %s: %w", doc.name, err)
	}
	if err := checkUTF8(doc.data); err != nil {
		return fail(err)
	}
	body := trimLeading(doc.data)
	var raw []json.RawMessage
	if len(body) > 0 && body[0] == '{' {
		var wrapper map[string]json.RawMessage
		if err := json.Unmarshal(body, &wrapper); err != nil {
			return fail(jsonError(body, err))
		}
		items, ok := wrapper["items"]
		if !ok {
			return fail(fmt.Errorf("%w: object has no \"items\" array", newsletter.ErrInvalid))
		}
		body = items
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return fail(jsonError(body, err))
	}
	for i, msg := range raw {
		rw, err := decodeRow(msg)
		entry := jsonEntryLabel(i+1, rw)
		if err != nil {
			p.reject(entry, err.Error())
			continue
		}
		it, reason := p.rowItem(rw)
		if reason != "" {
			p.reject(entry, reason)
			continue
		}
		p.accept(entry, it)
	}
	return nil
}

// decodeRow is strict about keys: a misspelt "publised_at" should be named,
// not silently leave the date empty.
func decodeRow(msg json.RawMessage) (row, error) {
	var rw row
	if t := bytes.TrimSpace(msg); len(t) == 0 || t[0] != '{' {
		return rw, errors.New("not an object")
	}
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rw); err != nil {
		return rw, errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return rw, nil
}

func jsonEntryLabel(n int, rw row) string {
	if id := strings.TrimSpace(rw.ExternalID); id != "" {
		return fmt.Sprintf("item %d (external_id %s)", n, plaintext.Clip(id, 80))
	}
	return fmt.Sprintf("item %d", n)
}

// jsonError adds the line number to a syntax error: encoding/json gives only
// a byte offset, which nobody can find in an editor.
func jsonError(body []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) && syn.Offset > 0 && syn.Offset <= int64(len(body)) {
		line := 1 + bytes.Count(body[:syn.Offset], []byte{'\n'})
		return fmt.Errorf("%w: line %d: %w", newsletter.ErrInvalid, line, err)
	}
	return fmt.Errorf("%w: %w", newsletter.ErrInvalid, err)
}
