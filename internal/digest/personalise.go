package digest

import (
	"slices"
	"strings"
)

// Values are one reader's details, put where the tokens were.
type Values struct {
	UnsubscribeURL string
	ViewURL        string
	Name           string // empty or blank uses DefaultName
	ManageURL      string
}

// Message holds one recipient's bodies. Execute reuses its buffers, so a
// sender keeps one Message per worker and allocates nothing per recipient.
type Message struct {
	HTML []byte
	Text []byte
}

// DefaultName greets a reader whose name is unknown: "Hello there,".
const DefaultName = "there"

// tokenPrefix starts every token: the split scans for it, then matches.
const tokenPrefix = "ENEWS_"

// Template is a rendered issue split once at its tokens. It is read-only
// after Compile, so workers may share it.
type Template struct {
	html segments
	text segments
}

// segments is lits[0] tok[0] lits[1] tok[1] … lits[n].
type segments struct {
	lits []string
	toks []uint8
	size int // bytes of literal text, to size the output once
}

// Compile splits a rendered issue's HTML and text at their tokens. It checks
// the tokens again, as the bytes may come back from storage.
func Compile(html, text string) (*Template, error) {
	if err := checkTokens(html, text, true); err != nil {
		return nil, err
	}
	return &Template{html: split(html), text: split(text)}, nil
}

func split(s string) segments {
	var sg segments
	names := tokenNames()
	start, from := 0, 0
	for {
		j := strings.Index(s[from:], tokenPrefix)
		if j < 0 {
			break
		}
		j += from
		from = j + len(tokenPrefix)
		for k, tok := range names {
			if strings.HasPrefix(s[j:], tok) {
				sg.lits = append(sg.lits, s[start:j])
				sg.toks = append(sg.toks, uint8(k))
				start, from = j+len(tok), j+len(tok)
				break
			}
		}
	}
	sg.lits = append(sg.lits, s[start:])
	for _, l := range sg.lits {
		sg.size += len(l)
	}
	return sg
}

// Execute fills dst with the HTML and text for v, reusing dst's buffers.
func (t *Template) Execute(dst *Message, v Values) {
	dst.HTML = t.AppendHTML(dst.HTML[:0], v)
	dst.Text = t.AppendText(dst.Text[:0], v)
}

// AppendHTML appends the HTML part for v to dst, values HTML-escaped.
func (t *Template) AppendHTML(dst []byte, v Values) []byte {
	vals := t.values(v)
	dst = slices.Grow(dst, t.html.size+valuesLen(&vals, t.html.toks))
	for i, tok := range t.html.toks {
		dst = append(dst, t.html.lits[i]...)
		dst = appendHTMLValue(dst, vals[tok])
	}
	return append(dst, t.html.lits[len(t.html.toks)]...)
}

// AppendText appends the plain-text part for v to dst.
func (t *Template) AppendText(dst []byte, v Values) []byte {
	vals := t.values(v)
	dst = slices.Grow(dst, t.text.size+valuesLen(&vals, t.text.toks))
	for i, tok := range t.text.toks {
		dst = append(dst, t.text.lits[i]...)
		dst = appendTextValue(dst, vals[tok])
	}
	return append(dst, t.text.lits[len(t.text.toks)]...)
}

func (t *Template) values(v Values) [tokCount]string {
	name := strings.TrimSpace(v.Name)
	if name == "" {
		name = DefaultName
	}
	return [tokCount]string{
		tokUnsubscribe: strings.TrimSpace(v.UnsubscribeURL),
		tokView:        strings.TrimSpace(v.ViewURL),
		tokName:        name,
		tokManage:      strings.TrimSpace(v.ManageURL),
	}
}

func valuesLen(vals *[tokCount]string, toks []uint8) int {
	n := 0
	for _, tok := range toks {
		n += len(vals[tok])
	}
	return n
}

// appendHTMLValue escapes like html.EscapeString without its allocation, and
// drops control bytes (CR and LF among them): a value is one line, always.
func appendHTMLValue(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch c := s[i]; {
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '&':
			esc = "&amp;"
		case c == '\'':
			esc = "&#39;"
		case c == '"':
			esc = "&#34;"
		case c < 0x20 || c == 0x7f:
			esc = ""
		default:
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}

// appendTextValue copies s without control bytes, so no value can start a
// line of its own in the plain-text part.
func appendTextValue(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			dst = append(dst, s[last:i]...)
			last = i + 1
		}
	}
	return append(dst, s[last:]...)
}

// SampleValues are what a preview shows in place of a real reader.
func SampleValues() Values {
	return Values{
		UnsubscribeURL: "https://example.com/unsubscribe/preview",
		ManageURL:      "https://example.com/manage/preview",
		ViewURL:        "https://example.com/archive/preview",
		Name:           "Sample Reader",
	}
}

// Preview fills a rendered issue's tokens with v (SampleValues for
// `enews issue preview`), through the same path a real send takes.
func Preview(html, text string, v Values) (Message, error) {
	t, err := Compile(html, text)
	if err != nil {
		return Message{}, err
	}
	var m Message
	t.Execute(&m, v)
	return m, nil
}
