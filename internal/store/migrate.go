package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/enews/enews/migrations"
)

// migrationLockID is the advisory lock goose holds while migrating, so two
// processes starting at once apply each migration once.
const migrationLockID = 0x656e657773 // "enews"

func (s *Store) migrator(log *slog.Logger) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
	if err != nil {
		return nil, fmt.Errorf("store: migration locker: %w", err)
	}
	opts := []goose.ProviderOption{
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		// Migrations are numbered in blocks per area of work, so a database
		// that applied a later block may meet an earlier number introduced
		// afterwards; each migration stands alone, so applying it late is safe.
		goose.WithAllowOutofOrder(true),
	}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, s.db.DB, migrations.FS, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// MigrationResult is one applied migration.
type MigrationResult struct {
	Version int64
	Name    string
}

// Migrate applies every pending migration; with none pending it does nothing.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) ([]MigrationResult, error) {
	p, err := s.migrator(log)
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	out := make([]MigrationResult, 0, len(res))
	for _, r := range res {
		out = append(out, MigrationResult{Version: r.Source.Version, Name: r.Source.Path})
	}
	return out, nil
}

// MigrationState is one migration and whether it is applied.
type MigrationState struct {
	Version int64
	Name    string
	Applied bool
}

// MigrationStatus lists every known migration.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := s.migrator(nil)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration status: %w", err)
	}
	out := make([]MigrationState, 0, len(st))
	for _, m := range st {
		out = append(out, MigrationState{Version: m.Source.Version, Name: m.Source.Path, Applied: m.State == goose.StateApplied})
	}
	return out, nil
}

// ErrPendingMigrations means the schema is older than this binary.
var ErrPendingMigrations = fmt.Errorf("the database has pending migrations: run `enews migrate`")

// CheckMigrated returns ErrPendingMigrations when the schema is behind.
func (s *Store) CheckMigrated(ctx context.Context) error {
	p, err := s.migrator(nil)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("store: check migrations: %w", err)
	}
	if pending {
		return ErrPendingMigrations
	}
	return nil
}
