// Command enews sends the monthly eNewsUpdate digest. main only wires the
// process (signals, arguments, environment) to the CLI.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // schedule.timezone must load on machines without zoneinfo files

	"github.com/enews/enews/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "enews:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args, env []string, stdout io.Writer) error {
	return cli.Run(ctx, args, env, stdout, os.Stderr, os.Stdin)
}
