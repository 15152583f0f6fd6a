package cli

import (
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/config"
)

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

// extraCommands lists the command groups beyond the basics; each file adds
// its own constructor here.
func (a *app) extraCommands() []func() *cobra.Command {
	return []func() *cobra.Command{
		a.itemsCommand,
		a.issueCommand,
		a.serveCommand,
		a.subscribersCommand,
		a.tokenCommand,
		a.usersCommand,
	}
}
