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
// and the plain-text template. The web pages will join it as
// `//go:embed all:email web` once that directory exists; embedding a missing
// directory fails the build, so only email is named for now.
//
//go:embed all:email
var Email embed.FS

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
