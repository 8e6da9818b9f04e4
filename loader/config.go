package loader

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
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
		SiteURL     string   `toml:"site-url"`
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

// rawConfig is tomlConfig with its values untyped, as decoded.
type rawConfig struct {
	Book struct {
		Title       any `toml:"title"`
		Authors     any `toml:"authors"`
		Language    any `toml:"language"`
		Description any `toml:"description"`
		SiteURL     any `toml:"site-url"`
		Chapters    any `toml:"chapters"`
		Appendices  any `toml:"appendices"`
		Parts       []struct {
			Title    any `toml:"title"`
			Chapters any `toml:"chapters"`
		} `toml:"parts"`
	} `toml:"book"`
	Build struct {
		RecordHostname any `toml:"record-hostname"`
		BuildDir       any `toml:"build-dir"`
		GoMod          any `toml:"go-mod"`
		Timeout        any `toml:"timeout"`
		OutputLimit    any `toml:"output-limit"`
		FileSizeLimit  any `toml:"file-size-limit"`
		ProcessLimit   any `toml:"process-limit"`
	} `toml:"build"`
}

// typed returns the values of r that have the type book.toml wants, and
// adds an error at its position for each that has not.
func (r *rawConfig) typed(pos map[string]model.Pos, errs *model.ErrorList) *tomlConfig {
	var tc tomlConfig
	at := func(key string) model.Pos {
		if p, ok := pos[key]; ok {
			return p
		}
		return model.Pos{File: ConfigFile}
	}
	wrong := func(key, want string, v any) {
		errs.Add(at(key), "%s must be %s, not a TOML %s", key, want, tomlKind(v))
	}
	str := func(key string, v any, dst *string) {
		switch v := v.(type) {
		case nil:
		case string:
			*dst = v
		default:
			wrong(key, "a string", v)
		}
	}
	strs := func(key string, v any, dst *[]string) {
		if v == nil {
			return
		}
		list, ok := v.([]any)
		if !ok {
			wrong(key, "an array of strings", v)
			return
		}
		out := []string{}
		for i, e := range list {
			if s, ok := e.(string); ok {
				out = append(out, s)
			} else {
				wrong(fmt.Sprintf("%s[%d]", key, i), "a string", e)
			}
		}
		*dst = out
	}
	integer := func(key string, v any, dst **int64) {
		switch v := v.(type) {
		case nil:
		case int64:
			*dst = &v
		default:
			wrong(key, "an integer", v)
		}
	}
	str("book.title", r.Book.Title, &tc.Book.Title)
	strs("book.authors", r.Book.Authors, &tc.Book.Authors)
	str("book.language", r.Book.Language, &tc.Book.Language)
	str("book.description", r.Book.Description, &tc.Book.Description)
	str("book.site-url", r.Book.SiteURL, &tc.Book.SiteURL)
	strs("book.chapters", r.Book.Chapters, &tc.Book.Chapters)
	strs("book.appendices", r.Book.Appendices, &tc.Book.Appendices)
	for i, part := range r.Book.Parts {
		tc.Book.Parts = append(tc.Book.Parts, struct {
			Title    string   `toml:"title"`
			Chapters []string `toml:"chapters"`
		}{})
		key := fmt.Sprintf("book.parts[%d]", i)
		str(key+".title", part.Title, &tc.Book.Parts[i].Title)
		strs(key+".chapters", part.Chapters, &tc.Book.Parts[i].Chapters)
	}
	switch v := r.Build.RecordHostname.(type) {
	case nil:
	case bool:
		tc.Build.RecordHostname = v
	default:
		wrong("build.record-hostname", "true or false", v)
	}
	str("build.build-dir", r.Build.BuildDir, &tc.Build.BuildDir)
	str("build.go-mod", r.Build.GoMod, &tc.Build.GoMod)
	str("build.timeout", r.Build.Timeout, &tc.Build.Timeout)
	integer("build.output-limit", r.Build.OutputLimit, &tc.Build.OutputLimit)
	integer("build.file-size-limit", r.Build.FileSizeLimit, &tc.Build.FileSizeLimit)
	integer("build.process-limit", r.Build.ProcessLimit, &tc.Build.ProcessLimit)
	return &tc
}

// tomlKind names the TOML type of a decoded value.
func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "table"
	case time.Time, toml.LocalDateTime, toml.LocalDate, toml.LocalTime:
		return "date or time"
	}
	return fmt.Sprintf("%T", v)
}

// utf8BOM is the UTF-8 byte order mark.
var utf8BOM = []byte("\ufeff")

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
	// Editors that write a byte order mark mean nothing by it.
	data = bytes.TrimPrefix(data, utf8BOM)
	// Decode with every value untyped, so that one wrong type does not
	// hide the others: each is checked below, at its position.
	var raw rawConfig
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var errs model.ErrorList
	if err := dec.Decode(&raw); err != nil {
		var strict *toml.StrictMissingError
		if !errors.As(err, &strict) {
			return nil, tomlError(err)
		}
		errs.Append(tomlError(err))
	}
	unknown := len(errs) > 0
	pos := valuePositions(data)
	tc := raw.typed(pos, &errs)
	if unknown {
		// What the book meant is unclear: no config.
		errs.Sort()
		return nil, errs.Err()
	}
	// A value of the wrong type is reported with the other bad values,
	// and its default used meanwhile.
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
	c.limits(tc, pos, &errs)
	c.checkGoMod(root, pos, &errs)
	c.RecordHostname = tc.Build.RecordHostname
	c.siteURL(tc.Book.SiteURL, pos, &errs)
	c.lists(tc, pos, &errs)
	errs.Sort()
	return c, errs.Err()
}

// siteURL sets where the site will be published, for pages that a server
// shows at paths other than their own (the not-found page): an absolute
// path or an http(s) URL, ending in a slash.
func (c *config) siteURL(v string, pos map[string]model.Pos, errs *model.ErrorList) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || !(u.Scheme == "" && strings.HasPrefix(u.Path, "/") && u.Host == "" || (u.Scheme == "http" || u.Scheme == "https") && u.Host != "") || u.RawQuery != "" || u.Fragment != "" {
		errs.Add(pos["book.site-url"], "site-url %q must be where the site is published: an absolute path such as \"/my-book/\" or a URL such as \"https://example.org/my-book/\"", v)
		return
	}
	if !strings.HasSuffix(v, "/") {
		v += "/"
	}
	c.SiteURL = v
}

// limits sets the run limits of c from tc, reporting bad values at pos.
func (c *config) limits(tc *tomlConfig, pos map[string]model.Pos, errs *model.ErrorList) {
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
}

// checkGoMod reports a go-mod that is not a file of the book, and a go.mod
// or go.sum (by default optional) that exists but is not a regular file:
// reading a FIFO would block the build.
func (c *config) checkGoMod(root string, pos map[string]model.Pos, errs *model.ErrorList) {
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
}

// lists sets the chapters, parts and appendices of c from tc, in reading
// order, each with the position that names it.
func (c *config) lists(tc *tomlConfig, pos map[string]model.Pos, errs *model.ErrorList) {
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
			key := strings.Join(append(append([]string{}, table...), keyOf(e)...), ".")
			record(key, e.Value())
			if _, ok := out[strings.ToLower(key)]; !ok {
				// An array or inline table has no raw text of its own:
				// its value starts after the key's "=".
				if off := valueOffset(data, e); off >= 0 {
					s := p.Shape(unstable.Range{Offset: uint32(off), Length: 1})
					out[strings.ToLower(key)] = model.Pos{File: ConfigFile, Line: s.Start.Line, Col: s.Start.Column}
				}
			}
		}
	}
	return out
}

// valueOffset returns the offset in data of the value of the key-value
// expression e: the first byte after the "=" that follows its key that is
// not a space or tab, or -1.
func valueOffset(data []byte, e *unstable.Node) int {
	end := -1
	for it := e.Key(); it.Next(); {
		if r := it.Node().Raw; r.Length > 0 {
			end = int(r.Offset + r.Length)
		}
	}
	if end < 0 || end > len(data) {
		return -1
	}
	eq := bytes.IndexByte(data[end:], '=')
	if eq < 0 {
		return -1
	}
	i := end + eq + 1
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	if i >= len(data) {
		return -1
	}
	return i
}
