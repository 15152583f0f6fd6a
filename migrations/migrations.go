// Package migrations embeds the goose SQL migrations that define the schema.
package migrations

import "embed"

// FS holds the numbered migrations, applied in order by goose.
//
//go:embed *.sql
var FS embed.FS
