package delivery

import (
	"errors"

	"github.com/enews/enews/internal/enews"
)

func isNotFound(err error) bool { return errors.Is(err, enews.ErrNotFound) }
