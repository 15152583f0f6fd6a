package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

func (a *app) subscribersCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "subscribers", Short: "Keep the subscriber list: add, import, export, list, show, unsubscribe, erase"}
	cmd.AddCommand(a.subscribersAddCommand(), a.subscribersImportCommand(), a.subscribersExportCommand(),
		a.subscribersListCommand(), a.subscribersShowCommand(), a.subscribersUnsubscribeCommand(),
		a.subscribersEraseCommand(), a.subscribersUnsuppressCommand())
	return cmd
}

// withList opens the store for a change of the list: it needs the secret
// that keys the address hash the consent log and the suppression list keep.
func (a *app) withList(ctx context.Context, fn func(st *store.Store) error) error {
	if err := a.cfg.RequireSecret(); err != nil {
		return err
	}
	return a.withStore(ctx, fn)
}

func viaCLI() newsletter.Consent { return newsletter.Consent{Source: newsletter.SourceCLI} }

func (a *app) subscribersAddCommand() *cobra.Command {
	var name string
	var attrs []string
	var pending bool
	cmd := &cobra.Command{
		Use:   "add EMAIL [--name NAME] [--attr KEY=VALUE]...",
		Short: "Add one address, active unless --pending",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			email, err := subscribers.NormaliseAddress(args[0])
			if err != nil {
				return err
			}
			sub := newsletter.Subscriber{Email: email, Status: newsletter.SubscriberActive}
			if pending {
				sub.Status = newsletter.SubscriberPending
			}
			if sub.Name, err = subscribers.NormaliseName(name); err != nil {
				return err
			}
			if sub.Attributes, err = parseAttrs(attrs); err != nil {
				return err
			}
			return a.withList(ctx, func(st *store.Store) error {
				sub, err := st.AddSubscriber(ctx, sub, viaCLI())
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "added subscriber %d (%s)\n", sub.ID, sub.Status)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the subscriber's name")
	cmd.Flags().StringArrayVar(&attrs, "attr", nil, "an attribute as KEY=VALUE (repeatable)")
	cmd.Flags().BoolVar(&pending, "pending", false, "add as pending instead of active")
	return cmd
}

// parseAttrs reads KEY=VALUE flags; subscribers.CheckAttributes has the rules.
func parseAttrs(kvs []string) (map[string]string, error) {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--attr %q: want KEY=VALUE: %w", kv, newsletter.ErrInvalid)
		}
		out[k] = v
	}
	return subscribers.CheckAttributes(out)
}

func (a *app) subscribersExportCommand() *cobra.Command {
	var status, since, out string
	cmd := &cobra.Command{
		Use:   "export [--status S] [--since DATE] [--out FILE]",
		Short: "Write the list as CSV (email,name,status,created_at, then one column per attribute)",
		Long: `Export writes the list as CSV to stdout or --out, streaming, so any list size
works in constant memory. Names and attributes starting with = + - @ get a
leading apostrophe so that spreadsheets show them as text, never run them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			f := store.ExportFilter{Status: status}
			if since != "" {
				t, err := newsletter.ParseDate(since, a.cfg.Location())
				if err != nil {
					return flagError("--since", err)
				}
				f.CreatedSince = t
			}
			return a.withStore(ctx, func(st *store.Store) error {
				w, done, err := a.output(out)
				if err != nil {
					return err
				}
				e := subscribers.NewCSVExport(w)
				n, err := st.ExportSubscribers(ctx, f, e)
				if err == nil {
					err = e.Flush()
				}
				if err = errors.Join(err, done()); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "exported %d subscribers\n", n)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only this status: pending, active, unsubscribed, bounced, complained")
	cmd.Flags().StringVar(&since, "since", "", "only subscribers created since: YYYY-MM-DD (in schedule.timezone) or RFC 3339")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to this file instead of stdout")
	return cmd
}

// output is stdout, or a new file whose close error done reports.
func (a *app) output(path string) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return a.stdout, func() error { return nil }, nil
	}
	f, err := createPrivate(path)
	if err != nil {
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	return f, f.Close, nil
}

// createPrivate creates or truncates path readable by its owner only: an
// export holds addresses, a preview the issue before it is public. A file
// that was there already is made private too.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func (a *app) subscribersListCommand() *cobra.Command {
	var f store.SubscriberFilter
	cmd := &cobra.Command{
		Use:   "list [--search TEXT] [--status S] [--after CURSOR] [--limit N]",
		Short: "List subscribers in the order they joined, a page at a time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				page, err := st.ListSubscribers(ctx, f)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATUS\tEMAIL\tNAME\tCREATED")
				for _, s := range page.Subscribers {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", s.ID, s.Status, s.Email, plaintext.Clip(plaintext.OneLine(s.Name), 40),
						s.CreatedAt.In(a.cfg.Location()).Format("2006-01-02 15:04"))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if page.Next != 0 {
					fmt.Fprintf(a.stdout, "more: --after %d\n", page.Next)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&f.Query, "search", "", "only addresses or names containing this text (any case)")
	cmd.Flags().StringVar(&f.Status, "status", "", "only this status")
	cmd.Flags().Int64Var(&f.After, "after", 0, "the cursor printed after the previous page")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "subscribers per page (at most 1000)")
	return cmd
}

// lookup finds a subscriber by id or, when arg holds an @, by address.
func lookup(ctx context.Context, st *store.Store, arg string) (newsletter.Subscriber, error) {
	if strings.Contains(arg, "@") {
		email, err := subscribers.NormaliseAddress(arg)
		if err != nil {
			return newsletter.Subscriber{}, err
		}
		return st.SubscriberByEmail(ctx, email)
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return newsletter.Subscriber{}, fmt.Errorf("%q: want a subscriber id or an address: %w", arg, newsletter.ErrInvalid)
	}
	return st.GetSubscriber(ctx, id)
}

func (a *app) subscribersShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID|EMAIL",
		Short: "Show one subscriber with their consent events and delivery history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				s, err := lookup(ctx, st, args[0])
				if err != nil {
					return err
				}
				evs, err := st.ConsentEvents(ctx, s.ID)
				if err != nil {
					return err
				}
				dels, err := st.SubscriberDeliveries(ctx, s.ID, 100)
				if err != nil {
					return err
				}
				a.printSubscriber(s, evs, dels)
				return nil
			})
		},
	}
}

func (a *app) printSubscriber(s newsletter.Subscriber, evs []newsletter.ConsentEvent, dels []store.DeliveryRecord) {
	when := func(t time.Time) string { return t.In(a.cfg.Location()).Format("2006-01-02 15:04:05") }
	tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%d\nemail\t%s\nname\t%s\nstatus\t%s\ncreated\t%s\nupdated\t%s\n",
		s.ID, s.Email, s.Name, s.Status, when(s.CreatedAt), when(s.UpdatedAt))
	for _, k := range slices.Sorted(maps.Keys(s.Attributes)) {
		fmt.Fprintf(tw, "attribute %s\t%s\n", k, s.Attributes[k])
	}
	fmt.Fprintln(tw, "\nCONSENT\tEVENT\tSOURCE\tIP\tIMPORT")
	for _, e := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", when(e.CreatedAt), e.Event, e.Source, e.IP, importLine(e.Import))
	}
	fmt.Fprintln(tw, "\nISSUE\tDELIVERY\tATTEMPTS\tLAST REPLY")
	for _, d := range dels {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", d.Period, d.Status, d.Attempts, plaintext.Clip(plaintext.OneLine(d.LastReply), 60))
	}
	_ = tw.Flush()
}

// importLine sums up the import behind a consent event: its number, file,
// operator and checksum, each cleaned for one terminal line.
func importLine(m *newsletter.ImportRecord) string {
	if m == nil {
		return ""
	}
	line := fmt.Sprintf("#%d", m.ID)
	if m.FileName != "" {
		line += " " + strconv.Quote(plaintext.Clip(plaintext.OneLine(m.FileName), 60))
	}
	if m.Operator != "" {
		line += " by " + plaintext.Clip(plaintext.OneLine(m.Operator), 60)
	}
	if len(m.Checksum) >= 12 {
		line += " sha256:" + m.Checksum[:12]
	}
	return line
}

func (a *app) subscribersUnsubscribeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unsubscribe ID|EMAIL",
		Short: "Take a subscriber off the list (they keep their history and can come back by signing up)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withList(ctx, func(st *store.Store) error {
				s, err := lookup(ctx, st, args[0])
				if err != nil {
					return err
				}
				s, changed, err := st.UnsubscribeSubscriber(ctx, s.ID, viaCLI())
				if err != nil {
					return err
				}
				if !changed {
					fmt.Fprintf(a.stdout, "subscriber %d is %s already: nothing to do\n", s.ID, s.Status)
					return nil
				}
				fmt.Fprintf(a.stdout, "unsubscribed subscriber %d\n", s.ID)
				return nil
			})
		},
	}
}

func (a *app) subscribersEraseCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "erase ID|EMAIL --yes",
		Short: "Erase a subscriber for good (GDPR): only a keyed hash stays, to keep the address off the list",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if !yes {
				return fmt.Errorf("erase cannot be undone: add --yes to go ahead: %w", newsletter.ErrInvalid)
			}
			return a.withList(ctx, func(st *store.Store) error {
				s, err := lookup(ctx, st, args[0])
				if err != nil {
					return err
				}
				if err := st.EraseSubscriber(ctx, s.ID, viaCLI()); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "erased subscriber %d; the address is on the suppression list\n", s.ID)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the erase")
	return cmd
}
