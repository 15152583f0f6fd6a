package store

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// The audit log is append-only: a trigger refuses updates and deletes.

// Audit action for a failed login; the login limits count these.
const ActionLoginFailed = "login.failed"

type auditRow struct {
	ID     int64     `db:"id"`
	At     time.Time `db:"at"`
	Actor  string    `db:"actor"`
	Action string    `db:"action"`
	Target string    `db:"target"`
	Detail string    `db:"detail"`
	IP     string    `db:"ip"`
}

// AppendAudit writes one entry; e.ID, e.At and e.IP are ignored in favour
// of the database's id and clock and ip.
func (s *Store) AppendAudit(ctx context.Context, e newsletter.AuditEntry, ip netip.Addr) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (actor, action, target, detail, ip)
		VALUES ($1, $2, $3, $4, CAST($5 AS inet))`, e.Actor, e.Action, e.Target, e.Detail, inet(ip))
	return wrap("append audit "+e.Action, err)
}

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	Before int64  // cursor: only ids below this; 0 from the newest
	Actor  string // exact actor, empty for all
	Limit  int    // default 50, at most 500
}

// ListAudit pages through the log, newest first. The last entry's id is the
// next page's Before.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]newsletter.AuditEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var rows []auditRow
	err := s.db.SelectContext(ctx, &rows, `SELECT id, at, actor, action, target, detail, COALESCE(host(ip), '') AS ip
		FROM audit_log WHERE ($1 = 0 OR id < $1) AND ($2 = '' OR actor = $2)
		ORDER BY id DESC LIMIT $3`, f.Before, f.Actor, limit)
	if err != nil {
		return nil, wrap("list audit", err)
	}
	out := make([]newsletter.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = newsletter.AuditEntry{ID: r.ID, At: r.At, Actor: r.Actor, Action: r.Action, Target: r.Target, Detail: r.Detail, IP: r.IP}
	}
	return out, nil
}

// LoginFailures counts failed logins within the last window, by the
// database's clock, for the typed account (any case) and for the client.
func (s *Store) LoginFailures(ctx context.Context, email string, ip netip.Addr, window time.Duration) (byAccount, byClient int, err error) {
	err = s.db.QueryRowxContext(ctx, `SELECT
			(SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND lower(target) = lower($1) AND at > now() - make_interval(secs => $3)),
			(SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND ip = CAST($2 AS inet)
				AND at > now() - make_interval(secs => $3))`,
		strings.TrimSpace(email), inet(ip), window.Seconds()).Scan(&byAccount, &byClient)
	return byAccount, byClient, wrap("login failures", err)
}
