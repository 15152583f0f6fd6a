package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/enews/enews/internal/bounce"
	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/schedule"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/web"
)

// Roles `enews serve` can run; all by default.
const (
	roleWeb       = "web"
	roleScheduler = "scheduler"
	roleSender    = "sender"
	roleBounces   = "bounces"
)

func (a *app) serveCommand() *cobra.Command {
	var roles string
	cmd := &cobra.Command{
		Use:   "serve [--roles web,scheduler,sender]",
		Short: "Run the web server, the monthly scheduler and the senders",
		Long: `Serve runs, in one process, the HTTP server (public pages, archive, admin API,
/healthz, /readyz on web.listen; /metrics and /statusz on web.ops_listen),
the scheduler (only the replica holding the leader lock schedules), the
senders (every replica sends) and the transactional mail outbox. --roles runs
only some of them, e.g. --roles sender for extra sending replicas. The
bounces role (not on by default) runs the inbound SMTP listener of
bounces.domain on bounces.listen: bounces, complaints, mailto unsubscribes.
SIGTERM or Ctrl-C stops claiming, finishes messages in flight, hands back
leases and the leader lock, and exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := parseRoles(roles)
			if err != nil {
				return err
			}
			return a.serve(cmd.Context(), rs)
		},
	}
	cmd.Flags().StringVar(&roles, "roles", "web,scheduler,sender", "comma-separated roles to run: web, scheduler, sender, bounces")
	return cmd
}

func parseRoles(s string) ([]string, error) {
	var out []string
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		switch r {
		case roleWeb, roleScheduler, roleSender, roleBounces:
			out = append(out, r)
		case "":
		default:
			return nil, fmt.Errorf("--roles: unknown role %q: want web, scheduler, sender or bounces", r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--roles: name at least one of web, scheduler, sender, bounces")
	}
	return out, nil
}

func (a *app) serve(ctx context.Context, roles []string) error {
	return a.withStore(ctx, func(st *store.Store) error { return a.serveWith(ctx, st, roles) })
}

func (a *app) serveWith(ctx context.Context, st *store.Store, roles []string) error {
	l, err := a.links()
	if err != nil {
		return err
	}
	svc, err := a.issues(st)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := delivery.NewMetrics(reg)
	if err := delivery.RegisterLedger(reg, st); err != nil {
		return err
	}
	if err := bounce.RegisterRates(reg, st); err != nil {
		return err
	}
	reg.MustRegister(countGauge("enews_delivery_queue_depth", "Deliveries queued, retrying or in flight, over all issues.",
		st.QueueDepth))
	reg.MustRegister(countGauge("enews_outbox_pending", "Transactional emails (confirmations, approver notices, test copies) waiting in the outbox.",
		func(ctx context.Context) (int64, error) {
			b, err := st.OutboxBacklog(ctx)
			return b.Pending, err
		}))
	pool, err := a.pool()
	if err != nil {
		return err
	}
	defer pool.Close(context.Background())
	sender, err := a.mailSender(pool, l)
	if err != nil {
		return err
	}
	box := a.outbox(st, pool)
	leader := schedule.NewLeader(schedule.LockerFunc(st.TryAdvisoryLock), schedule.LeaderConfig{}, a.log)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "enews_scheduler_leader",
		Help: "1 while this replica holds the scheduler's leader lock.",
	}, func() float64 {
		if leader.IsLeader() {
			return 1
		}
		return 0
	}))

	var sched *schedule.Scheduler
	g, ctx := errgroup.WithContext(ctx)
	// Every replica sends transactional mail; the table keeps it when none runs.
	g.Go(func() error { return box.Run(ctx) })
	if slices.Contains(roles, roleSender) {
		engine := delivery.New(st, svc, sender, delivery.ClassifyMailError, a.engineOptions(), a.log, metrics)
		worker := delivery.NewWorker(engine, st, a.startGate(st, svc), l, time.Second)
		g.Go(func() error { return worker.Run(ctx) })
	}
	if slices.Contains(roles, roleScheduler) {
		poller := a.poller(st, reg)
		sched, err = schedule.New(schedule.Config{
			Spec: a.cfg.Schedule.Spec, Location: a.cfg.Location(), CatchUpWindow: a.cfg.Schedule.CatchUpWindow,
			RequireApproval: a.cfg.Schedule.RequireApproval, RetryInterval: a.cfg.Schedule.RetryInterval,
			SourceGrace: a.cfg.Content.SourceGrace,
		}, schedule.Deps{Creator: svc, Reader: st, Sender: svc,
			Notifier:  delivery.NewApprovalNotifier(sender, box, a.cfg.Schedule.Approvers),
			Collector: poller}, a.log)
		if err != nil {
			return err
		}
		refresh := refreshDrafts(svc, a.log)
		g.Go(func() error {
			return leader.Run(ctx, func(ctx context.Context) error {
				lg, ctx := errgroup.WithContext(ctx)
				lg.Go(func() error { return sched.Run(ctx) })
				lg.Go(func() error { return refresh(ctx) })
				lg.Go(func() error { return poller.Run(ctx) })
				return lg.Wait()
			})
		})
	}
	if slices.Contains(roles, roleBounces) {
		run, err := a.bounceListener(st, reg)
		if err != nil {
			return err
		}
		g.Go(func() error { return run(ctx) })
	}
	if slices.Contains(roles, roleWeb) {
		status := statusFunc(st, leader, sched)
		handler, err := a.webServer(st, svc, l, pool, box, reg, status)
		if err != nil {
			return err
		}
		ops := web.NewOps(web.OpsDeps{Ready: readiness(st), Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
			Status: func(context.Context) any { return status() }})
		for _, ls := range []struct {
			name, addr string
			h          http.Handler
		}{
			{"web", a.cfg.Web.Listen, handler}, {"ops", a.cfg.Web.OpsListen, ops},
		} {
			run, err := a.listen(ls.name, ls.addr, ls.h)
			if err != nil {
				return err
			}
			g.Go(func() error { return run(ctx) })
		}
	}
	a.log.Info("enews serving", "roles", strings.Join(roles, ","))
	err = g.Wait()
	a.log.Info("enews stopped")
	return err
}

// countGauge is a gauge read from the database when scraped; -1 says the
// read failed.
func countGauge(name, help string, count func(ctx context.Context) (int64, error)) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := count(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
}

// draftRefreshInterval is how often the leader looks for drafts whose items
// changed; a draft shows an item edit within about this long.
const draftRefreshInterval = 5 * time.Second

// refreshDrafts renders again, while this replica leads, every draft whose
// items changed since it was rendered.
func refreshDrafts(svc *issues.Service, log *slog.Logger) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(draftRefreshInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if n, err := svc.RefreshStale(ctx, schedule.Actor); err != nil && ctx.Err() == nil {
				log.Error("refreshing drafts failed", "err", err)
			} else if n > 0 {
				log.Info("drafts rendered again after their items changed", "count", n)
			}
		}
	}
}

// replicaStatus is what /statusz shows: whether this replica leads, and what
// its scheduler last saw (due period, next firing, missed periods).
type replicaStatus struct {
	Leader   bool                      `json:"leader"`
	Schedule *schedule.Status          `json:"schedule,omitempty"`
	Outbox   *newsletter.OutboxBacklog `json:"outbox,omitempty"`
	// OutboxError says why the outbox could not be read.
	OutboxError string `json:"outbox_error,omitempty"`
	// Sources is every enabled source's health; SourcesError says why it
	// could not be read.
	Sources      []sourceHealth `json:"sources,omitempty"`
	SourcesError string         `json:"sources_error,omitempty"`
}

// sourceHealth is one source as /statusz shows it.
type sourceHealth struct {
	Name          string     `json:"name"`
	State         string     `json:"state"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	FailingSince  *time.Time `json:"failing_since,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	NextFetchAt   time.Time  `json:"next_fetch_at"`
}

func statusFunc(st *store.Store, leader *schedule.Leader, sched *schedule.Scheduler) func() replicaStatus {
	return func() replicaStatus {
		rs := replicaStatus{Leader: leader.IsLeader()}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if b, err := st.OutboxBacklog(ctx); err != nil {
			rs.OutboxError = err.Error()
		} else {
			rs.Outbox = &b
		}
		if list, err := st.EnabledSources(ctx); err != nil {
			rs.SourcesError = err.Error()
		} else {
			for _, s := range list {
				rs.Sources = append(rs.Sources, sourceHealth{Name: s.Name, State: sourceState(s), LastSuccessAt: s.LastSuccessAt,
					FailingSince: s.FailingSince, LastError: s.LastError, NextFetchAt: s.NextFetchAt})
			}
		}
		if sched != nil {
			st := sched.Status()
			rs.Schedule = &st
		}
		return rs
	}
}

// readiness is /readyz: the database answers and its migrations are current.
func readiness(st *store.Store) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := st.Ping(ctx); err != nil {
			return errors.New("database unreachable")
		}
		return st.CheckMigrated(ctx)
	}
}

// listen opens addr now, so a port in use fails the start, and returns
// the function that serves h there until ctx ends, then shuts down.
func (a *app) listen(name, addr string, h http.Handler) (func(ctx context.Context) error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listener: %w", name, err)
	}
	srv := web.NewHTTPServer(addr, h, a.httpLimits())
	return func(ctx context.Context) error {
		a.log.Info("listening", "listener", name, "addr", ln.Addr().String())
		done := make(chan error, 1)
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			done <- srv.Shutdown(sctx)
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("%s listener: %w", name, err)
		}
		return <-done
	}, nil
}
