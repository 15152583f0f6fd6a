package cli

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
)

// bar is the one progress bar the CLI draws: "[=====>    ]  50%" for done
// of total. total must be above 0.
func bar(width int, done, total int64) string {
	done = min(max(done, 0), total)
	fill := int(int64(width) * done / total)
	b := strings.Repeat("=", fill)
	if fill < width {
		b += ">" + strings.Repeat(" ", width-fill-1)
	}
	return fmt.Sprintf("[%s] %3d%%", b, 100*done/total)
}

// byteBar is an import's progress, "[=====>    ]  45%  12.3 of 27.0 MB";
// total 0 (unknown size) shows the bytes read only.
func byteBar(width int, done, total int64) string {
	mb := func(n int64) string { return fmt.Sprintf("%.1f", float64(n)/1e6) }
	if total <= 0 {
		return mb(done) + " MB read"
	}
	return fmt.Sprintf("%s  %s of %s MB", bar(width, done, total), mb(min(done, total)), mb(total))
}

// meter counts the bytes an import has read, for the bar drawn while the
// import runs in another goroutine.
type meter struct {
	bytes atomic.Int64
}

// reader counts what passes through r.
func (m *meter) reader(r io.Reader) io.Reader { return meterReader{r: r, m: m} }

// read is the bytes read so far.
func (m *meter) read() int64 { return m.bytes.Load() }

type meterReader struct {
	r io.Reader
	m *meter
}

func (mr meterReader) Read(p []byte) (int, error) {
	n, err := mr.r.Read(p)
	mr.m.bytes.Add(int64(n))
	return n, err
}
