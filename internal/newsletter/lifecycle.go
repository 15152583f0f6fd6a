package newsletter

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// IssueAction names one step of an issue's lifecycle. Every change of an
// issue's status is one of these, applied through the table below and
// logged with the actor who did it.
type IssueAction string

// Issue actions.
const (
	ActionCreate      IssueAction = "create"       // a period gets its issue: a draft
	ActionSkip        IssueAction = "skip"         // a period gets its issue: skipped (quiet month)
	ActionRefresh     IssueAction = "refresh"      // a draft re-collects and re-renders
	ActionApprove     IssueAction = "approve"      // the bytes freeze; the send may start
	ActionStart       IssueAction = "start"        // fan-out: every active subscriber is queued
	ActionPause       IssueAction = "pause"        // senders stop within a poll
	ActionResume      IssueAction = "resume"       // senders go on
	ActionComplete    IssueAction = "complete"     // nothing left to send
	ActionCancel      IssueAction = "cancel"       // nothing more is sent
	ActionReopen      IssueAction = "reopen"       // back to an editable draft; only if no mail went out
	ActionRetryFailed IssueAction = "retry-failed" // failed deliveries go back to the queue
)

// StatusNone is the "from" of the actions that make an issue: it has no row yet.
const StatusNone = ""

// IssueTransition is one allowed edge: Action takes an issue in status From
// to status To. NothingSent marks edges that are refused once any mail of
// the issue went out (a reopen must never lead to a second send).
type IssueTransition struct {
	Action      IssueAction
	From        string
	To          string
	NothingSent bool
}

// IssueTransitions is the whole lifecycle:
//
//	(none) → draft | skipped
//	draft → approved → sending ⇄ paused → sent
//	draft | approved | sending | paused → cancelled
//	skipped | approved | cancelled → draft (reopen, nothing sent)
//	sent | sending → sending, paused → paused (retry-failed)
//
// It is a function, not a variable, so no caller can change it.
func IssueTransitions() []IssueTransition {
	return []IssueTransition{
		{Action: ActionCreate, From: StatusNone, To: IssueDraft},
		{Action: ActionSkip, From: StatusNone, To: IssueSkipped},
		{Action: ActionRefresh, From: IssueDraft, To: IssueDraft},
		{Action: ActionApprove, From: IssueDraft, To: IssueApproved},
		{Action: ActionStart, From: IssueApproved, To: IssueSending},
		{Action: ActionPause, From: IssueSending, To: IssuePaused},
		{Action: ActionResume, From: IssuePaused, To: IssueSending},
		{Action: ActionComplete, From: IssueSending, To: IssueSent},
		{Action: ActionCancel, From: IssueDraft, To: IssueCancelled},
		{Action: ActionCancel, From: IssueApproved, To: IssueCancelled},
		{Action: ActionCancel, From: IssueSending, To: IssueCancelled},
		{Action: ActionCancel, From: IssuePaused, To: IssueCancelled},
		{Action: ActionReopen, From: IssueSkipped, To: IssueDraft, NothingSent: true},
		{Action: ActionReopen, From: IssueApproved, To: IssueDraft, NothingSent: true},
		{Action: ActionReopen, From: IssueCancelled, To: IssueDraft, NothingSent: true},
		{Action: ActionRetryFailed, From: IssueSent, To: IssueSending},
		{Action: ActionRetryFailed, From: IssueSending, To: IssueSending},
		{Action: ActionRetryFailed, From: IssuePaused, To: IssuePaused},
	}
}

// IssueStatuses lists every status an issue row can hold.
func IssueStatuses() []string {
	return []string{IssueDraft, IssueApproved, IssueSending, IssuePaused, IssueSent, IssueSkipped, IssueCancelled}
}

// NextIssueStatus looks action up for an issue in status from. An edge the
// table lacks gives an error wrapping ErrConflict that names the statuses
// the action is allowed from, so every caller refuses with the same words.
func NextIssueStatus(action IssueAction, from string) (IssueTransition, error) {
	var allowed []string
	for _, t := range IssueTransitions() {
		if t.Action != action {
			continue
		}
		if t.From == from {
			return t, nil
		}
		allowed = append(allowed, t.From)
	}
	if len(allowed) == 0 {
		return IssueTransition{}, fmt.Errorf("%w: unknown issue action %q", ErrInvalid, action)
	}
	if from == StatusNone {
		return IssueTransition{}, fmt.Errorf("no issue yet: %s needs one that is %s: %w", action, strings.Join(allowed, " or "), ErrNotFound)
	}
	return IssueTransition{}, fmt.Errorf("issue is %s: %s is allowed only from %s: %w", from, action, strings.Join(allowed, ", "), ErrConflict)
}

// IssueActionsFrom lists the actions allowed from status, in table order,
// without repeats: what a page or `issue list` may offer.
func IssueActionsFrom(status string) []IssueAction {
	var out []IssueAction
	for _, t := range IssueTransitions() {
		if t.From == status && !slices.Contains(out, t.Action) {
			out = append(out, t.Action)
		}
	}
	return out
}

// IssueFrozen says whether an issue's bytes are fixed: from approval on,
// every preview, test copy, send and archive view shows the stored bytes. A
// draft (or a skipped month) is rendered from the items as they are now.
func IssueFrozen(status string) bool {
	return slices.Contains([]string{IssueApproved, IssueSending, IssuePaused, IssueSent}, status)
}

// IssuePublic says whether readers may see an issue in the archive: once
// sending starts, the email's "view in browser" link must work.
func IssuePublic(status string) bool {
	return slices.Contains([]string{IssueSending, IssuePaused, IssueSent}, status)
}

// IssueTransitionRecord is one logged change of an issue's status.
type IssueTransitionRecord struct {
	IssueID int64
	Action  IssueAction
	From    string
	To      string
	Actor   string // "cli:alice", "api:deploy-token", "scheduler", "sender:host:pid", "console:bob"
	Note    string // why, when there is more to say: a skip reason, how many were requeued
	At      time.Time
}
