package mailer

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"github.com/enews/enews/internal/newsletter"
)

// Message is one personalised email, ready to send.
type Message struct {
	To     string // bare address
	ToName string // display name; line breaks are flattened
	// Subject may come from item titles, so line breaks are flattened to
	// spaces rather than failing the whole issue.
	Subject string
	Text    []byte // sent first: the fallback part of multipart/alternative
	HTML    []byte // sent last: the part clients prefer
	// MessageID is stable per (issue, subscriber), see MessageID. Empty lets
	// go-mail make a random one (test sends).
	MessageID string
	// UnsubscribeURL is the one-click https URL (RFC 8058); an http URL is
	// accepted for local demos but then gets no List-Unsubscribe-Post.
	UnsubscribeURL    string
	UnsubscribeMailto string // optional "mailto:" URI, listed second
	ListID            string // RFC 2919 id, e.g. "enewsupdate.example.org"
	ListName          string // optional phrase before the id
	// ReturnPath, when set, is the envelope sender (MAIL FROM) instead of
	// the From address: a VERP address that names this delivery, so a
	// bounce comes back to it whatever the bounce's format.
	ReturnPath string
	// BeforeCommit, when set, is called after the message body has been
	// sent and before the final "." that makes the server take it. If it
	// fails, the message is not sent: the connection is closed mid-DATA,
	// which makes the server discard it. Delivery uses it to wait until the
	// previous message's outcome is stored, overlapping that wait with
	// this message's envelope and body.
	BeforeCommit func() error
}

// MessageID builds the Message-ID for one issue and subscriber: the same pair
// always gives the same id, so a resend after a crash is recognisable as a
// duplicate and bounces can be traced back to the ledger row.
func MessageID(issueID, subscriberID int64, domain string) string {
	return fmt.Sprintf("<enews.%d.%d@%s>", issueID, subscriberID, domain)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: mailer: %s", newsletter.ErrInvalid, fmt.Sprintf(format, args...))
}

func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n\x00") }

// oneLine flattens control characters (CR and LF above all) to spaces: a
// hostile title or name must never start a new header line.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isCtl) {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, isCtl), " ")
}

func isCtl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// build turns m into a go-mail message. Values that identify or route the
// message (addresses, ids, URLs, extra headers) are rejected when they hold a
// line break, since there is no safe way to repair them.
func (p *Pool) build(m *Message, eightBit bool) (*gomail.Msg, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil || hasCRLF(m.To) || to.Name != "" {
		return nil, invalid("recipient address is not a bare address")
	}
	if len(m.Text) == 0 && len(m.HTML) == 0 {
		return nil, invalid("message has neither text nor HTML")
	}
	// Quoted-printable costs more CPU than the rest of a send together; a
	// body whose lines all fit SMTP's limit can go as 8bit instead.
	enc := gomail.EncodingQP
	if eightBit && fitsEightBit(m.Text) && fitsEightBit(m.HTML) {
		enc = gomail.NoEncoding
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithEncoding(enc))
	msg.FromMailAddress(p.from)
	if m.ReturnPath != "" {
		rp, err := mail.ParseAddress(m.ReturnPath)
		if err != nil || hasCRLF(m.ReturnPath) || rp.Name != "" {
			return nil, invalid("return path is not a bare address")
		}
		msg.EnvelopeFromMailAddress(rp)
	}
	if p.replyTo != nil {
		msg.ReplyToMailAddress(p.replyTo)
	}
	msg.AddToMailAddress(&mail.Address{Name: oneLine(m.ToName), Address: to.Address})
	msg.Subject(oneLine(m.Subject))
	if m.MessageID != "" {
		id := strings.TrimSuffix(strings.TrimPrefix(m.MessageID, "<"), ">")
		if hasCRLF(id) || strings.ContainsAny(id, " <>\t") || !strings.Contains(id, "@") {
			return nil, invalid("Message-ID %q is malformed", m.MessageID)
		}
		msg.SetMessageIDWithValue(id)
	}
	// Precedence: bulk plus X-Auto-Response-Suppress keeps out-of-office
	// replies away from the sending address.
	msg.SetBulk()
	if err := setListHeaders(msg, m); err != nil {
		return nil, err
	}
	if len(m.Text) > 0 {
		msg.SetBodyWriter(gomail.TypeTextPlain, writeBytes(m.Text))
	}
	if len(m.HTML) > 0 {
		if len(m.Text) > 0 {
			msg.AddAlternativeWriter(gomail.TypeTextHTML, writeBytes(m.HTML))
		} else {
			msg.SetBodyWriter(gomail.TypeTextHTML, writeBytes(m.HTML))
		}
	}
	return msg, nil
}

func setListHeaders(msg *gomail.Msg, m *Message) error {
	if m.UnsubscribeMailto != "" {
		u, err := url.Parse(m.UnsubscribeMailto)
		if err != nil || u.Scheme != "mailto" || hasCRLF(m.UnsubscribeMailto) || strings.ContainsAny(m.UnsubscribeMailto, "<> ") {
			return invalid("unsubscribe mailto URI is malformed")
		}
	}
	if m.UnsubscribeURL != "" {
		u, err := url.Parse(m.UnsubscribeURL)
		if err != nil || u.Host == "" || hasCRLF(m.UnsubscribeURL) || strings.ContainsAny(m.UnsubscribeURL, "<> ") {
			return invalid("unsubscribe URL is malformed")
		}
		var extra []string
		if m.UnsubscribeMailto != "" {
			extra = append(extra, m.UnsubscribeMailto)
		}
		switch u.Scheme {
		case "https":
			if err := msg.SetListUnsubscribeOneClick(m.UnsubscribeURL, extra...); err != nil {
				return invalid("unsubscribe URL: %v", err)
			}
		case "http":
			// RFC 8058 one-click needs https; a local demo still gets a link.
			msg.SetListUnsubscribe(append([]string{m.UnsubscribeURL}, extra...)...)
		default:
			return invalid("unsubscribe URL must be https")
		}
	} else if m.UnsubscribeMailto != "" {
		msg.SetListUnsubscribe(m.UnsubscribeMailto)
	}
	if m.ListID != "" {
		if hasCRLF(m.ListID) || !validListID(m.ListID) {
			return invalid("List-Id %q is malformed", m.ListID)
		}
		v := "<" + m.ListID + ">"
		if name := oneLine(m.ListName); name != "" {
			// Encode the phrase alone: an encoded word must not swallow the <id>.
			v = mime.QEncoding.Encode("UTF-8", name) + " " + v
		}
		msg.SetGenHeaderPreformatted(gomail.Header("List-Id"), v)
	}
	return nil
}

// validListID accepts a dot-atom: what RFC 2919 allows between the brackets.
func validListID(s string) bool {
	if !strings.Contains(s, ".") {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= 0x20 || strings.ContainsRune(`()<>[]:;@\,"`, r) {
			return false
		}
	}
	return true
}

// writeBytes hands go-mail the body without copying it into a string.
func writeBytes(b []byte) func(io.Writer) (int64, error) {
	return func(w io.Writer) (int64, error) {
		n, err := w.Write(b)
		return int64(n), err
	}
}

// maxEightBitLine stays under SMTP's 998-octet line limit (RFC 5321 4.5.3.1.6)
// with room for the CR LF and any stray trailing bytes.
const maxEightBitLine = 990

// fitsEightBit reports whether b can be sent as 8bit: valid UTF-8, no NUL
// or bare CR, and no line longer than maxEightBitLine.
func fitsEightBit(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 || bytes.IndexByte(b, '\r') >= 0 || !utf8.Valid(b) {
		return false
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return len(b) <= maxEightBitLine
		}
		if i > maxEightBitLine {
			return false
		}
		b = b[i+1:]
	}
	return true
}
