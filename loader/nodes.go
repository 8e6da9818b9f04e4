package loader

import (
	"fmt"

	"github.com/litbook/litbook/model"
	"github.com/yuin/goldmark/ast"
)

// KindProgramBlock and KindRunBlock are the kinds of the nodes that replace
// the fenced blocks litbook owns.
var (
	KindProgramBlock = ast.NewNodeKind("LitbookProgramBlock")
	KindRunBlock     = ast.NewNodeKind("LitbookRunBlock")
)

// ProgramBlock is one fenced block of a program: the part of File that
// the block contributed.
type ProgramBlock struct {
	ast.BaseBlock
	Program *model.Program
	File    *model.File
	Code    []byte // the block's own code, as shown on the page
	// Lang is the block's language (go, text, html...): how the page
	// highlights it.
	Lang string
	// Hidden marks scaffolding that is compiled like the rest but kept
	// out of the reading flow: the page folds it away.
	Hidden bool
}

// Kind implements ast.Node.
func (n *ProgramBlock) Kind() ast.NodeKind { return KindProgramBlock }

// IsRaw implements ast.Node: the content is code, not Markdown.
func (n *ProgramBlock) IsRaw() bool { return true }

// Dump implements ast.Node.
func (n *ProgramBlock) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{
		"Program": n.Program.Name,
		"File":    n.File.Name,
	}, nil)
}

// RunBlock is a run block; the site draws its Result in its place.
type RunBlock struct {
	ast.BaseBlock
	Run *model.Run
}

// Kind implements ast.Node.
func (n *RunBlock) Kind() ast.NodeKind { return KindRunBlock }

// IsRaw implements ast.Node.
func (n *RunBlock) IsRaw() bool { return true }

// Dump implements ast.Node.
func (n *RunBlock) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{
		"Run":      n.Run.ID,
		"Commands": fmt.Sprint(len(n.Run.Commands)),
	}, nil)
}
