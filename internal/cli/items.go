package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/content"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
)

func (a *app) itemsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "items", Short: "Manage the news items issues are built from"}
	cmd.AddCommand(a.itemsImportCommand(), a.itemsAddCommand(), a.itemsListCommand(), a.itemsShowCommand(),
		a.itemsEditCommand(), a.itemsStatusCommand("hide", newsletter.ItemHidden), a.itemsStatusCommand("unhide", newsletter.ItemPublished))
	return cmd
}

func (a *app) itemsImportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "import SOURCE",
		Short: "Import items from a file or http(s) URL: RSS 2.0, Atom, JSON Feed, or enews CSV/JSON",
		Long: `Import items from SOURCE, a file or an http(s) URL holding an RSS 2.0, Atom or
JSON Feed, or a CSV or JSON file in the enews item format (see the README).
Importing the same source again creates nothing new; changed entries are updated.
Entries that cannot be used are listed with the reason; the rest are imported.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			batch, err := content.Load(ctx, args[0], content.Options{
				DefaultKind: a.cfg.Content.DefaultKind,
				MaxSummary:  a.cfg.Content.MaxSummary,
				MaxBytes:    a.cfg.Content.MaxImportBytes,
			})
			if err != nil {
				return err
			}
			return a.withStore(ctx, func(st *store.Store) error {
				res, err := st.UpsertItems(ctx, batch.Items)
				if err != nil {
					return err
				}
				for _, r := range batch.Rejected {
					fmt.Fprintf(a.stderr, "rejected %s: %s\n", r.Entry, r.Reason)
				}
				fmt.Fprintf(a.stdout, "%s: %d new, %d updated, %d unchanged, %d rejected\n",
					batch.Source, res.New, res.Updated, res.Unchanged, len(batch.Rejected))
				return nil
			})
		},
	}
}

func (a *app) itemsAddCommand() *cobra.Command {
	var it newsletter.Item
	var published string
	cmd := &cobra.Command{
		Use:   "add --title T --url URL [flags]",
		Short: "Add or update one item by hand",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			at := time.Now()
			if published != "" {
				var err error
				if at, err = newsletter.ParseDate(published, a.cfg.Location()); err != nil {
					return flagError("--published", err)
				}
			}
			it.PublishedAt = at
			if it.ExternalID == "" {
				it.ExternalID = it.URL
			}
			clean, err := content.Manual("manual", it, content.Options{
				DefaultKind: a.cfg.Content.DefaultKind, MaxSummary: a.cfg.Content.MaxSummary})
			if err != nil {
				return err
			}
			return a.withStore(ctx, func(st *store.Store) error {
				res, err := st.UpsertItems(ctx, []newsletter.Item{clean})
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%d new, %d updated, %d unchanged\n", res.New, res.Updated, res.Unchanged)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&it.Title, "title", "", "title (required)")
	f.StringVar(&it.URL, "url", "", "link to the full item, http(s) (required)")
	f.StringVar(&it.Kind, "kind", "", "kind label, e.g. News, Spotlight Interview (default from content.default_kind)")
	f.StringVar(&it.Summary, "summary", "", "plain-text summary")
	f.StringVar(&it.ImageURL, "image-url", "", "image URL, http(s)")
	f.StringVar(&it.ImageAlt, "image-alt", "", "image description for readers who cannot see it")
	f.StringVar(&it.ImageCredit, "image-credit", "", "image credit, e.g. © Jan Hjelmtveit 2022")
	f.StringVar(&published, "published", "", "publication time: YYYY-MM-DD (in schedule.timezone) or RFC 3339 (default now)")
	f.StringVar(&it.Status, "status", newsletter.ItemPublished, "draft, published or hidden")
	f.StringVar(&it.ExternalID, "id", "", "external id, unique among manual items (default: the URL)")
	_ = cmd.MarkFlagRequired("title")
	_ = cmd.MarkFlagRequired("url")
	return cmd
}

func (a *app) itemsListCommand() *cobra.Command {
	var period, status string
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--period YYYY-MM]",
		Short: "List items, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			f := store.ItemFilter{Status: status, Limit: limit}
			if period != "" {
				p, err := newsletter.ParsePeriod(period)
				if err != nil {
					return err
				}
				f.From, f.To = p.Bounds(a.cfg.Location())
			}
			return a.withStore(ctx, func(st *store.Store) error {
				items, err := st.ListItems(ctx, f)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tPUBLISHED\tSTATUS\tKIND\tTITLE")
				for _, it := range items {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", it.ID, it.PublishedAt.In(a.cfg.Location()).Format("2006-01-02 15:04"),
						it.Status, it.Kind, plaintext.Clip(plaintext.OneLine(it.Title), 70))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "only items published in this month (YYYY-MM, in schedule.timezone)")
	cmd.Flags().StringVar(&status, "status", "", "only items with this status")
	cmd.Flags().IntVar(&limit, "limit", 100, "most items to list")
	return cmd
}
