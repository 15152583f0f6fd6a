package mailer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"

	gomail "github.com/wneessen/go-mail"
)

// sendDirect runs one MAIL/RCPT/DATA transaction on c's connection without
// go-mail's send loop, for two costs that loop adds to every message: its
// DATA writer (textproto's dot-stuffing) copies the body one byte at a time,
// which was a third of all CPU per message, and it sends RSET after every
// delivered message, a round trip RFC 5321 does not need (a completed DATA
// ends the transaction). The message itself is still built and encoded by
// go-mail; DKIM signing (signDKIM) happens here too, so signed mail keeps
// every one of these gains and the crash bound of BeforeCommit.
func (p *Pool) sendDirect(c *conn, msg *gomail.Msg, gate func() error) *SendError {
	from, err := msg.GetSender(false)
	if err != nil {
		return &SendError{Stage: StageBuild, Reply: err.Error(), Err: err}
	}
	rcpts, err := msg.GetRecipients()
	if err != nil || len(rcpts) != 1 {
		return &SendError{Stage: StageBuild, Reply: "want exactly one recipient", Err: err}
	}
	c.body.Reset()
	if _, err := msg.WriteTo(&c.body); err != nil {
		return &SendError{Stage: StageBuild, Reply: err.Error(), Err: err}
	}
	payload := c.body.Bytes()
	if p.dkimKey != nil {
		if err := p.signDKIM(&c.signed, payload); err != nil {
			return &SendError{Stage: StageBuild, Reply: err.Error(), Err: err}
		}
		payload = c.signed.Bytes()
	}
	sc := c.sc
	if err := sc.UpdateDeadline(p.cfg.CommandTimeout); err != nil {
		return replyError(StageMail, err)
	}
	text := sc.Text
	if c.pipelining {
		if se := envelopePipelined(text, from, rcpts[0], c.eightBit); se != nil {
			return se
		}
	} else {
		if err := sc.Mail(from); err != nil {
			return replyError(StageMail, err)
		}
		if err := sc.UpdateDeadline(p.cfg.CommandTimeout); err != nil {
			return replyError(StageRcpt, err)
		}
		if err := sc.Rcpt(rcpts[0]); err != nil {
			return replyError(StageRcpt, err)
		}
		if err := sc.UpdateDeadline(p.cfg.CommandTimeout); err != nil {
			return replyError(StageData, err)
		}
		if err := exchange(text, 354, func(w *bufio.Writer) error { _, err := w.WriteString("DATA\r\n"); return err }); err != nil {
			return replyError(StageData, err)
		}
	}
	// RFC 5321 times each block; one allowance for the whole body is as
	// generous for a newsletter of a few hundred kilobytes.
	if err := sc.UpdateDeadline(p.cfg.DataTimeout); err != nil {
		return replyError(StageData, err)
	}
	if err := writeBody(text.W, payload); err != nil {
		return replyError(StageData, err)
	}
	if gate != nil {
		// Put the body on the wire while the caller waits, so the wait
		// overlaps with the transfer.
		if err := c.buffer.flush(); err != nil {
			return replyError(StageData, err)
		}
		if err := gate(); err != nil {
			p.drop(c) // mid-DATA: the server discards the message
			return &SendError{Temporary: true, Stage: StageGate, Reply: "not sent: " + err.Error(), Err: err}
		}
	}
	if err := sc.UpdateDeadline(p.cfg.FinalTimeout); err != nil {
		return replyError(StageData, err)
	}
	if err := exchange(text, 250, func(w *bufio.Writer) error { _, err := w.WriteString(".\r\n"); return err }); err != nil {
		se := replyError(StageData, err)
		se.committed = true
		return se
	}
	return nil
}

// envelopePipelined sends MAIL, RCPT and DATA in one write and then reads
// the three replies (RFC 2920, for servers announcing PIPELINING): one round
// trip instead of three. Every reply is read even after a refusal, so the
// connection stays in step; a DATA accepted without a recipient is ended at
// once with an empty message, as RFC 2920 asks.
func envelopePipelined(t *textproto.Conn, from, rcpt string, eightBit bool) *SendError {
	body := ""
	if eightBit {
		body = " BODY=8BITMIME"
	}
	id := t.Next()
	t.StartRequest(id)
	_, err := fmt.Fprintf(t.W, "MAIL FROM:%s%s\r\nRCPT TO:%s\r\nDATA\r\n", from, body, rcpt)
	if err == nil {
		err = t.W.Flush()
	}
	t.EndRequest(id)
	if err != nil {
		return replyError(StageMail, err)
	}
	t.StartResponse(id)
	defer t.EndResponse(id)
	_, _, mailErr := t.ReadResponse(250)
	if isNetwork(mailErr) {
		return replyError(StageMail, mailErr)
	}
	_, _, rcptErr := t.ReadResponse(25)
	if isNetwork(rcptErr) {
		return replyError(StageRcpt, rcptErr)
	}
	_, _, dataErr := t.ReadResponse(354)
	if isNetwork(dataErr) {
		return replyError(StageData, dataErr)
	}
	if dataErr == nil && (mailErr != nil || rcptErr != nil) {
		if _, err := t.W.WriteString(".\r\n"); err != nil {
			return replyError(StageData, err)
		}
		if err := t.W.Flush(); err != nil {
			return replyError(StageData, err)
		}
		if _, _, err := t.ReadResponse(0); isNetwork(err) {
			return replyError(StageData, err)
		}
	}
	switch {
	case mailErr != nil:
		return replyError(StageMail, mailErr)
	case rcptErr != nil:
		return replyError(StageRcpt, rcptErr)
	case dataErr != nil:
		return replyError(StageData, dataErr)
	}
	return nil
}

func isNetwork(err error) bool {
	var te *textproto.Error
	return err != nil && !errors.As(err, &te)
}

// exchange writes one request and reads its reply, in textproto's pipeline
// order so go-mail's own commands on this connection stay in step.
func exchange(t *textproto.Conn, want int, write func(*bufio.Writer) error) error {
	id := t.Next()
	t.StartRequest(id)
	err := write(t.W)
	if err == nil {
		err = t.W.Flush()
	}
	t.EndRequest(id)
	if err != nil {
		return err
	}
	t.StartResponse(id)
	defer t.EndResponse(id)
	_, _, err = t.ReadResponse(want)
	return err
}

// writeBody writes msg as SMTP DATA without the final ".": every line ends
// in CRLF and a line starting with "." gets another (RFC 5321 4.5.2). It
// works a line at a time, not a byte at a time.
func writeBody(w *bufio.Writer, msg []byte) error {
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, msg = msg[:i], msg[i+1:]
		} else {
			msg = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > 0 && line[0] == '.' {
			_ = w.WriteByte('.')
		}
		_, _ = w.Write(line)
		_, _ = w.WriteString("\r\n")
	}
	return w.Flush()
}

// replyError classifies an error from one step of sendDirect: an SMTP reply
// keeps its code (4xx temporary, 5xx final); anything else is a network
// failure, temporary, after which the connection is not reused.
func replyError(stage string, err error) *SendError {
	se := &SendError{Stage: stage, Temporary: true, Reply: err.Error(), Err: err}
	var te *textproto.Error
	if errors.As(err, &te) {
		se.Code = te.Code
		se.Reply = strconv.Itoa(te.Code) + " " + te.Msg
		se.Enhanced = findEnhanced(te.Msg)
		se.Temporary = te.Code < 500
	}
	return se
}
