package newsletter

import (
	"fmt"
	"slices"
	"time"
)

// Role is what a console user may do. Roles are not ranked: ops send but do
// not edit the list, staff edit the list but do not send, admins do both and
// manage users and API tokens.
type Role string

// Console roles.
const (
	RoleStaff Role = "staff"
	RoleOps   Role = "ops"
	RoleAdmin Role = "admin"
)

// Roles lists every role, in the order pages offer them.
func Roles() []Role { return []Role{RoleStaff, RoleOps, RoleAdmin} }

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles(), r) {
		return "", fmt.Errorf("%w: role %q: want staff, ops or admin", ErrInvalid, s)
	}
	return r, nil
}

// Permission is one kind of thing a request does.
type Permission string

// Permissions; Role.Can says which role holds which.
const (
	ReadSubscribers  Permission = "subscribers:read"
	WriteSubscribers Permission = "subscribers:write"
	ReadItems        Permission = "items:read"
	WriteItems       Permission = "items:write"
	ReadIssues       Permission = "issues:read"
	WriteIssues      Permission = "issues:write" // test, approve, send, pause, resume, cancel, reopen, retry
	ManageUsers      Permission = "users:manage" // users, API tokens, the audit log
)

// Can tells whether the role holds p.
func (r Role) Can(p Permission) bool {
	switch p {
	case ReadSubscribers, ReadItems, ReadIssues:
		return r == RoleStaff || r == RoleOps || r == RoleAdmin
	case WriteSubscribers, WriteItems:
		return r == RoleStaff || r == RoleAdmin
	case WriteIssues:
		return r == RoleOps || r == RoleAdmin
	case ManageUsers:
		return r == RoleAdmin
	}
	return false
}

// User is a person who logs in to the console. The password hash never
// leaves the store.
type User struct {
	ID          int64
	Email       string
	Name        string
	Role        Role
	CreatedAt   time.Time
	LastLoginAt *time.Time
	DisabledAt  *time.Time
}

// Disabled tells whether the user may no longer log in.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// AuditEntry is one line of the append-only audit log: who did what, when,
// from where.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string // user:EMAIL, token:NAME or cli
	Action string // e.g. subscriber.erase
	Target string // what it was done to, e.g. subscriber 42
	Detail string
	IP     string // empty when there was none
}

// Scope is what an admin API token may do. Scopes are not ranked: a token
// holds the ones it was given.
type Scope string

// Token scopes.
const (
	ScopeRead        Scope = "read"        // every GET of the API
	ScopeSubscribers Scope = "subscribers" // add, change, import, unsubscribe, erase subscribers
	ScopeIssues      Scope = "issues"      // approve, pause, resume, cancel, reopen, refresh, retry issues; change sources
)

// Scopes lists every scope, in the order pages offer them.
func Scopes() []Scope { return []Scope{ScopeRead, ScopeSubscribers, ScopeIssues} }

// ParseScopes reads scope names; at least one is required and each at
// most once.
func ParseScopes(names []string) ([]Scope, error) {
	var out []Scope
	for _, n := range names {
		s := Scope(n)
		if !slices.Contains(Scopes(), s) {
			return nil, fmt.Errorf("%w: scope %q: want read, subscribers or issues", ErrInvalid, n)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: a token needs at least one scope: read, subscribers or issues", ErrInvalid)
	}
	return out, nil
}
