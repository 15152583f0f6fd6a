package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/content"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/store"
)

// Staff edits of single items. A field staff set stays as they set it: a
// later poll or import of the same entry keeps what the source now says
// aside (items show prints it) instead of applying it.

func (a *app) itemsShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one item: every field, what staff overrode and what its source now says",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withItem(cmd.Context(), args[0], func(_ context.Context, _ *store.Store, it newsletter.Item) error {
				a.printItem(a.stdout, it)
				return nil
			})
		},
	}
}

func (a *app) printItem(w io.Writer, it newsletter.Item) {
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-14s %s\n", label+":", plaintext.OneLine(v))
		}
	}
	fmt.Fprintf(w, "item %d\n", it.ID)
	line("title", it.Title)
	line("status", it.Status)
	line("kind", it.Kind)
	line("published", it.PublishedAt.In(a.cfg.Location()).Format(newsletter.LocalLayout))
	line("url", it.URL)
	line("summary", it.Summary)
	line("image", it.ImageURL)
	line("image alt", it.ImageAlt)
	line("image credit", it.ImageCredit)
	line("source", it.Source)
	line("source id", it.ExternalID)
	if len(it.Overridden) == 0 {
		fmt.Fprintln(w, "staff overrides: none (the source's values)")
		return
	}
	fmt.Fprintf(w, "staff overrides: %s (imports leave these)\n", strings.Join(it.Overridden, ", "))
	for _, f := range it.Overridden {
		if v, ok := it.SourceValues[f]; ok && v != it.Field(f) {
			fmt.Fprintf(w, "  the source says %s: %s (not applied)\n", f, plaintext.Clip(plaintext.OneLine(v), 200))
		}
	}
}

// itemEditFlags maps edit's flags to item fields.
func itemEditFlags() [][2]string {
	return [][2]string{{"title", "title"}, {"url", "url"}, {"summary", "summary"}, {"kind", "kind"},
		{"image-url", "image_url"}, {"image-alt", "image_alt"}, {"image-credit", "image_credit"},
		{"published", "published_at"}, {"status", "status"}}
}

func (a *app) itemsEditCommand() *cobra.Command {
	var in newsletter.Item
	var published string
	cmd := &cobra.Command{
		Use:   "edit ID [--title T] [--url U] [--summary S] [--kind K] [--published DATE] [--image-url U] [--image-alt A] [--image-credit C] [--status S]",
		Short: "Change an item's fields; imports of the same entry leave them as set here",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var fields []string
			for _, f := range itemEditFlags() {
				if cmd.Flags().Changed(f[0]) {
					fields = append(fields, f[1])
				}
			}
			if len(fields) == 0 {
				return fmt.Errorf("%w: name at least one field to change, e.g. --title", newsletter.ErrInvalid)
			}
			if slices.Contains(fields, "published_at") {
				at, err := newsletter.ParseDate(published, a.cfg.Location())
				if err != nil {
					return flagError("--published", err)
				}
				in.PublishedAt = at
			}
			return a.editItem(cmd.Context(), args[0], "item.edit", in, fields)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Title, "title", "", "title")
	f.StringVar(&in.URL, "url", "", "link to the full item, http(s)")
	f.StringVar(&in.Summary, "summary", "", "plain-text summary")
	f.StringVar(&in.Kind, "kind", "", "kind label, e.g. News")
	f.StringVar(&in.ImageURL, "image-url", "", "image URL, http(s); empty for none")
	f.StringVar(&in.ImageAlt, "image-alt", "", "image description")
	f.StringVar(&in.ImageCredit, "image-credit", "", "image credit")
	f.StringVar(&published, "published", "", "publication time: YYYY-MM-DD (in schedule.timezone) or RFC 3339")
	f.StringVar(&in.Status, "status", "", "draft, published or hidden")
	return cmd
}

// itemsStatusCommand is hide or unhide: the status, set by staff, stays so
// whatever the source says later.
func (a *app) itemsStatusCommand(verb, status string) *cobra.Command {
	short := "Keep an item out of every issue, whatever its source says later"
	if status == newsletter.ItemPublished {
		short = "Publish a hidden item again (staff keep the say over its status)"
	}
	return &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.editItem(cmd.Context(), args[0], "item."+verb, newsletter.Item{Status: status}, []string{"status"})
		},
	}
}

// editItem applies fields of in to the item ref names, cleaned and checked
// as an import or `items add` would, and audits it. Nothing is written when
// the result is invalid.
func (a *app) editItem(ctx context.Context, ref, action string, in newsletter.Item, fields []string) error {
	return a.withItem(ctx, ref, func(ctx context.Context, st *store.Store, cur newsletter.Item) error {
		merged := cur
		merged.CopyFields(in, fields)
		clean, err := content.Manual(cur.Source, merged, content.Options{
			DefaultKind: a.cfg.Content.DefaultKind, MaxSummary: a.cfg.Content.MaxSummary})
		if err != nil {
			return fmt.Errorf("item %d not changed: %w", cur.ID, err)
		}
		it, err := st.EditItem(ctx, cur.ID, clean, fields)
		if err != nil {
			return err
		}
		if err := a.auditCLI(ctx, st, action, "item "+strconv.FormatInt(it.ID, 10)); err != nil {
			return err
		}
		a.printItem(a.stdout, it)
		return nil
	})
}

// withItem runs fn on the item whose id ref is.
func (a *app) withItem(ctx context.Context, ref string, fn func(context.Context, *store.Store, newsletter.Item) error) error {
	id, err := strconv.ParseInt(strings.TrimSpace(ref), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: item %q: want its number, as enews items list shows it", newsletter.ErrInvalid, plaintext.Clip(ref, 40))
	}
	return a.withStore(ctx, func(st *store.Store) error {
		it, err := st.ItemByID(ctx, id)
		if err != nil {
			return err
		}
		return fn(ctx, st, it)
	})
}
