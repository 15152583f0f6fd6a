// Package templates carries the email theme inside the binary, so a fresh
// install renders without any files on disk. A theme directory named in the
// config replaces it at run time (os.DirFS), which is why callers take an
// fs.FS rather than this package's variables.
package templates

import (
	"embed"
	"io/fs"
)

// Email holds the eNewsUpdate theme under "email/": the hermes HTML template
// and the plain-text template.
//
//go:embed all:email
var Email embed.FS

// Web holds the server-rendered pages under "web/": the layout, one template
// per page, the confirmation email and the stylesheet in assets/.
//
//go:embed all:web
var Web embed.FS

// EmailTheme is the theme directory itself, rooted so that file names match
// those of an override directory.
func EmailTheme() fs.FS {
	sub, err := fs.Sub(Email, "email")
	if err != nil {
		// fs.Sub fails only on an invalid path; "email" is a constant.
		panic(err)
	}
	return sub
}
