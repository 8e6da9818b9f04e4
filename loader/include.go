package loader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/litbook/litbook/internal/fsx"
)

// maxInclude bounds the size of a file that include= reads.
const maxInclude = 4 << 20

// anchorRE matches a line that marks a region of an included file, as
// mdBook's include does: "// ANCHOR: name" and "// ANCHOR_END: name" (in any
// comment syntax: only the words matter).
var anchorRE = regexp.MustCompile(`\bANCHOR(_END)?:\s*([A-Za-z0-9_-]+)`)

// include reads the code that include=value names: FILE, relative to the
// chapter's directory, whole, or FILE#NAME, the lines between its
// "ANCHOR: NAME" and "ANCHOR_END: NAME" lines. Anchor lines are left out of
// what is shown and compiled. It returns the file's path relative to the
// book, the code, and the file line of each line of the code.
func (st *chapterState) include(value string) (rel string, code []byte, lines []int, err error) {
	file, anchor, hasAnchor := strings.Cut(value, "#")
	if file == "" || hasAnchor && anchor == "" {
		return "", nil, nil, fmt.Errorf("name a file, or a region of one: include=code/hello.go or include=code/hello.go#main")
	}
	if st.root == "" {
		return "", nil, nil, fmt.Errorf("a chapter read on its own has no book to include files from")
	}
	rel = path.Clean(path.Join(path.Dir(st.ch.Path), file))
	if path.IsAbs(file) || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", nil, nil, fmt.Errorf("the file must be inside the book's directory (the path is relative to the chapter)")
	}
	if err := insideBookFile(st.root, rel); err != nil {
		return "", nil, nil, err
	}
	f, err := fsx.OpenRegular(filepath.Join(st.root, filepath.FromSlash(rel)))
	if err != nil {
		return "", nil, nil, fmt.Errorf("%s: %v", rel, errText(err))
	}
	defer f.Close()
	var buf bytes.Buffer
	if n, err := buf.ReadFrom(io.LimitReader(f, maxInclude+1)); err != nil {
		return "", nil, nil, fmt.Errorf("%s: %v", rel, err)
	} else if n > maxInclude {
		return "", nil, nil, fmt.Errorf("%s is larger than %d bytes", rel, maxInclude)
	}
	src := buf.Bytes()
	if len(src) > 0 && src[len(src)-1] != '\n' {
		src = append(src, '\n')
	}
	inside, found, ended := !hasAnchor, false, false
	var out bytes.Buffer
	for i, line := range bytes.SplitAfter(src, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if m := anchorRE.FindSubmatch(line); m != nil {
			if hasAnchor && string(m[2]) == anchor {
				if len(m[1]) == 0 {
					inside, found = true, true
				} else if inside {
					inside, ended = false, true
				}
			}
			continue
		}
		if inside {
			out.Write(line)
			lines = append(lines, i+1)
		}
	}
	// A region's blank lines next to its anchors (which keep an anchor
	// out of the doc comment below it) are not shown.
	code = out.Bytes()
	for len(lines) > 0 && code[0] == '\n' {
		code, lines = code[1:], lines[1:]
	}
	for len(lines) > 1 && bytes.HasSuffix(code, []byte("\n\n")) {
		code, lines = code[:len(code)-1], lines[:len(lines)-1]
	}
	switch {
	case hasAnchor && !found:
		return "", nil, nil, fmt.Errorf("%s has no line \"ANCHOR: %s\"", rel, anchor)
	case hasAnchor && !ended:
		return "", nil, nil, fmt.Errorf("%s has no line \"ANCHOR_END: %s\" after its \"ANCHOR: %s\"", rel, anchor, anchor)
	case len(bytes.TrimSpace(code)) == 0:
		return "", nil, nil, fmt.Errorf("%s: nothing to include", value)
	}
	return rel, code, lines, nil
}

// insideBookFile returns an error if rel, relative to root, resolves
// through symbolic links to a file outside root.
func insideBookFile(root, rel string) error {
	real, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return fmt.Errorf("%s: %v", rel, errText(err))
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	if r, err := filepath.Rel(realRoot, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%s escapes the book directory (it resolves to %s)", rel, real)
	}
	return nil
}

// errText is an error without the path that an *os.PathError names.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var nr *fsx.NotRegularError
	if errors.As(err, &nr) {
		return "not a regular file (" + fsx.Kind(nr.Mode) + ")"
	}
	return err.Error()
}
