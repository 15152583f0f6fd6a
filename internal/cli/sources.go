package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/content"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/sources"
	"github.com/enews/enews/internal/store"
)

func (a *app) sourcesCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "sources", Short: "Manage the feeds the server fetches items from on its own",
		Long: `A source is a feed (RSS 2.0, Atom, JSON Feed) or an enews CSV/JSON item file at an
http(s) address. The leading enews serve fetches every enabled source every
content.poll_interval with a conditional GET, and all of them once more
right before an issue is made. enews items import stays for one-off imports.`}
	cmd.AddCommand(a.sourcesAddCommand(), a.sourcesListCommand(), a.sourcesShowCommand(), a.sourcesFetchCommand(),
		a.sourcesEnableCommand("enable", true), a.sourcesEnableCommand("disable", false), a.sourcesRemoveCommand())
	return cmd
}

// poller fetches sources with the configured limits; reg may be nil.
func (a *app) poller(st *store.Store, reg prometheus.Registerer) *sources.Poller {
	var m *sources.Metrics
	if reg != nil {
		m = sources.NewMetrics(reg, st)
	}
	return sources.New(st, sources.Config{PollInterval: a.cfg.Content.PollInterval, Content: content.Options{
		DefaultKind: a.cfg.Content.DefaultKind, MaxSummary: a.cfg.Content.MaxSummary, MaxBytes: a.cfg.Content.MaxImportBytes,
	}}, a.log, m)
}

func (a *app) sourcesAddCommand() *cobra.Command {
	var name, kind string
	cmd := &cobra.Command{
		Use:   "add --name NAME [--kind KIND] URL",
		Short: "Add a feed; a running server fetches it within seconds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := newsletter.NewSource(name, args[0], kind)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				src, err := st.AddSource(ctx, src)
				if errors.Is(err, newsletter.ErrConflict) {
					return fmt.Errorf("%w: a source named %q or with the address %s exists already (enews sources list)",
						newsletter.ErrConflict, src.Name, src.URL)
				}
				if err != nil {
					return err
				}
				if err := a.auditCLI(ctx, st, "source.add", "source "+strconv.FormatInt(src.ID, 10)); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "source %d %q added: %s\n", src.ID, src.Name, src.URL)
				fmt.Fprintln(a.stdout, "a running enews serve fetches it within 10 seconds; enews sources fetch fetches it now")
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "a short name, unique (required)")
	cmd.Flags().StringVar(&kind, "kind", "", "the kind of an entry that names none (default: content.default_kind)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (a *app) sourcesListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List sources with their state: ok, failing (since when, why) or disabled",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				list, err := st.ListSources(ctx)
				if err != nil {
					return err
				}
				if len(list) == 0 {
					fmt.Fprintln(a.stdout, "no sources; add one with enews sources add --name NAME URL")
					return nil
				}
				tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tSTATE\tLAST SUCCESS\tNEXT FETCH\tURL")
				for _, s := range list {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", s.ID, plaintext.Clip(s.Name, 40), sourceState(s),
						a.at(s.LastSuccessAt), a.nextFetch(s), plaintext.Clip(s.URL, 80))
				}
				return tw.Flush()
			})
		},
	}
}

// sourceState says in a word or two how a source is doing.
func sourceState(s newsletter.Source) string {
	switch {
	case !s.Enabled:
		return "disabled"
	case s.Failing():
		return fmt.Sprintf("failing (%d in a row)", s.Failures)
	case s.LastFetchAt == nil:
		return "not fetched yet"
	}
	return "ok"
}

func (a *app) nextFetch(s newsletter.Source) string {
	if !s.Enabled {
		return "-"
	}
	return a.at(&s.NextFetchAt)
}

func (a *app) sourcesShowCommand() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "show ID|NAME",
		Short: "Show a source and its fetch history, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				src, err := st.SourceByRef(ctx, args[0])
				if err != nil {
					return err
				}
				fetches, err := st.SourceFetches(ctx, src.ID, limit)
				if err != nil {
					return err
				}
				a.printSource(src, fetches)
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many fetches of the history to show (it keeps 50)")
	return cmd
}

func (a *app) printSource(src newsletter.Source, fetches []newsletter.SourceFetch) {
	w := a.stdout
	fmt.Fprintf(w, "source %d: %s\nurl: %s\nstate: %s\n", src.ID, plaintext.OneLine(src.Name), src.URL, sourceState(src))
	if src.DefaultKind != "" {
		fmt.Fprintf(w, "default kind: %s\n", src.DefaultKind)
	}
	if src.Failing() {
		fmt.Fprintf(w, "failing since: %s\nlast error: %s\n", a.at(src.FailingSince), plaintext.Clip(plaintext.OneLine(src.LastError), 300))
	}
	fmt.Fprintf(w, "last fetch: %s\nlast success: %s\nnext fetch: %s\n", a.at(src.LastFetchAt), a.at(src.LastSuccessAt), a.nextFetch(src))
	if len(fetches) == 0 {
		fmt.Fprintln(w, "history: no fetch yet")
		return
	}
	fmt.Fprintln(w, "history:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  WHEN\tHTTP\tOUTCOME\tNEW\tUPDATED\tUNCHANGED\tREJECTED\tTOOK\tERROR")
	for _, f := range fetches {
		status := "-"
		if f.HTTPStatus != 0 {
			status = strconv.Itoa(f.HTTPStatus)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", a.at(&f.At), status, f.Outcome, f.New, f.Updated,
			f.Unchanged, f.Rejected, f.Duration.Round(time.Millisecond), plaintext.Clip(plaintext.OneLine(f.Error), 120))
	}
	_ = tw.Flush()
}

func (a *app) sourcesFetchCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "fetch ID|NAME",
		Short: "Fetch a source now, as the server would, and show the result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				src, err := st.SourceByRef(ctx, args[0])
				if err != nil {
					return err
				}
				src, fetchErr := a.poller(st, nil).Fetch(ctx, src)
				fetches, err := st.SourceFetches(ctx, src.ID, 1)
				if err != nil {
					return err
				}
				a.printSource(src, fetches)
				if fetchErr != nil {
					return fmt.Errorf("fetch %s: %w", src.Name, fetchErr)
				}
				return nil
			})
		},
	}
}

func (a *app) sourcesEnableCommand(verb string, on bool) *cobra.Command {
	short := "Turn a source back on; it is fetched at once"
	if !on {
		short = "Stop fetching a source; its items stay"
	}
	return &cobra.Command{
		Use:   verb + " ID|NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withSource(cmd.Context(), args[0], func(ctx context.Context, st *store.Store, src newsletter.Source) error {
				src, err := st.SetSourceEnabled(ctx, src.ID, on)
				if err != nil {
					return err
				}
				if err := a.auditCLI(ctx, st, "source."+verb, "source "+strconv.FormatInt(src.ID, 10)); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "source %d %q %sd\n", src.ID, src.Name, verb)
				return nil
			})
		},
	}
}

func (a *app) sourcesRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID|NAME",
		Short: "Delete a source and its fetch history; the items it brought stay",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withSource(cmd.Context(), args[0], func(ctx context.Context, st *store.Store, src newsletter.Source) error {
				if err := st.RemoveSource(ctx, src.ID); err != nil {
					return err
				}
				if err := a.auditCLI(ctx, st, "source.remove", "source "+strconv.FormatInt(src.ID, 10)); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "source %d %q removed; its items stay\n", src.ID, src.Name)
				return nil
			})
		},
	}
}

// withSource runs fn on the source ref names (an id or a name).
func (a *app) withSource(ctx context.Context, ref string, fn func(context.Context, *store.Store, newsletter.Source) error) error {
	return a.withStore(ctx, func(st *store.Store) error {
		src, err := st.SourceByRef(ctx, ref)
		if err != nil {
			return err
		}
		return fn(ctx, st, src)
	})
}
