package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

// AdminStore is what the admin pages (users, API tokens, the audit log)
// need of the store.
type AdminStore interface {
	ListUsers(ctx context.Context) ([]newsletter.User, error)
	CreateUser(ctx context.Context, u newsletter.User, passwordHash string) (newsletter.User, error)
	SetUserDisabled(ctx context.Context, email string, disabled bool) (newsletter.User, error)
	SetUserRole(ctx context.Context, email string, role newsletter.Role) (newsletter.User, error)
	SetUserPassword(ctx context.Context, email, passwordHash string) (newsletter.User, error)
	ListAPITokens(ctx context.Context) ([]store.APIToken, error)
	CreateAPIToken(ctx context.Context, spec store.TokenSpec) (string, store.APIToken, error)
	RevokeAPIToken(ctx context.Context, name string) (store.APIToken, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]newsletter.AuditEntry, error)
}

type usersView struct {
	Users []newsletter.User
	Roles []newsletter.Role
	Me    int64
	Add   userForm
	Error string
}

type userForm struct {
	Email, Name string
	Role        newsletter.Role
}

func (c *Console) userList(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	c.showUsers(w, r, u, http.StatusOK, userForm{Role: newsletter.RoleStaff}, "")
}

func (c *Console) showUsers(w http.ResponseWriter, r *http.Request, u newsletter.User, status int, f userForm, formErr string) {
	list, err := c.d.Admin.ListUsers(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := usersView{Users: list, Roles: newsletter.Roles(), Me: u.ID, Add: f, Error: formErr}
	c.render(w, r, status, pageUsers, c.view(r, u, "Users", v))
}

// userAdd makes a console user with the password the admin typed, to be
// handed over; argon2id hashes it here, as `enews users add` does.
func (c *Console) userAdd(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	f := userForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: newsletter.Role(r.PostFormValue("role"))}
	added, err := func() (newsletter.User, error) {
		email, err := subscribers.NormaliseAddress(f.Email)
		if err != nil {
			return newsletter.User{}, err
		}
		role, err := newsletter.ParseRole(string(f.Role))
		if err != nil {
			return newsletter.User{}, err
		}
		if len(f.Name) > 200 || strings.ContainsAny(f.Name, "\r\n") {
			return newsletter.User{}, fmt.Errorf("%w: the name must be one line of at most 200 characters", newsletter.ErrInvalid)
		}
		pw := r.PostFormValue("password")
		if err := CheckPassword(pw); err != nil {
			return newsletter.User{}, err
		}
		hash, err := HashPassword(pw, c.d.Hash)
		if err != nil {
			return newsletter.User{}, err
		}
		return c.d.Admin.CreateUser(r.Context(), newsletter.User{Email: email, Name: f.Name, Role: role}, hash)
	}()
	if err != nil {
		if code, msg, ok := formError(err); ok {
			if code == http.StatusConflict {
				msg = "A user with this address exists already."
			}
			c.showUsers(w, r, u, code, f, "Nobody was added: "+msg)
			return
		}
		c.fail(w, r, err)
		return
	}
	c.audit(r, u, "user.add", added.Email+" as "+string(added.Role), "")
	redirectDone(w, r, "/admin/users", "Added "+added.Email+" as "+string(added.Role)+". Give them their password over a safe channel.")
}

// userChange applies one change to the user of the path: disable, enable,
// role or password. The store refuses to leave no enabled admin.
func (c *Console) userChange(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(w, r, fmt.Errorf("%w: user %q: no such page", newsletter.ErrNotFound, r.PathValue("id")))
		return
	}
	target, err := c.userByID(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var changed newsletter.User
	var done, detail string
	switch action := r.PathValue("action"); action {
	case "disable", "enable":
		changed, err = c.d.Admin.SetUserDisabled(ctx, target.Email, action == "disable")
		done = target.Email + " is " + action + "d."
		if action == "disable" {
			done += " Their sessions have ended."
		}
	case "role":
		var role newsletter.Role
		if role, err = newsletter.ParseRole(r.PostFormValue("role")); err == nil {
			changed, err = c.d.Admin.SetUserRole(ctx, target.Email, role)
			done, detail = target.Email+" is now "+string(role)+".", string(target.Role)+" → "+string(role)
		}
	case "password":
		pw := r.PostFormValue("password")
		if err = CheckPassword(pw); err == nil {
			var hash string
			if hash, err = HashPassword(pw, c.d.Hash); err == nil {
				changed, err = c.d.Admin.SetUserPassword(ctx, target.Email, hash)
				done = target.Email + " has a new password; their sessions have ended."
			}
		}
	default:
		c.fail(w, r, fmt.Errorf("%w: no user action %q", newsletter.ErrNotFound, action))
		return
	}
	if err != nil {
		if code, msg, ok := formError(err); ok {
			c.showUsers(w, r, u, code, userForm{Role: newsletter.RoleStaff}, "Nothing changed for "+target.Email+": "+msg)
			return
		}
		c.fail(w, r, err)
		return
	}
	c.audit(r, u, "user."+r.PathValue("action"), changed.Email, detail)
	if changed.ID == u.ID && (r.PathValue("action") != "role" || !changed.Role.Can(newsletter.ManageUsers)) {
		// The admin changed their own access: their session may be gone.
		redirectDone(w, r, "/admin/", done)
		return
	}
	redirectDone(w, r, "/admin/users", done)
}

func (c *Console) userByID(ctx context.Context, id int64) (newsletter.User, error) {
	list, err := c.d.Admin.ListUsers(ctx)
	if err != nil {
		return newsletter.User{}, err
	}
	for _, u := range list {
		if u.ID == id {
			return u, nil
		}
	}
	return newsletter.User{}, fmt.Errorf("%w: user %d: no such user", newsletter.ErrNotFound, id)
}
