package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations (a no-op when the schema is current)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := st.Migrate(cmd.Context(), nil)
			if err != nil {
				return err
			}
			for _, r := range res {
				fmt.Fprintf(a.stdout, "applied %d %s\n", r.Version, r.Name)
			}
			if len(res) == 0 {
				fmt.Fprintln(a.stdout, "schema is up to date")
			}
			return nil
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "List migrations and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			states, err := st.MigrationStatus(cmd.Context())
			if err != nil {
				return err
			}
			for _, s := range states {
				state := "pending"
				if s.Applied {
					state = "applied"
				}
				fmt.Fprintf(a.stdout, "%-8s %5d %s\n", state, s.Version, s.Name)
			}
			return nil
		},
	})
	return cmd
}
