package loader

import (
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/util"
)

// Prefixes of the ids the site gives to what litbook draws: run-NAME for a
// transcript (values and the Machines page link to it) and chart-N for a
// chart. Heading ids never start with them.
var reservedIDPrefixes = []string{"run-", "chart-"}

// headingIDs generates heading ids as goldmark does (lowercase letters,
// digits and '-'; -1, -2 ... for repeats), except that an id that would
// start with a reserved prefix gets "section-" in front: "## Run seek" is
// #section-run-seek, and #run-seek stays the transcript's.
//
// Each base id remembers the last suffix it gave, so n equal headings cost
// O(n), not O(n²): 20,000 "## Example" took two minutes when every repeat
// tried -1, -2, ... from the start.
type headingIDs struct {
	used map[string]bool
	next map[string]int // the last suffix given to a base id
	// probes counts the candidate ids tried, for tests.
	probes int
}

func newHeadingIDs() parser.IDs { return newIDs() }

func newIDs() *headingIDs {
	return &headingIDs{used: map[string]bool{}, next: map[string]int{}}
}

// Generate implements parser.IDs.
func (s *headingIDs) Generate(value []byte, kind ast.NodeKind) []byte {
	var b strings.Builder
	for _, c := range string(util.TrimRightSpace(util.TrimLeftSpace(value))) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		case c == ' ' || c == '\t' || c == '\n' || c == '-' || c == '_':
			b.WriteByte('-')
		}
	}
	id := b.String()
	if id == "" {
		id = "heading"
		if kind != ast.KindHeading {
			id = "id"
		}
	}
	for _, p := range reservedIDPrefixes {
		if strings.HasPrefix(id, p) {
			id = "section-" + id
		}
	}
	if !s.used[id] {
		s.used[id] = true
		return []byte(id)
	}
	for i := s.next[id] + 1; ; i++ {
		s.probes++
		// An explicit id or another heading may hold id-i: skip it.
		if next := id + "-" + strconv.Itoa(i); !s.used[next] {
			s.used[next] = true
			s.next[id] = i
			return []byte(next)
		}
	}
}

// Put implements parser.IDs.
func (s *headingIDs) Put(value []byte) { s.used[string(value)] = true }
