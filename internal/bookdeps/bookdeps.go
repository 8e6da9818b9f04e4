//go:build tools

// Package bookdeps names the modules that the bundled book's programs
// import and litbook itself does not, so that go mod tidy keeps them in
// go.mod, whose requirements the book's programs are built with
// (chapter 14's passfs is a go-fuse filesystem).
package bookdeps

import _ "github.com/hanwen/go-fuse/v2/fs"
