package delivery

import (
	"errors"

	"github.com/enews/enews/internal/newsletter"
)

func isNotFound(err error) bool { return errors.Is(err, newsletter.ErrNotFound) }
