package subscribers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// BenchmarkImport reads 1,000,000 generated rows (email, name and one
// attribute) per iteration and reports rows/s and allocations per row.
func BenchmarkImport(b *testing.B) {
	const rows = 1_000_000
	var buf bytes.Buffer
	buf.WriteString("email,name,city\n")
	for i := range rows {
		fmt.Fprintf(&buf, "User.%d@Example%d.org,User Number %d,City %d\n", i, i%97, i, i%13)
	}
	input := buf.Bytes()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		ir, err := NewImportReader(bytes.NewReader(input))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := ir.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(n), "allocs/row")
}

// BenchmarkImportHeap streams 1,000,000 rows from a generator, never held
// in memory as a whole, and reports the largest live heap seen: it shows the
// reader keeps nothing from one row to the next.
func BenchmarkImportHeap(b *testing.B) {
	const rows = 1_000_000
	for b.Loop() {
		ir, err := NewImportReader(&rowGenerator{rows: rows})
		if err != nil {
			b.Fatal(err)
		}
		var ms runtime.MemStats
		var peak uint64
		for i := 0; ; i++ {
			_, err := ir.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if i%50_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	}
}

// rowGenerator writes a header and then rows, one line per Read.
type rowGenerator struct {
	rows, next int
	pending    []byte
}

func (g *rowGenerator) Read(p []byte) (int, error) {
	if len(g.pending) == 0 {
		switch {
		case g.next > g.rows:
			return 0, io.EOF
		case g.next == 0:
			g.pending = []byte("email,name,city\n")
		default:
			g.pending = fmt.Appendf(g.pending[:0], "user.%d@example.org,User %d,City\n", g.next, g.next)
		}
		g.next++
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}

// BenchmarkNormaliseAddress separates the address rules from CSV parsing.
func BenchmarkNormaliseAddress(b *testing.B) {
	for _, in := range []string{"Anna.Muster@Example.org", "user@bücher.example"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NormaliseAddress(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
