package cli

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// recheckAfter is how long a serve waits before checking again an approved
// issue whose receipt failed: DNS and HTTP are not asked every poll.
const recheckAfter = 5 * time.Minute

// gatedStarter starts approved issues for the senders of `serve`, like
// issues.Service.StartApproved, but only once the issue has a compliance
// receipt that passed (or a send forced past one) since its approval: the
// scheduled path keeps the rule `issue send` keeps.
type gatedStarter struct {
	a   *app
	st  *store.Store
	svc *issues.Service

	mu      sync.Mutex
	checked map[int64]time.Time // when this replica last checked an issue
}

func (a *app) startGate(st *store.Store, svc *issues.Service) *gatedStarter {
	return &gatedStarter{a: a, st: st, svc: svc, checked: map[int64]time.Time{}}
}

func (g *gatedStarter) StartApproved(ctx context.Context, actor string) (int, error) {
	mode := g.a.cfg.Compliance.BeforeSend
	if mode == "off" {
		return g.svc.StartApproved(ctx, actor)
	}
	list, err := g.st.ListIssues(ctx, newsletter.IssueApproved, 100)
	if err != nil {
		return 0, err
	}
	started := 0
	var errs []error
	for _, is := range list {
		ok, err := g.cleared(ctx, is, mode)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		_, err = g.svc.Start(ctx, is.Period, actor)
		switch {
		case err == nil:
			started++
		case !errors.Is(err, newsletter.ErrConflict): // another replica won the race
			errs = append(errs, err)
		}
	}
	return started, errors.Join(errs...)
}

// cleared says whether is may start: a passed or forced receipt made since
// its approval, or a fresh check that passes (warn mode: any fresh check).
func (g *gatedStarter) cleared(ctx context.Context, is newsletter.Issue, mode string) (bool, error) {
	c, err := g.st.LatestIssueCheck(ctx, is.ID)
	switch {
	case err == nil && (c.Passed || c.Forced) && (is.ApprovedAt == nil || !c.CreatedAt.Before(*is.ApprovedAt)):
		return true, nil
	case err != nil && !errors.Is(err, newsletter.ErrNotFound):
		return false, err
	}
	g.mu.Lock()
	last, seen := g.checked[is.ID]
	due := !seen || time.Since(last) >= recheckAfter
	if due {
		g.checked[is.ID] = time.Now()
	}
	g.mu.Unlock()
	if !due {
		return false, nil
	}
	rec, err := g.a.checkIssue(ctx, g.st, is, false)
	if err != nil {
		return false, err
	}
	if !rec.Passed && mode == "block" {
		var names []string
		for _, it := range rec.Failed() {
			names = append(names, it.Name)
		}
		g.a.log.Warn("approved issue not started: its compliance receipt failed; fix it (enews issue check) or send with enews issue send --force",
			"period", is.Period.String(), "failed", names, "recheck_in", recheckAfter)
		return false, nil
	}
	return true, nil
}
