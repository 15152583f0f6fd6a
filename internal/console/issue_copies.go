package console

// The email of an issue as it goes out, outside the ledger: the preview
// in the page's frames and test copies to a few addresses.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/outbox"
	"github.com/enews/enews/internal/subscribers"
)

// TestSender sends one test copy of an issue's bytes to an address,
// outside the ledger.
type TestSender interface {
	SendTest(ctx context.Context, is newsletter.Issue, to string) error
}

// MailTester is the TestSender of a real server: the copy is composed and
// sent as `enews issue send --to` does, marked [TEST], through the outbox.
type MailTester struct {
	Sender *delivery.MailSender
	Links  *links.Links
	Outbox *outbox.Outbox
}

// testSendWait is how long a test send waits for the relay before leaving
// the copy queued for the outbox worker.
const testSendWait = 10 * time.Second

// SendTest sends one test copy of is to the address to. A relay that is
// down leaves it queued, to be sent when it answers again.
func (t MailTester) SendTest(ctx context.Context, is newsletter.Issue, to string) error {
	c, err := delivery.CompileIssue(is, t.Links)
	if err != nil {
		return err
	}
	_, err = t.Outbox.SendNow(ctx, newsletter.MailTestCopy, t.Sender.TestMessage(c, to, "[TEST]"), testSendWait)
	return err
}

// previewCSP: the email may style itself and show remote images, and
// nothing else; the sandbox keeps its links and forms from acting on the
// console, and only console pages may frame it.
const previewCSP = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; frame-ancestors 'self'"

// issuePreview shows the issue's HTML as subscribers get it (the frozen
// bytes once approved, the month rendered now for a draft), with sample
// values in place of each subscriber's links.
func (c *Console) issuePreview(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	p, err := newsletter.ParsePeriod(r.PathValue("period"))
	if err != nil {
		c.fail(w, r, fmt.Errorf("%w: issue %q", newsletter.ErrNotFound, r.PathValue("period")))
		return
	}
	is, err := c.d.Lifecycle.Draft(r.Context(), p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	t, err := digest.Compile(is.HTML, is.Text)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	var msg digest.Message
	t.Execute(&msg, digest.SampleValues())
	h := w.Header()
	h.Set("Content-Security-Policy", previewCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	body := msg.HTML
	if r.URL.Query().Get("part") == "text" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		body = msg.Text
	} else {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	_, _ = w.Write(body)
}

// maxTestAddresses bounds one test send: it is a check, not a mailing.
const maxTestAddresses = 10

func (c *Console) issueTest(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	p, err := newsletter.ParsePeriod(r.PathValue("period"))
	if err != nil {
		c.fail(w, r, fmt.Errorf("%w: issue %q", newsletter.ErrNotFound, r.PathValue("period")))
		return
	}
	raw := r.PostFormValue("to")
	addrs := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(addrs) == 0 || len(addrs) > maxTestAddresses {
		c.showIssue(w, r, u, http.StatusUnprocessableEntity, fmt.Sprintf("Give 1 to %d addresses for the test copy.", maxTestAddresses), raw)
		return
	}
	is, err := c.d.Lifecycle.Draft(r.Context(), p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for i, a := range addrs {
		if addrs[i], err = subscribers.NormaliseAddress(a); err != nil {
			c.showIssue(w, r, u, http.StatusUnprocessableEntity, "No test copy was sent: "+userMessage(err), raw)
			return
		}
	}
	for _, a := range addrs {
		if err := c.d.Tester.SendTest(r.Context(), is, a); err != nil {
			if code, msg, ok := formError(err); ok {
				c.showIssue(w, r, u, code, "Test copy to "+a+" not sent: "+msg, raw)
				return
			}
			c.fail(w, r, fmt.Errorf("test copy to %s: %w", a, err))
			return
		}
	}
	c.audit(r, u, "issue.test", "issue "+p.String(), strconv.Itoa(len(addrs))+" addresses")
	redirectDone(w, r, "/admin/issues/"+p.String(), "Test copy sent to "+strings.Join(addrs, ", ")+".")
}
