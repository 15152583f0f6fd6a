package store_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/subscribers"
)

// writeListFile writes n rows of email,name,city to a file, the shape of a
// real list export.
func writeListFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "list.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "email,name,city")
	for i := range n {
		fmt.Fprintf(w, "reader.%d@mail%d.example.org,Reader Number %d,City %d\n", i, i%97, i, i%1000)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkImport1M imports a 1,000,000-row CSV file into an empty list,
// from parsing to commit, and then exports it again. Run it with
// -benchtime 1x; each iteration uses a fresh database.
func BenchmarkImport1M(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("ENEWS_BENCH_ROWS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := writeListFile(b, n)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		st := pgtest.New(b)
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		ir, err := subscribers.NewImportReader(f)
		if err != nil {
			b.Fatal(err)
		}
		res, err := st.ImportSubscribers(ctx, subscribers.Rows(ir, nil), newsletter.ImportPolicy{})
		_ = f.Close()
		if err != nil || res.Inserted != int64(n) {
			b.Fatalf("import: %+v, %v", res, err)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	}
}

// BenchmarkExport1M exports a 1,000,000-row list to CSV (discarded).
func BenchmarkExport1M(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("ENEWS_BENCH_ROWS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := writeListFile(b, n)
	st := pgtest.New(b)
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	ir, err := subscribers.NewImportReader(f)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.ImportSubscribers(ctx, subscribers.Rows(ir, nil), newsletter.ImportPolicy{}); err != nil {
		b.Fatal(err)
	}
	_ = f.Close()
	for b.Loop() {
		e := subscribers.NewCSVExport(io.Discard)
		got, err := st.ExportSubscribers(ctx, store.ExportFilter{}, e)
		if err != nil || got != int64(n) || e.Flush() != nil {
			b.Fatalf("export %d rows: %v", got, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
