// Package cli is the enews command line: cobra commands that wire config,
// store, renderer, mailer and the web server together.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/config"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// app carries what every command needs; commands open the store lazily so
// `enews --help` and `enews config` work without a database.
type app struct {
	env            []string
	stdout, stderr io.Writer
	stdin          io.Reader
	configPath     string
	cpuProfile     string
	cfg            config.Config
	log            *slog.Logger
	stopProfile    func()
}

func (a *app) startProfile() error {
	if a.cpuProfile == "" {
		return nil
	}
	f, err := os.Create(a.cpuProfile)
	if err != nil {
		return fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("cpuprofile: %w", err)
	}
	a.stopProfile = func() { pprof.StopCPUProfile(); _ = f.Close() }
	return nil
}

// Run parses args and runs the chosen command.
func Run(ctx context.Context, args, env []string, stdout, stderr io.Writer, stdin io.Reader) error {
	a := &app{env: env, stdout: stdout, stderr: stderr, stdin: stdin}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(stdin)
	err := root.ExecuteContext(ctx)
	if a.stopProfile != nil {
		a.stopProfile()
	}
	return userError(err)
}

// flagError names the flag whose value err refuses, keeping err's kind.
func flagError(flag string, err error) error {
	var p *newsletter.Problem
	if errors.As(err, &p) {
		return &newsletter.Problem{Kind: p.Kind, Msg: flag + ": " + p.Msg}
	}
	return fmt.Errorf("%s: %w", flag, err)
}

// userError is the one place an error becomes what the person at the
// terminal reads: a newsletter.Problem is said in their words alone, without
// the layers it passed through ("anna@example.org is already on the list",
// not "store: add subscriber: conflict: ..."). Anything else is an
// operational failure and keeps its whole chain, for whoever runs enews.
func userError(err error) error {
	if err == nil {
		return nil
	}
	var p *newsletter.Problem
	if errors.As(err, &p) {
		return p
	}
	return err
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "enews",
		Short:         "Send the monthly eNewsUpdate digest to a subscriber list",
		SilenceUsage:  true,
		SilenceErrors: true, // main prints the error once
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.startProfile(); err != nil {
				return err
			}
			return a.loadConfig()
		},
	}
	root.PersistentFlags().StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "YAML config file (default: built-in local defaults; ENEWS_* variables override)")
	root.AddCommand(
		a.versionCommand(),
		a.configCommand(),
		a.migrateCommand(),
	)
	for _, add := range a.extraCommands() {
		root.AddCommand(add())
	}
	return root
}

func (a *app) loadConfig() error {
	path := a.configPath
	if path == "" {
		path = lookupEnv(a.env, "ENEWS_CONFIG")
	}
	cfg, err := config.Load(path, a.env)
	if err != nil {
		return err
	}
	a.cfg = cfg
	a.log = newLogger(a.stderr, cfg.Log)
	return nil
}

// openStore connects to the configured database. With web.secret_key set,
// the store hashes addresses for the consent log with it; migrations and
// items need no secret.
func (a *app) openStore(ctx context.Context) (*store.Store, error) {
	opts := store.Options{
		URL:             a.cfg.Database.URL,
		MaxOpenConns:    a.cfg.Database.MaxOpenConns,
		MaxIdleConns:    a.cfg.Database.MaxIdleConns,
		ConnMaxLifetime: a.cfg.Database.ConnMaxLifetime,
	}
	if a.cfg.Web.SecretKey != "" {
		h, err := a.signer()
		if err != nil {
			return nil, err
		}
		opts.Hasher = h
	}
	return store.Open(ctx, opts)
}

// withStore opens the store, checks the schema is current, runs fn, closes.
func (a *app) withStore(ctx context.Context, fn func(st *store.Store) error) error {
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckMigrated(ctx); err != nil {
		return err
	}
	return fn(st)
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the enews version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.stdout, "enews", version())
			return nil
		},
	}
}

func (a *app) configCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration with secrets redacted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := a.cfg.Redacted()
			if err != nil {
				return fmt.Errorf("config: %w", err)
			}
			_, err = a.stdout.Write(b)
			return err
		},
	}
}

func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown: built without module information)"
	}
	v := bi.Main.Version
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " with uncommitted changes"
			}
		}
	}
	if rev != "" {
		v += ", revision " + rev
		if at != "" {
			v += " of " + at
		}
		v += dirty
	}
	return v + ", " + bi.GoVersion
}

func lookupEnv(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

func newLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
