package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

func TestTransientErrorsWrapErrUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"admin shutdown (pg_ctl restart -m fast)", &pq.Error{Severity: "FATAL", Code: "57P01"}, true},
		{"crash shutdown", &pq.Error{Code: "57P02"}, true},
		{"starting up", &pq.Error{Code: "57P03"}, true},
		{"statement_timeout", &pq.Error{Code: "57014"}, true},
		{"lock_timeout", &pq.Error{Code: "55P03"}, true},
		{"serialization failure", &pq.Error{Code: "40001"}, true},
		{"deadlock", &pq.Error{Code: "40P01"}, true},
		{"connection failure (class 08)", &pq.Error{Code: "08006"}, true},
		{"bad connection", driver.ErrBadConn, true},
		{"EOF", io.EOF, true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"connection refused", refused, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"unique violation", &pq.Error{Code: "23505"}, false},
		{"syntax error", &pq.Error{Code: "42601"}, false},
		{"no rows", sql.ErrNoRows, false},
		{"caller cancelled", context.Canceled, false},
		{"caller's deadline", context.DeadlineExceeded, false},
		{"other", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrap("op", tt.err)
			if got := errors.Is(err, newsletter.ErrUnavailable); got != tt.want {
				t.Fatalf("wrap(%v) is ErrUnavailable: %v, want %v", tt.err, got, tt.want)
			}
			if tt.want && !errors.Is(err, tt.err) {
				t.Fatalf("wrap(%v) = %v: lost the cause", tt.err, err)
			}
			if again := wrap("outer", err); errors.Is(again, newsletter.ErrUnavailable) != tt.want {
				t.Fatalf("wrapped twice: %v", again)
			}
		})
	}
}
