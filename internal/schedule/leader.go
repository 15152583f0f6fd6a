package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/enews/enews/internal/clock"
)

// DefaultLockKey is the advisory lock key replicas contend for. Advisory
// locks are per database, so replicas of another enews on the same server
// do not interfere.
const DefaultLockKey int64 = 0x656e6577735f73 // "enews_s"

// Lock is a held leader lock (store.AdvisoryLock is the real one).
type Lock interface {
	// Check fails once the lock may have been lost.
	Check(ctx context.Context) error
	Release(ctx context.Context) error
}

// Locker takes the leader lock without waiting; ok is false, and nothing is
// held, when another replica has it.
type Locker interface {
	TryLock(ctx context.Context, key int64) (lock Lock, ok bool, err error)
}

// LockerFunc adapts a function that takes a lock of a concrete type, such
// as store.Store's TryAdvisoryLock, to Locker.
func LockerFunc[L Lock](try func(ctx context.Context, key int64) (L, bool, error)) Locker {
	return lockerFunc(func(ctx context.Context, key int64) (Lock, bool, error) {
		l, ok, err := try(ctx, key)
		if err != nil || !ok {
			return nil, false, err
		}
		return l, true, nil
	})
}

type lockerFunc func(ctx context.Context, key int64) (Lock, bool, error)

func (f lockerFunc) TryLock(ctx context.Context, key int64) (Lock, bool, error) { return f(ctx, key) }

// LeaderConfig tunes a Leader; zero values take the defaults.
type LeaderConfig struct {
	Key int64
	// RetryInterval is how often a replica that does not lead tries to.
	RetryInterval time.Duration
	// CheckInterval is how often the leader checks its lock's connection;
	// it bounds how long a leader that lost it goes on scheduling.
	CheckInterval time.Duration
	// Timeout bounds each check and the release, so a hung network reads
	// as a lost connection instead of freezing the leader.
	Timeout time.Duration
}

// Defaults for LeaderConfig.
const (
	DefaultLeaderRetry = 5 * time.Second
	DefaultLeaderCheck = 5 * time.Second
	DefaultLeaderWait  = 5 * time.Second
)

// Leader lets one replica at a time lead: it holds a PostgreSQL session-level
// advisory lock on a dedicated connection. The server drops the lock when
// that session ends, so a replica that dies or loses its connection loses
// the lead and another one takes it over.
//
// Between a connection loss and the next check both replicas may lead for a
// moment; that is harmless because an issue is unique per period and only an
// approved issue can be started, once.
type Leader struct {
	locker  Locker
	cfg     LeaderConfig
	log     *slog.Logger
	leading atomic.Bool
}

// NewLeader builds a Leader.
func NewLeader(locker Locker, cfg LeaderConfig, log *slog.Logger) *Leader {
	if cfg.Key == 0 {
		cfg.Key = DefaultLockKey
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = DefaultLeaderRetry
	}
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = DefaultLeaderCheck
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultLeaderWait
	}
	return &Leader{locker: locker, cfg: cfg, log: log.With("lock_key", cfg.Key)}
}

// IsLeader reports whether this replica leads right now.
func (l *Leader) IsLeader() bool { return l.leading.Load() }

// Run contends for the lead until ctx ends. Each time it wins, it calls lead
// with a context that is cancelled when the lead is lost or ctx ends, waits
// for lead to return, and only then releases the lock, so two replicas never
// lead at once by their own choice. If lead returns by itself, the lock is
// released and contended for again after RetryInterval. Run returns nil once
// ctx ends and the lock is released.
func (l *Leader) Run(ctx context.Context, lead func(ctx context.Context) error) error {
	failing := false
	for ctx.Err() == nil {
		lock, ok, err := l.locker.TryLock(ctx, l.cfg.Key)
		switch {
		case err != nil && ctx.Err() == nil:
			// Logged when the failures start, not every few seconds after.
			if !failing {
				l.log.Warn("leader: cannot try the lock; will keep trying", "err", err)
			}
			failing = true
		case ok:
			failing = false
			l.term(ctx, lock, lead)
		default:
			failing = false
		}
		if !clock.Sleep(ctx, l.cfg.RetryInterval) {
			break
		}
	}
	return nil
}

// term leads until the lead is lost, lead returns or ctx ends.
func (l *Leader) term(ctx context.Context, lock Lock, lead func(ctx context.Context) error) {
	l.leading.Store(true)
	l.log.Info("leader: leading")
	termCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- lead(termCtx) }()

	ticker := time.NewTicker(l.cfg.CheckInterval)
	defer ticker.Stop()
	var err error
	lost := false
wait:
	for {
		select {
		case err = <-done:
			if err == nil && ctx.Err() == nil {
				l.log.Warn("leader: lead returned while still leading; stepping down")
			}
			break wait
		case <-ctx.Done():
			cancel()
			err = <-done
			break wait
		case <-ticker.C:
			if cerr := l.check(ctx, lock); cerr != nil && ctx.Err() == nil {
				// The session, and with it the lock, may be gone on the
				// server: another replica may already lead.
				l.log.Error("leader: lost the lock's connection; stepping down", "err", cerr)
				l.leading.Store(false)
				lost = true
				cancel()
				err = <-done
				break wait
			}
		}
	}
	l.leading.Store(false)
	if err != nil && !errors.Is(err, context.Canceled) {
		l.log.Error("leader: lead failed; stepping down", "err", err)
	}
	// ctx may be over already; the release must still reach the server.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.Timeout)
	defer rcancel()
	// After a lost connection the release is expected to fail; it still
	// closes the session, which is what frees the lock.
	if rerr := lock.Release(rctx); rerr != nil && !lost {
		l.log.Warn("leader: unlock failed; the lock ends with its connection, which is closed", "err", rerr)
	}
	l.log.Info("leader: stepped down")
}

func (l *Leader) check(ctx context.Context, lock Lock) error {
	cctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	if err := lock.Check(cctx); err != nil {
		return fmt.Errorf("leader: %w", err)
	}
	return nil
}
