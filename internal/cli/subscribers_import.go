package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

func (a *app) subscribersImportCommand() *cobra.Command {
	var opts newsletter.ImportPolicy
	var pending bool
	cmd := &cobra.Command{
		Use:   "import FILE.csv [--pending] [--activate-pending] [--overwrite]",
		Short: "Import a CSV list (header email,name; more columns become attributes); - reads stdin",
		Long: `Import reads a CSV file whose header names an email column, optionally a name
column, and any other columns, kept as attributes. New addresses become active
(or pending with --pending). Lines that cannot be used are reported on stderr
with their line number and reason; the rest is imported, all in one
transaction. An address that unsubscribed, bounced, complained or was erased
is never made active again; --activate-pending activates pending ones.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pending {
				opts.Status = "pending"
			}
			return a.importList(cmd.Context(), args[0], opts)
		},
	}
	cmd.Flags().BoolVar(&pending, "pending", false, "new addresses become pending instead of active")
	cmd.Flags().BoolVar(&opts.ActivatePending, "activate-pending", false, "make pending addresses in the file active")
	cmd.Flags().BoolVar(&opts.Overwrite, "overwrite", false, "give existing addresses the file's name and attributes")
	return cmd
}

func (a *app) importList(ctx context.Context, path string, opts newsletter.ImportPolicy) error {
	in, size, err := a.openInput(path)
	if err != nil {
		return err
	}
	defer in.Close()
	return a.withList(ctx, func(st *store.Store) error {
		var read meter
		ir, err := subscribers.NewImportReader(read.reader(in))
		if err != nil {
			return err
		}
		opts.Operator, opts.FileName, opts.Checksum = a.actor(), path, ir.Checksum
		p := a.newProgress(&read, size)
		defer p.stop()
		bad := 0
		start := time.Now()
		res, err := st.ImportSubscribers(ctx, subscribers.Rows(ir, func(le *subscribers.LineError) {
			bad++
			p.println(a.stderr, le.Error())
		}), opts)
		p.stop()
		if err != nil {
			return err
		}
		if res.Rows == 0 && bad > 0 {
			return newsletter.Problemf(newsletter.ErrInvalid,
				"%s: all %d lines were refused (see above); nothing was imported", path, bad)
		}
		secs := time.Since(start).Seconds()
		fmt.Fprintf(a.stdout, "%s: %d rows, %d bad lines, %d repeated in the file, %d suppressed, %d added, "+
			"%d already on the list (%d activated, %d updated) in %.1f s (%.0f rows/s)\n",
			path, res.Rows, bad, res.Duplicates, res.Suppressed, res.Inserted,
			res.Existing, res.Activated, res.Updated, secs, float64(res.Rows)/max(secs, 1e-9))
		return nil
	})
}

// openInput opens path, or stdin for "-"; size is 0 when unknown.
func (a *app) openInput(path string) (io.ReadCloser, int64, error) {
	if path == "-" {
		return io.NopCloser(a.stdin), 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("import: %w", err)
	}
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return f, size, nil
}

// progress redraws a bar on stdout while an import runs, when stdout is a
// terminal; otherwise it only serialises the bad-line reports.
type progress struct {
	meter    *meter
	size     int64
	mu       sync.Mutex
	w        io.Writer // nil: not a terminal
	drawn    bool
	done     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

func (a *app) newProgress(m *meter, size int64) *progress {
	p := &progress{done: make(chan struct{}), meter: m, size: size}
	if !isTerminal(a.stdout) {
		return p
	}
	p.w = a.stdout
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

// draw redraws the bar in place.
func (p *progress) draw() {
	done := p.meter.read()
	line := byteBar(30, done, p.size)
	if p.size > 0 && done >= p.size {
		line += "  merging into the list…"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

// println writes one report line, clearing the bar first so the two never
// share a line.
func (p *progress) println(w io.Writer, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
	fmt.Fprintln(w, line)
}

// stop ends the redraws and clears the bar; it may be called twice.
func (p *progress) stop() {
	p.stopOnce.Do(func() {
		close(p.done)
		p.wg.Wait()
		if p.drawn {
			fmt.Fprint(p.w, "\r\033[K")
		}
	})
}
