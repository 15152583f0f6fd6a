// Command sink is a discard-everything SMTP server for `make bench` on
// machines without postfix's smtp-sink: it accepts every message over real
// TCP and keeps nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/enews/enews/internal/smtptest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:2525", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := smtptest.New(*addr, smtptest.WithoutRecording())
	if err != nil {
		fmt.Fprintln(os.Stderr, "sink:", err)
		os.Exit(1)
	}
	fmt.Println("sink listening on", srv.Addr())
	<-ctx.Done()
	srv.Close()
}
