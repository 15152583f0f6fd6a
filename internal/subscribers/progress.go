package subscribers

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
)

// Meter counts the bytes an import has read, for a progress display while
// the import runs in another goroutine.
type Meter struct {
	bytes atomic.Int64
}

// Reader counts what passes through r.
func (m *Meter) Reader(r io.Reader) io.Reader { return meterReader{r: r, m: m} }

// Bytes read so far.
func (m *Meter) Bytes() int64 { return m.bytes.Load() }

type meterReader struct {
	r io.Reader
	m *Meter
}

func (mr meterReader) Read(p []byte) (int, error) {
	n, err := mr.r.Read(p)
	mr.m.bytes.Add(int64(n))
	return n, err
}

// Bar renders one line of progress, "[=========>          ]  45%  12.3 of
// 27.0 MB", for done of total bytes; total 0 (unknown size) shows bytes only.
func Bar(width int, done, total int64) string {
	mb := func(n int64) string { return fmt.Sprintf("%.1f", float64(n)/1e6) }
	if total <= 0 {
		return mb(done) + " MB read"
	}
	done = min(done, total)
	fill := int(int64(width) * done / total)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	return fmt.Sprintf("[%s] %3d%%  %s of %s MB", bar, 100*done/total, mb(done), mb(total))
}
