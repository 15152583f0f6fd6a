package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
)

// Compiled is a frozen issue split once into literal segments and tokens,
// so personalising one message is a few appends.
type Compiled struct {
	Issue   newsletter.Issue
	tmpl    *digest.Template
	viewURL string
}

// CompileIssue prepares a frozen issue for sending; it fails if the stored HTML or
// text lost a placeholder token.
func CompileIssue(issue newsletter.Issue, l *links.Links) (*Compiled, error) {
	t, err := digest.Compile(issue.HTML, issue.Text)
	if err != nil {
		return nil, fmt.Errorf("delivery: issue %s: %w", issue.Period, err)
	}
	return &Compiled{Issue: issue, tmpl: t, viewURL: l.Archive(issue.Period)}, nil
}

// MailSender composes each recipient's message and sends it through a
// go-mail connection pool.
type MailSender struct {
	pool     *mailer.Pool
	links    *links.Links
	mailto   string
	listID   string
	listName string
	returns  ReturnAddresses // nil: the From address takes bounces
	bufs     sync.Pool
}

// ReturnAddresses gives each delivery its own return path and mailto
// unsubscribe address (bounce.Addresses), so whatever comes back names the
// delivery exactly.
type ReturnAddresses interface {
	ReturnPath(issueID, subscriberID int64) string
	UnsubscribeMailto(issueID, subscriberID int64) string
}

// WithReturnAddresses makes every ledger message carry a VERP return path
// and its own mailto unsubscribe address, instead of the From address and
// smtp.unsubscribe_mailto.
func (m *MailSender) WithReturnAddresses(r ReturnAddresses) *MailSender {
	m.returns = r
	return m
}

// NewMailSender wires the pool and the link builder. listID is the List-Id
// id (e.g. enewsupdate.example.org), also the Message-ID domain.
func NewMailSender(pool *mailer.Pool, l *links.Links, listID, listName, unsubscribeMailto string) *MailSender {
	m := &MailSender{pool: pool, links: l, listID: listID, listName: listName}
	if unsubscribeMailto != "" {
		m.mailto = "mailto:" + strings.TrimPrefix(unsubscribeMailto, "mailto:") + "?subject=unsubscribe"
	}
	m.bufs.New = func() any { return new(digest.Message) }
	return m
}

// Connections is the pool's size: one sender per connection.
func (m *MailSender) Connections() int { return m.pool.Connections() }

// Send personalises and sends one message.
func (m *MailSender) Send(ctx context.Context, r Recipient, c *Compiled, gate func() error) error {
	buf := m.bufs.Get().(*digest.Message)
	defer m.bufs.Put(buf)
	unsub := m.links.Unsubscribe(r.SubscriberID)
	c.tmpl.Execute(buf, digest.Values{UnsubscribeURL: unsub, ViewURL: c.viewURL, Name: r.Name,
		ManageURL: m.links.Manage(r.SubscriberID)})
	msg := &mailer.Message{
		To: r.Email, ToName: r.Name, Subject: c.Issue.Subject,
		Text: buf.Text, HTML: buf.HTML,
		MessageID:      mailer.MessageID(r.IssueID, r.SubscriberID, m.listID),
		UnsubscribeURL: unsub, UnsubscribeMailto: m.mailto,
		ListID: m.listID, ListName: m.listName, BeforeCommit: gate,
	}
	if m.returns != nil {
		msg.ReturnPath = m.returns.ReturnPath(r.IssueID, r.SubscriberID)
		msg.UnsubscribeMailto = m.returns.UnsubscribeMailto(r.IssueID, r.SubscriberID)
	}
	return m.pool.Send(ctx, msg)
}

// TestMessage composes one copy of an issue for an address outside the
// ledger, marked as a test: the subject starts with prefix (e.g. "[TEST]"),
// a banner opens the body, its unsubscribe link leads to a page saying it
// was a test, and "view in browser" to a signed preview that works before
// the issue is sent. It goes out through the outbox.
func (m *MailSender) TestMessage(c *Compiled, to, prefix string) *mailer.Message {
	return m.copyOutsideLedger(c, to, prefix, prefix+" This is a test copy of the "+issueName(c.Issue.Period)+
		" issue. It was not sent to subscribers, and its unsubscribe link changes nothing.")
}

// ApprovalMessage composes the copy of a draft an approver reviews: like a
// test copy outside the ledger, but its subject and banner say what is
// asked of them and how to answer.
func (m *MailSender) ApprovalMessage(c *Compiled, to string) *mailer.Message {
	p := c.Issue.Period
	return m.copyOutsideLedger(c, to, "[APPROVAL NEEDED]", "The "+issueName(p)+" issue waits for your approval. "+
		"It goes to subscribers once approved: run enews issue approve --period "+p.String()+
		", or approve it in the console. Until then nobody else has it, and its unsubscribe link changes nothing.")
}

func issueName(p newsletter.Period) string {
	return p.Month.String() + " " + strconv.Itoa(p.Year)
}

func (m *MailSender) copyOutsideLedger(c *Compiled, to, prefix, banner string) *mailer.Message {
	var buf digest.Message
	unsub := m.links.TestUnsubscribe()
	// The manage link too leads to the page saying this was a test.
	c.tmpl.Execute(&buf, digest.Values{UnsubscribeURL: unsub, ManageURL: unsub, ViewURL: m.links.Preview(c.Issue.Period, time.Now())})
	return &mailer.Message{
		To: to, Subject: prefix + " " + c.Issue.Subject,
		Text: append([]byte(banner+"\n\n"), buf.Text...), HTML: withBanner(buf.HTML, banner),
		UnsubscribeURL: unsub, ListID: m.listID, ListName: m.listName,
	}
}

// withBanner puts a notice at the top of an HTML body, right after <body>.
func withBanner(body []byte, text string) []byte {
	div := `<div style="margin:0;padding:12px 16px;background:#fff4d6;color:#5c4400;border-bottom:2px solid #e0b000;` +
		`font:bold 14px/20px Arial,Helvetica,sans-serif;text-align:center">` + html.EscapeString(text) + `</div>`
	at := 0
	if i := bytes.Index(body, []byte("<body")); i >= 0 {
		if j := bytes.IndexByte(body[i:], '>'); j >= 0 {
			at = i + j + 1
		}
	}
	out := make([]byte, 0, len(body)+len(div))
	out = append(out, body[:at]...)
	out = append(out, div...)
	return append(out, body[at:]...)
}

// ClassifyMailError reads a mailer.SendError; anything else (which the pool
// does not return) counts as temporary so it is retried, never lost.
func ClassifyMailError(err error) Verdict {
	var se *mailer.SendError
	if errors.As(err, &se) {
		v := Verdict{Temporary: se.Temporary, HardBounce: se.IsHardBounce(), InDoubt: se.InDoubt(), Reply: se.Reply}
		switch se.Stage {
		case mailer.StageConnect:
			v.RelayDown = true
		case mailer.StageMail, mailer.StageRcpt, mailer.StageData:
			// 421 is the server closing; no reply at all before the final
			// "." (on a fresh connection: the mailer already retried a
			// reused one) is a server or network gone.
			v.RelayDown = se.Code == 421 || (se.Code == 0 && !v.InDoubt)
		}
		if v.Reply == "" {
			v.Reply = se.Error()
		}
		return v
	}
	return Verdict{Temporary: true, Reply: err.Error()}
}

// Enqueuer queues transactional mail; *outbox.Outbox is the real one.
type Enqueuer interface {
	Enqueue(ctx context.Context, kind string, m *mailer.Message) (int64, error)
}

// ApprovalNotifier mails each approver a copy of a draft issue: they review
// the very bytes subscribers will get, then run `enews issue approve`.
type ApprovalNotifier struct {
	sender    *MailSender
	outbox    Enqueuer
	approvers []string
}

// NewApprovalNotifier composes with sender and queues to approvers.
func NewApprovalNotifier(sender *MailSender, outbox Enqueuer, approvers []string) *ApprovalNotifier {
	return &ApprovalNotifier{sender: sender, outbox: outbox, approvers: approvers}
}

// AwaitingApproval mails the draft to every approver.
func (n *ApprovalNotifier) AwaitingApproval(ctx context.Context, is newsletter.Issue) error {
	if len(n.approvers) == 0 {
		return nil
	}
	c, err := CompileIssue(is, n.sender.links)
	if err != nil {
		return err
	}
	var errs []error
	for _, to := range n.approvers {
		if _, err := n.outbox.Enqueue(ctx, newsletter.MailApprovalCheck, n.sender.ApprovalMessage(c, to)); err != nil {
			errs = append(errs, fmt.Errorf("notify approver: %w", err))
		}
	}
	return errors.Join(errs...)
}
