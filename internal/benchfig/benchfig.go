// Package benchfig records what litbook's benchmarks measure, with the
// machine and the date, in bench/results/NAME.json, and writes the README's
// figures from those files: every measured figure in README.md sits between
// <!-- bench:NAME --> and <!-- /bench:NAME --> and is generated from the
// latest file, so that none is typed by hand (TestREADME fails when the
// README and the files differ).
package benchfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"golang.org/x/sys/unix"
)

// Machine is what a figure was measured on.
type Machine struct {
	CPU    string `json:"cpu"`    // model name, from /proc/cpuinfo
	CPUs   int    `json:"cpus"`   // runtime.NumCPU
	Kernel string `json:"kernel"` // uname release
	Go     string `json:"go"`     // runtime.Version of the benchmark
}

// File is one benchmark's latest figures.
type File struct {
	Benchmark string    `json:"benchmark"`
	Command   string    `json:"command"` // how to measure them again
	Date      time.Time `json:"date"`
	Machine   Machine   `json:"machine"`
	// Load is the load average (1, 5 and 15 minutes) when the benchmark
	// started: the machine may be shared.
	Load    [3]float64         `json:"load"`
	Figures map[string]float64 `json:"figures"`
	Notes   map[string]string  `json:"notes,omitempty"` // versions and the like
}

// ThisMachine describes the machine the caller runs on.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// LoadAverage returns the load average of the last 1, 5 and 15 minutes.
func LoadAverage() [3]float64 {
	var l [3]float64
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	for i, f := range strings.Fields(string(data)) {
		if i == 3 {
			break
		}
		l[i], _ = strconv.ParseFloat(f, 64)
	}
	return l
}

// New starts the file of a benchmark: the machine, the date and the load
// average now.
func New(benchmark, command string) *File {
	return &File{Benchmark: benchmark, Command: command, Date: time.Now().UTC().Truncate(time.Second), Machine: ThisMachine(), Load: LoadAverage(), Figures: map[string]float64{}, Notes: map[string]string{}}
}

// Dir is the directory of the results files, relative to the repository's
// root.
const Dir = "bench/results"

// Save writes f to bench/results/NAME.json under root, the repository's
// root, and regenerates the README's block for it.
func (f *File) Save(root string) error {
	if _, ok := blocks[f.Benchmark]; !ok {
		return fmt.Errorf("benchfig: no README block for benchmark %q", f.Benchmark)
	}
	data, err := json.MarshalIndent(f, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, Dir), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, Dir, f.Benchmark+".json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	return UpdateREADME(root)
}

// Load reads the file of a benchmark from under root.
func Load(root, benchmark string) (*File, error) {
	data, err := os.ReadFile(filepath.Join(root, Dir, benchmark+".json"))
	if err != nil {
		return nil, err
	}
	f := new(File)
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(Dir, benchmark+".json"), err)
	}
	return f, nil
}

// Text is f's block of the README.
func (f *File) Text() (string, error) {
	src, ok := blocks[f.Benchmark]
	if !ok {
		return "", fmt.Errorf("benchfig: no README block for benchmark %q", f.Benchmark)
	}
	t, err := template.New(f.Benchmark).Option("missingkey=error").Funcs(template.FuncMap{
		"f": func(key string, prec int) (string, error) {
			v, ok := f.Figures[key]
			if !ok {
				return "", fmt.Errorf("%s.json has no figure %q", f.Benchmark, key)
			}
			return strconv.FormatFloat(v, 'f', prec, 64), nil
		},
		"note": func(key string) (string, error) {
			v, ok := f.Notes[key]
			if !ok {
				return "", fmt.Errorf("%s.json has no note %q", f.Benchmark, key)
			}
			return v, nil
		},
	}).Parse(src)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, f); err != nil {
		return "", err
	}
	return wrap(strings.Join(strings.Fields(b.String()), " ")+" "+f.measuredOn(), 74), nil
}

// measuredOn says where and when f was measured.
func (f *File) measuredOn() string {
	return fmt.Sprintf("(Measured %s on %s, %d CPUs, Linux %s, %s, load average %.2f, by `%s`; figures in `%s/%s.json`.)",
		f.Date.Format("2006-01-02 15:04 UTC"), f.Machine.CPU, f.Machine.CPUs, f.Machine.Kernel, f.Machine.Go, f.Load[0], f.Command, Dir, f.Benchmark)
}

// wrap breaks s into lines of at most width bytes where it can.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

func marks(benchmark string) (begin, end string) {
	return "<!-- bench:" + benchmark + " -->\n", "\n<!-- /bench:" + benchmark + " -->"
}

// Expected returns the README under root as the latest results files make
// it: each block between its marks replaced by its file's text. A block
// whose file is missing is an error.
func Expected(root string) (current, want []byte, err error) {
	return expected(root, true)
}

// expected is Expected; unless strict, a block whose file is missing is
// left as it is, so that one benchmark can be run before the others.
func expected(root string, strict bool) (current, want []byte, err error) {
	current, err = os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return nil, nil, err
	}
	want = slices.Clone(current)
	names := make([]string, 0, len(blocks))
	for name := range blocks {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		begin, end := marks(name)
		i := bytes.Index(want, []byte(begin))
		if i < 0 {
			continue
		}
		j := bytes.Index(want[i:], []byte(end))
		if j < 0 {
			return nil, nil, fmt.Errorf("README.md: %s has no closing %s", strings.TrimSpace(begin), strings.TrimSpace(end))
		}
		f, err := Load(root, name)
		if errors.Is(err, fs.ErrNotExist) && !strict {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("README.md quotes %s: %v", name, err)
		}
		text, err := f.Text()
		if err != nil {
			return nil, nil, err
		}
		want = slices.Concat(want[:i+len(begin)], []byte(text), want[i+j:])
	}
	return current, want, nil
}

// UpdateREADME rewrites the README's blocks under root from the latest
// results files.
func UpdateREADME(root string) error {
	current, want, err := expected(root, false)
	if err != nil {
		return err
	}
	if bytes.Equal(current, want) {
		return nil
	}
	return os.WriteFile(filepath.Join(root, "README.md"), want, 0o644)
}
