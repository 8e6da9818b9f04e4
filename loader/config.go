package loader

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/model"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// ConfigFile is the name of a book's configuration file.
const ConfigFile = "book.toml"

// tomlConfig mirrors book.toml; unknown keys are errors.
type tomlConfig struct {
	Book struct {
		Title       string   `toml:"title"`
		Authors     []string `toml:"authors"`
		Language    string   `toml:"language"`
		Description string   `toml:"description"`
		Chapters    []string `toml:"chapters"`
		Appendices  []string `toml:"appendices"`
		Parts       []struct {
			Title    string   `toml:"title"`
			Chapters []string `toml:"chapters"`
		} `toml:"parts"`
	} `toml:"book"`
	Build struct {
		BuildDir      string `toml:"build-dir"`
		GoMod         string `toml:"go-mod"`
		Timeout       string `toml:"timeout"`
		OutputLimit   *int64 `toml:"output-limit"`
		FileSizeLimit *int64 `toml:"file-size-limit"`
		ProcessLimit  *int64 `toml:"process-limit"`
		// RecordHostname puts the machine's name into its records, which
		// are committed: off unless the author opts in.
		RecordHostname bool `toml:"record-hostname"`
	} `toml:"build"`
}

// config is the decoded book.toml plus the chapter list with the position
// of each entry, for errors about a listed chapter.
type config struct {
	model.Config
	chapters   []string
	chapterPos []model.Pos // parallel to chapters; zero when globbed
	// partOf is parallel to chapters: the index in parts of the part
	// that lists the chapter, or -1.
	partOf []int
	parts  []string // titles of [[book.parts]]
	// appendices follow the chapters, unnumbered among them (A, B, ...).
	appendices  []string
	appendixPos []model.Pos
}

// loadConfig reads and validates root/book.toml. A nil config means the file
// could not be read or decoded; otherwise the config is usable (with
// defaults in place of bad values) and err lists the bad values.
func loadConfig(root string) (*config, error) {
	data, err := fsx.ReadRegular(filepath.Join(root, ConfigFile))
	var notRegular *fsx.NotRegularError
	if errors.As(err, &notRegular) {
		return nil, model.Errorf(model.Pos{File: ConfigFile}, "%s is not a regular file (%s)", ConfigFile, fsx.Kind(notRegular.Mode))
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, model.Errorf(model.Pos{File: ConfigFile}, "no such file: %s is not a litbook book (run litbook in the directory that holds book.toml, or name that directory)", root)
	}
	if err != nil {
		return nil, &model.Error{Pos: model.Pos{File: ConfigFile}, Msg: err.Error(), Err: err}
	}
	var tc tomlConfig
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tc); err != nil {
		return nil, tomlError(err)
	}
	pos := valuePositions(data)
	var errs model.ErrorList
	c := &config{Config: model.Config{
		Title:         tc.Book.Title,
		Authors:       tc.Book.Authors,
		Language:      tc.Book.Language,
		Description:   tc.Book.Description,
		BuildDir:      tc.Build.BuildDir,
		GoMod:         tc.Build.GoMod,
		Timeout:       model.DefaultTimeout,
		OutputLimit:   model.DefaultOutputLimit,
		FileSizeLimit: model.DefaultFileSizeLimit,
		ProcessLimit:  model.DefaultProcessLimit,
	}}
	if c.Title == "" {
		c.Title = filepath.Base(root)
	}
	if c.Language == "" {
		c.Language = "en"
	}
	if c.BuildDir == "" {
		c.BuildDir = model.DefaultBuildDir
	}
	if tc.Build.Timeout != "" {
		d, err := time.ParseDuration(tc.Build.Timeout)
		if err != nil || d <= 0 {
			errs.Add(pos["build.timeout"], "timeout %q is not a positive duration (examples: 90s, 2m)", tc.Build.Timeout)
		} else {
			c.Timeout = d
		}
	}
	for _, l := range []struct {
		key  string
		v    *int64
		dst  *int64
		unit string
	}{
		{"output-limit", tc.Build.OutputLimit, &c.OutputLimit, "number of bytes"},
		{"file-size-limit", tc.Build.FileSizeLimit, &c.FileSizeLimit, "number of bytes"},
		{"process-limit", tc.Build.ProcessLimit, &c.ProcessLimit, "number of processes"},
	} {
		switch {
		case l.v == nil:
		case *l.v <= 0:
			errs.Add(pos["build."+l.key], "%s must be a positive %s, not %d", l.key, l.unit, *l.v)
		default:
			*l.dst = *l.v
		}
	}
	switch {
	case filepath.IsAbs(c.GoMod):
		errs.Add(pos["build.go-mod"], "go-mod must be relative to the book directory, not %q", c.GoMod)
	case c.GoMod != "":
		err := fsx.CheckRegular(filepath.Join(root, filepath.FromSlash(c.GoMod)))
		var notRegular *fsx.NotRegularError
		switch {
		case errors.As(err, &notRegular): // reported below
		case err != nil:
			errs.Add(pos["build.go-mod"], "go-mod %q: no such file", c.GoMod)
		}
	}
	c.RecordHostname = tc.Build.RecordHostname
	// go.mod (by default optional) and the go.sum beside it must be files
	// if they exist: reading a FIFO would block the build.
	if !filepath.IsAbs(c.GoMod) {
		mod := filepath.ToSlash(filepath.Clean(filepath.FromSlash(c.GoMod)))
		if c.GoMod == "" {
			mod = "go.mod"
		}
		for _, name := range []string{mod, path.Join(path.Dir(mod), "go.sum")} {
			err := fsx.CheckRegular(filepath.Join(root, filepath.FromSlash(name)))
			var notRegular *fsx.NotRegularError
			if errors.As(err, &notRegular) {
				at := model.Pos{File: name}
				if name == mod && c.GoMod != "" {
					at = pos["build.go-mod"]
				}
				errs.Add(at, "%s is not a regular file (%s)", name, fsx.Kind(notRegular.Mode))
			}
		}
	}
	for i, ch := range tc.Book.Chapters {
		c.chapters = append(c.chapters, ch)
		c.chapterPos = append(c.chapterPos, pos[fmt.Sprintf("book.chapters[%d]", i)])
		c.partOf = append(c.partOf, -1)
	}
	// Parts list the chapters in their stead: both would say twice what
	// the reading order is.
	for i, part := range tc.Book.Parts {
		key := fmt.Sprintf("book.parts[%d]", i)
		switch {
		case tc.Book.Chapters != nil && i == 0:
			errs.Add(pos["book.chapters[0]"], "[book] chapters and [[book.parts]] both list chapters: list them in the parts only")
		case strings.TrimSpace(part.Title) == "":
			errs.Add(pos[key], "part %d has no title: write title = \"...\" under its [[book.parts]]", i+1)
		case len(part.Chapters) == 0:
			errs.Add(pos[key], "part %q lists no chapters: write chapters = [\"chapters/...md\"] under its [[book.parts]]", part.Title)
		}
		c.parts = append(c.parts, part.Title)
		for j, ch := range part.Chapters {
			c.chapters = append(c.chapters, ch)
			c.chapterPos = append(c.chapterPos, pos[fmt.Sprintf("%s.chapters[%d]", key, j)])
			c.partOf = append(c.partOf, i)
		}
	}
	for i, ch := range tc.Book.Appendices {
		c.appendices = append(c.appendices, ch)
		c.appendixPos = append(c.appendixPos, pos[fmt.Sprintf("book.appendices[%d]", i)])
	}
	return c, errs.Err()
}

var typeErrorRE = regexp.MustCompile(`^cannot decode TOML (\w+) into .* of type (\S+)$`)

// tomlError turns a go-toml error into one positioned at book.toml:LINE:COL.
func tomlError(err error) error {
	// A StrictMissingError also matches *DecodeError through Unwrap, so it
	// must be tested first.
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var errs model.ErrorList
		for i := range strict.Errors {
			e := &strict.Errors[i]
			line, col := e.Position()
			errs.Add(model.Pos{File: ConfigFile, Line: line, Col: col}, "unknown key %q", strings.Join(e.Key(), "."))
		}
		return errs.Err()
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		// go-toml names the Go type of the field; say what book.toml wants.
		if m := typeErrorRE.FindStringSubmatch(msg); m != nil {
			want := map[string]string{"[]string": "an array of strings", "string": "a string", "*int64": "an integer"}[m[2]]
			if want == "" {
				want = m[2]
			}
			msg = fmt.Sprintf("%s must be %s, not a TOML %s", strings.Join(de.Key(), "."), want, m[1])
		}
		return &model.Error{Pos: model.Pos{File: ConfigFile, Line: line, Col: col}, Msg: msg, Err: err}
	}
	return &model.Error{Pos: model.Pos{File: ConfigFile}, Msg: err.Error(), Err: err}
}

// valuePositions maps dotted keys ("build.timeout", "book.chapters[2]") to
// the position of their values in a document that has already decoded
// without error.
func valuePositions(data []byte) map[string]model.Pos {
	out := map[string]model.Pos{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	arrays := map[string]int{} // how many [[key]] tables so far
	at := func(n *unstable.Node) model.Pos {
		s := p.Shape(n.Raw)
		return model.Pos{File: ConfigFile, Line: s.Start.Line, Col: s.Start.Column}
	}
	keyOf := func(n *unstable.Node) []string {
		var parts []string
		for it := n.Key(); it.Next(); {
			parts = append(parts, string(it.Node().Data))
		}
		return parts
	}
	// record notes the value v of key, and the elements and keys inside it.
	// go-toml matches keys to fields regardless of case ([Build] decodes as
	// [build]), so positions are kept under the lower-case key.
	var record func(key string, v *unstable.Node)
	record = func(key string, v *unstable.Node) {
		key = strings.ToLower(key)
		if v.Raw.Length > 0 {
			out[key] = at(v)
		}
		switch v.Kind {
		case unstable.Array:
			i := 0
			for it := v.Children(); it.Next(); i++ {
				record(fmt.Sprintf("%s[%d]", key, i), it.Node())
			}
		case unstable.InlineTable:
			for it := v.Children(); it.Next(); {
				kv := it.Node()
				if kv.Kind == unstable.KeyValue {
					record(key+"."+strings.Join(keyOf(kv), "."), kv.Value())
				}
			}
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = keyOf(e)
		case unstable.ArrayTable:
			// [[book.parts]] is book.parts[0], then book.parts[1], ...
			table = keyOf(e)
			k := strings.ToLower(strings.Join(table, "."))
			last := len(table) - 1
			table[last] = fmt.Sprintf("%s[%d]", table[last], arrays[k])
			arrays[k]++
			if it := e.Key(); it.Next() {
				s := p.Shape(it.Node().Raw)
				out[strings.ToLower(strings.Join(table, "."))] = model.Pos{File: ConfigFile, Line: s.Start.Line, Col: s.Start.Column}
			}
		case unstable.KeyValue:
			record(strings.Join(append(append([]string{}, table...), keyOf(e)...), "."), e.Value())
		}
	}
	return out
}
