package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

type auditView struct {
	Entries []newsletter.AuditEntry
	Actor   string
	Next    int64
	Paged   bool
}

// auditPage lists the audit log, newest first, a page at a time, for one
// actor or everyone.
func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	v := auditView{Actor: strings.TrimSpace(q.Get("actor")), Paged: before > 0}
	list, err := c.d.Admin.ListAudit(r.Context(), store.AuditFilter{Before: before, Actor: v.Actor, Limit: pageSize + 1})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if len(list) > pageSize {
		list = list[:pageSize]
		v.Next = list[pageSize-1].ID
	}
	v.Entries = list
	c.render(w, r, http.StatusOK, pageAudit, c.view(r, u, "Audit log", v))
}
