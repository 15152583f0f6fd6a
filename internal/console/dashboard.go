package console

import (
	"net/http"

	"github.com/enews/enews/internal/newsletter"
)

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	c.render(w, r, http.StatusOK, pageDashboard, c.view(r, u, "Dashboard", nil))
}
