package delivery_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/poll"
	"github.com/enews/enews/internal/signing"
)

// Environment of the sender that TestKilledSenderRowsComeBackInDoubt runs in
// a child process and kills.
const (
	envKillDB   = "ENEWS_TEST_KILL_DB"
	envKillSMTP = "ENEWS_TEST_KILL_SMTP"
)

// A sender killed with SIGKILL mid-send leaves its leases behind. With a
// lease of 10 minutes, the next sender still finishes the issue: the dead
// sender's heartbeat stops, and its rows come back in doubt after
// dead_after (5 s by default), not after the lease. At most one message per
// connection of the dead sender arrives twice.
func TestKilledSenderRowsComeBackInDoubt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 200)
	f.smtp.SetFaults(slowRelay(20 * time.Millisecond))
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelperSender$", "-test.count=1")
	cmd.Env = append(os.Environ(), envKillDB+"="+f.url, envKillSMTP+"="+f.smtp.Addr())
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	poll.Until(t, "the condition", func() bool { return f.smtp.Count() >= 30 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	var held int
	if err := f.db.Get(&held, `SELECT count(*) FROM deliveries WHERE status = 'sending'`); err != nil {
		t.Fatal(err)
	}
	if held == 0 {
		t.Fatal("the killed sender held no lease: the test proves nothing")
	}
	f.smtp.ClearFaults()
	opts := f.opts("after")
	opts.Lease = 10 * time.Minute
	e, c := f.engine(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := e.Run(ctx, f.issue, c, true)
	if err != nil || !sum.Done {
		t.Fatalf("after the kill: %+v, %v; want the issue finished without waiting out the lease", sum, err)
	}
	extra, missing := f.duplicates()
	if missing != 0 || extra > killedConnections {
		t.Fatalf("%d missing, %d duplicates; want none missing and at most %d duplicates", missing, extra, killedConnections)
	}
	if s := f.stats(t); s.InDoubt < int64(extra) || s.InDoubt != int64(held) {
		t.Fatalf("%d in doubt, %d held at the kill, %d duplicates: every held row is in doubt", s.InDoubt, held, extra)
	}
}

const killedConnections = 4

// TestKillHelperSender is the sender the test above kills; it runs only in
// that child process.
func TestKillHelperSender(t *testing.T) {
	url, addr := os.Getenv(envKillDB), os.Getenv(envKillSMTP)
	if url == "" {
		t.Skip("runs only as the child of TestKilledSenderRowsComeBackInDoubt")
	}
	st := openStore(t, url)
	host, port, _ := strings.Cut(addr, ":")
	p, _ := strconv.Atoi(port)
	log := slog.New(slog.DiscardHandler)
	pool, err := mailer.NewPool(mailer.Config{Host: host, Port: p, TLS: "none", From: "news@example.org",
		Connections: killedConnections}, log)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signing.New([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	l := links.New("https://news.example.org", signer)
	is, err := st.IssueByPeriod(context.Background(), may2022)
	if err != nil {
		t.Fatal(err)
	}
	c, err := delivery.CompileIssue(is, l)
	if err != nil {
		t.Fatal(err)
	}
	sender := delivery.NewMailSender(pool, l, "enewsupdate.example.org", "eNewsUpdate", "")
	e := delivery.New(st, neverDone{}, sender, delivery.ClassifyMailError, delivery.Options{Owner: "killed",
		BatchSize: 50, Lease: 10 * time.Minute, MaxAttempts: 5,
		RetryBase: time.Millisecond, RetryMax: time.Millisecond, BounceThreshold: 1}, log, nil)
	_, _ = e.Run(context.Background(), is, c, true)
	time.Sleep(time.Hour) // killed before this ends
}

type neverDone struct{}

func (neverDone) Complete(context.Context, int64, newsletter.Period, string) (bool, error) {
	return false, nil
}
