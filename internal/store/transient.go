package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
)

// transientCodes are the SQLSTATEs after which the same statement may well
// succeed if tried again: the server going down or coming up, a lock or
// statement timeout, a serialization failure or deadlock (PostgreSQL rolled
// the statement back).
var transientCodes = map[string]bool{
	"57P01": true, // admin_shutdown: pg_ctl stop/restart -m fast
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now: starting up or shutting down
	"57014": true, // query_canceled: statement_timeout
	"55P03": true, // lock_not_available: lock_timeout, NOWAIT
	"40001": true, // serialization_failure
	"40P01": true, // deadlock_detected
	"53300": true, // too_many_connections
}

// transient says whether err is one the database may not give a moment
// later: the one place that decides which errors wrap
// newsletter.ErrUnavailable.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller gave up: not the database's doing
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		code := string(pqErr.Code)
		return transientCodes[code] || pqErr.Code.Class() == "08" // connection exception
	}
	var netErr net.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed), errors.As(err, &netErr):
		return true
	}
	return false
}
