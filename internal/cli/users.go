package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/console"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

func (a *app) usersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the people who log in to the console under /admin/",
		Long: `Console users log in to /admin/ with an email address and a password.
Roles: staff (subscribers, items), ops (issues: test, approve, send, pause,
resume, cancel), admin (everything, plus users, API tokens and the audit log).
There is no default account: make the first admin with
  enews users add --email you@example.org --role admin < password-file
Passwords are read from standard input (first line) or --password-file.`,
	}
	cmd.AddCommand(a.usersAddCommand(), a.usersListCommand(),
		a.usersDisableCommand("disable", "Disable a user and end all of their sessions", true),
		a.usersDisableCommand("enable", "Enable a disabled user again", false),
		a.usersSetPasswordCommand(), a.usersSetRoleCommand())
	return cmd
}

// readPassword reads the first line of the file, or of stdin when file is
// empty; the line end is not part of the password.
func (a *app) readPassword(file string) (string, error) {
	var r io.Reader = a.stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		r = f
	} else if isTerminal(a.stdin) {
		fmt.Fprint(a.stderr, "Password (shown as typed; prefer --password-file): ")
	}
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", fmt.Errorf("%w: no password given: pipe it to standard input or use --password-file", newsletter.ErrInvalid)
	}
	return pw, console.CheckPassword(pw)
}

// auditCLI records a change made from the command line. The actor names
// the operating system user, the only identity a shell gives.
func (a *app) auditCLI(ctx context.Context, st *store.Store, action, target string) error {
	return st.AppendAudit(ctx, newsletter.AuditEntry{Actor: a.cliActor(), Action: action, Target: target}, netip.Addr{})
}

// cliActor names who acts from the command line: the operating system
// user, the only identity a shell gives.
func (a *app) cliActor() string {
	if who := lookupEnv(a.env, "USER"); who != "" {
		return "cli:" + who
	}
	return "cli"
}

// changeUser runs one change to a user, audits it and says what it did.
func (a *app) changeUser(ctx context.Context, action string, change func(st *store.Store) (newsletter.User, error), say func(u newsletter.User) (target, msg string)) error {
	return a.withStore(ctx, func(st *store.Store) error {
		u, err := change(st)
		if err != nil {
			return err
		}
		target, msg := say(u)
		if err := a.auditCLI(ctx, st, action, target); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, msg)
		return nil
	})
}

// at formats an optional time for a table, "-" when unset.
func (a *app) at(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.In(a.cfg.Location()).Format("2006-01-02 15:04")
}

func emailFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "email", "", "the user's email address (required)")
	_ = cmd.MarkFlagRequired("email")
}

func (a *app) usersAddCommand() *cobra.Command {
	var email, name, role, pwFile string
	cmd := &cobra.Command{
		Use:   "add --email E --role staff|ops|admin [--name N] [--password-file F]",
		Short: "Add a console user; the password comes from stdin or --password-file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := subscribers.NormaliseAddress(email)
			if err != nil {
				return fmt.Errorf("--email: %w", err)
			}
			r, err := newsletter.ParseRole(role)
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			pw, err := a.readPassword(pwFile)
			if err != nil {
				return err
			}
			hash, err := console.HashPassword(pw, console.DefaultHashParams())
			if err != nil {
				return err
			}
			return a.changeUser(cmd.Context(), "user.add", func(st *store.Store) (newsletter.User, error) {
				return st.CreateUser(cmd.Context(), newsletter.User{Email: addr, Name: name, Role: r}, hash)
			}, func(u newsletter.User) (string, string) {
				return u.Email + " as " + string(u.Role), fmt.Sprintf("user %s added as %s", u.Email, u.Role)
			})
		},
	}
	emailFlag(cmd, &email)
	cmd.Flags().StringVar(&role, "role", "", "staff, ops or admin (required)")
	cmd.Flags().StringVar(&name, "name", "", "the user's name, shown in the console")
	cmd.Flags().StringVar(&pwFile, "password-file", "", "read the password from the first line of this file instead of stdin")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func (a *app) usersListCommand() *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:   "list [--role R]",
		Short: "List console users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var only newsletter.Role
			if role != "" {
				r, err := newsletter.ParseRole(role)
				if err != nil {
					return fmt.Errorf("--role: %w", err)
				}
				only = r
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				users, err := st.ListUsers(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tCREATED\tLAST LOGIN\tDISABLED")
				for _, u := range users {
					if only != "" && u.Role != only {
						continue
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Email, plaintext.Clip(plaintext.OneLine(u.Name), 30), u.Role,
						a.at(&u.CreatedAt), a.at(u.LastLoginAt), a.at(u.DisabledAt))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "only users of this role: staff, ops or admin")
	return cmd
}

func (a *app) usersDisableCommand(verb, short string, disable bool) *cobra.Command {
	var email string
	cmd := &cobra.Command{
		Use:   verb + " --email E",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.changeUser(cmd.Context(), "user."+verb, func(st *store.Store) (newsletter.User, error) {
				return st.SetUserDisabled(cmd.Context(), email, disable)
			}, func(u newsletter.User) (string, string) {
				return u.Email, fmt.Sprintf("user %s %sd", u.Email, verb)
			})
		},
	}
	emailFlag(cmd, &email)
	return cmd
}

func (a *app) usersSetPasswordCommand() *cobra.Command {
	var email, pwFile string
	cmd := &cobra.Command{
		Use:   "set-password --email E [--password-file F]",
		Short: "Set a user's password and end all of their sessions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := a.readPassword(pwFile)
			if err != nil {
				return err
			}
			hash, err := console.HashPassword(pw, console.DefaultHashParams())
			if err != nil {
				return err
			}
			return a.changeUser(cmd.Context(), "user.set-password", func(st *store.Store) (newsletter.User, error) {
				return st.SetUserPassword(cmd.Context(), email, hash)
			}, func(u newsletter.User) (string, string) {
				return u.Email, fmt.Sprintf("password of %s changed; their sessions have ended", u.Email)
			})
		},
	}
	emailFlag(cmd, &email)
	cmd.Flags().StringVar(&pwFile, "password-file", "", "read the password from the first line of this file instead of stdin")
	return cmd
}

func (a *app) usersSetRoleCommand() *cobra.Command {
	var email, role string
	cmd := &cobra.Command{
		Use:   "set-role --email E --role staff|ops|admin",
		Short: "Change a user's role; open sessions get it on their next request",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := newsletter.ParseRole(role)
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			return a.changeUser(cmd.Context(), "user.set-role", func(st *store.Store) (newsletter.User, error) {
				return st.SetUserRole(cmd.Context(), email, r)
			}, func(u newsletter.User) (string, string) {
				return u.Email + " to " + string(u.Role), fmt.Sprintf("user %s is now %s", u.Email, u.Role)
			})
		},
	}
	emailFlag(cmd, &email)
	cmd.Flags().StringVar(&role, "role", "", "staff, ops or admin (required)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}
