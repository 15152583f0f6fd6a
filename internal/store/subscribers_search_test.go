package store_test

import (
	"context"
	"testing"

	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
)

// TestSearchSubscribersRareAndCommonPrefixes pages through a prefix held
// by a few rows and one held by more than the search counts as rare: both
// ways of reading a page give the same answers.
func TestSearchSubscribersRareAndCommonPrefixes(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `INSERT INTO subscribers (email, name, status)
		SELECT 'common.' || g || '@example.org', CASE WHEN g % 1000 = 0 THEN 'Rare Name ' || g ELSE '' END,
			CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'active' END FROM generate_series(1, 2500) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO subscribers (email, name, status) VALUES
		('rare_1@example.org', 'Someone', 'active'), ('rare%2@example.org', '', 'active'), ('rarex@example.org', 'Rare Too', 'pending')`); err != nil {
		t.Fatal(err)
	}
	all := func(f store.SubscriberSearch) []string {
		var out []string
		for {
			page, err := st.SearchSubscribers(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page.Subscribers {
				if s.ID <= f.After {
					t.Fatalf("%+v: id %d is not after the cursor %d", f, s.ID, f.After)
				}
				f.After = s.ID
				out = append(out, s.Email)
			}
			if page.Next == 0 {
				return out
			}
		}
	}
	for _, tc := range []struct {
		name string
		f    store.SubscriberSearch
		want int
	}{
		{"common prefix", store.SubscriberSearch{Prefix: "Common.", Limit: 500}, 2500},
		{"common prefix and status", store.SubscriberSearch{Prefix: "common.", Status: "pending", Limit: 100}, 250},
		{"rare prefix, address or name", store.SubscriberSearch{Prefix: "rare", Limit: 2}, 5},
		{"rare prefix and status", store.SubscriberSearch{Prefix: "rare", Status: "pending", Limit: 2}, 3},
		{"underscore is a character", store.SubscriberSearch{Prefix: "rare_"}, 1},
		{"percent is a character", store.SubscriberSearch{Prefix: "rare%"}, 1},
		{"nothing", store.SubscriberSearch{Prefix: "nobody"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := all(tc.f); len(got) != tc.want {
				t.Fatalf("%d subscribers, want %d: %.200v", len(got), tc.want, got)
			}
		})
	}
}
