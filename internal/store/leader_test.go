package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
	"github.com/jmoiron/sqlx"
)

const testLockKey = 4242

// openTwice gives two pools on one fresh database, as two replicas have,
// and a plain handle on it.
func openTwice(t *testing.T) (*store.Store, *store.Store, *sqlx.DB) {
	t.Helper()
	u := pgtest.NewURL(t)
	var out [2]*store.Store
	for i := range out {
		st, err := store.Open(context.Background(), store.Options{URL: u, MaxOpenConns: 5})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		out[i] = st
	}
	return out[0], out[1], pgtest.SQL(t, u)
}

func TestAdvisoryLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b, db := openTwice(t)

	lock, ok, err := a.TryAdvisoryLock(ctx, testLockKey)
	if err != nil || !ok {
		t.Fatalf("first try: %v, %v", ok, err)
	}
	if err := lock.Check(ctx); err != nil {
		t.Fatalf("check: %v", err)
	}

	t.Run("another session cannot take it", func(t *testing.T) {
		if _, ok, err := b.TryAdvisoryLock(ctx, testLockKey); err != nil || ok {
			t.Fatalf("second try: %v, %v; want false, nil", ok, err)
		}
	})

	t.Run("the holder's pool does not lend the session", func(t *testing.T) {
		// The same pool asking again gets another session, which must
		// not find the lock already its own.
		if _, ok, err := a.TryAdvisoryLock(ctx, testLockKey); err != nil || ok {
			t.Fatalf("same pool: %v, %v; want false, nil", ok, err)
		}
	})

	t.Run("a terminated session fails its check and frees the lock", func(t *testing.T) {
		if n := pgtest.TerminateAdvisoryLockHolders(t, db); n != 1 {
			t.Fatalf("terminated %d sessions, want 1", n)
		}
		if err := lock.Check(ctx); err == nil {
			t.Fatal("check on a terminated session succeeded")
		}
		_ = lock.Release(ctx) // fails on the dead session; must not panic
		// The server drops the lock as the terminated process exits,
		// a moment after the signal: poll, with a generous bound.
		deadline := time.Now().Add(30 * time.Second)
		for {
			taken, ok, err := b.TryAdvisoryLock(ctx, testLockKey)
			if err != nil {
				t.Fatalf("take over: %v", err)
			}
			if ok {
				lock = taken
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the lock outlived its terminated session")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("release lets another take it", func(t *testing.T) {
		if err := lock.Release(ctx); err != nil {
			t.Fatalf("release: %v", err)
		}
		again, ok, err := a.TryAdvisoryLock(ctx, testLockKey)
		if err != nil || !ok {
			t.Fatalf("after release: %v, %v", ok, err)
		}
		_ = again.Release(ctx)
	})
}
