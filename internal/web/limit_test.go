package web

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(rate.Every(time.Minute), 2, 3)
	for i, want := range []bool{true, true, false} {
		if got := l.allow("a", now); got != want {
			t.Fatalf("call %d: %v", i, got)
		}
	}
	if !l.allow("a", now.Add(time.Minute)) {
		t.Fatal("no token after the refill time")
	}
	l.allow("b", now)
	l.allow("c", now)
	if l.allow("d", now) {
		t.Fatal("a fourth key was tracked past the maximum while all buckets were in use")
	}
	// Once buckets have refilled, their keys are forgotten to make room.
	if !l.allow("d", now.Add(time.Hour)) {
		t.Fatal("a full table did not make room after the buckets refilled")
	}
	if len(l.keys) > 3 {
		t.Fatalf("%d keys tracked", len(l.keys))
	}
}
