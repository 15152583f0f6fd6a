package subscribers

import (
	"errors"
	"io"
	"iter"

	"github.com/enews/enews/internal/newsletter"
)

// Rows yields the good rows of ir as subscribers, in file order, for
// store.ImportSubscribers. A refused line goes to bad (which may be nil) and
// the rows after it still come; a read error, or a record past
// MaxRecordBytes, ends the sequence with that error, which aborts the import.
func Rows(ir *ImportReader, bad func(*LineError)) iter.Seq2[newsletter.Subscriber, error] {
	return func(yield func(newsletter.Subscriber, error) bool) {
		for {
			row, err := ir.Next()
			var le *LineError
			switch {
			case errors.Is(err, io.EOF):
				return
			case errors.As(err, &le):
				if bad != nil {
					bad(le)
				}
				continue
			case err != nil:
				yield(newsletter.Subscriber{}, err)
				return
			}
			if !yield(newsletter.Subscriber{Email: row.Email, Name: row.Name, Attributes: row.Attributes}, nil) {
				return
			}
		}
	}
}
