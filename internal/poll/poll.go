// Package poll is the one way tests wait for something another goroutine
// or process does: poll a condition until it holds.
package poll

import (
	"testing"
	"time"
)

// Deadline bounds a wait. It is generous enough for a loaded machine: it
// bounds a wait, it measures nothing (speed belongs in benchmarks).
const Deadline = 90 * time.Second

// Until polls cond every few milliseconds until it holds, failing the test
// with what it waited for after Deadline.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Deadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", Deadline, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
