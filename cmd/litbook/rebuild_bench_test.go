package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/litbook/litbook/internal/benchfig"
	"github.com/litbook/litbook/pipeline"
)

// BenchmarkRebuild measures rebuilds of the bundled book through the
// pipeline, in-process, as litbook build does them, in a copy of the book
// made once: the first build there runs whatever the committed results/
// lacks for this machine.
//
//	go test ./cmd/litbook -run '^$' -bench Rebuild -benchtime 20x
//
// Each sub-benchmark reports the median wall time of its rebuilds
// (median-ms) and, per rebuild, how many times the go command was started
// (go-calls, through a logging wrapper first on PATH), how many programs
// were compiled and how many runs executed, as the pipeline's result
// counts them. When all three ran, their figures go, with the machine and
// the date, to bench/results/rebuild.json and the README.
func BenchmarkRebuild(b *testing.B) {
	fig := benchfig.New("rebuild", "go test ./cmd/litbook -run '^$' -bench Rebuild -benchtime 20x")
	root := benchBook(b)
	build := func(b *testing.B) (time.Duration, *pipeline.Result) {
		var stderr bytes.Buffer
		start := time.Now()
		built, err := buildSite(context.Background(), &env{stdout: io.Discard, stderr: &stderr, bookArg: root}, &options{jobs: runtime.NumCPU(), stamp: true}, root)
		if err != nil {
			b.Fatalf("litbook build: %v\n%s", err, stderr.String())
		}
		return time.Since(start), built.result
	}
	goCalls := func() int {
		data, _ := os.ReadFile(filepath.Join(root, "go.log"))
		return bytes.Count(data, []byte("\n"))
	}
	subs := 0 // sub-benchmarks that ran
	run := func(b *testing.B, name string, edit func(i int)) {
		subs++
		var times []time.Duration
		var calls, compiled, ran int
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			edit(i)
			before := goCalls()
			b.StartTimer()
			d, res := build(b)
			times = append(times, d)
			calls += goCalls() - before
			compiled += res.Compiled
			ran += res.Ran
		}
		slices.Sort(times)
		n := float64(len(times))
		med := float64(times[len(times)/2].Microseconds()) / 1000
		b.ReportMetric(med, "median-ms")
		b.ReportMetric(float64(calls)/n, "go-calls/op")
		b.ReportMetric(float64(compiled)/n, "compiled/op")
		b.ReportMetric(float64(ran)/n, "runs/op")
		fig.Figures[name+"_ms"] = med
		fig.Figures[name+"_go_calls"] = float64(calls) / n
		fig.Figures[name+"_compiled"] = float64(compiled) / n
		fig.Figures[name+"_runs"] = float64(ran) / n
		fig.Figures["rebuilds"] = n
	}
	chapter := filepath.Join(root, "chapters", "90-authoring.md")
	original, err := os.ReadFile(chapter)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("nothing-changed", func(b *testing.B) {
		run(b, "nothing", func(int) {})
	})
	b.Run("prose-edit", func(b *testing.B) {
		run(b, "prose", func(i int) {
			edited := bytes.Replace(original, []byte("This appendix documents"), []byte("This appendix (edit "+strconv.Itoa(i)+") documents"), 1)
			if err := os.WriteFile(chapter, edited, 0o644); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("program-edit", func(b *testing.B) {
		// greet is called by three runs of the appendix; the append
		// chapter's runs must not run again.
		run(b, "program", func(i int) {
			edited := bytes.Replace(original, []byte(`return "hello,"`), []byte(`return "hello," /* edit `+strconv.Itoa(i)+` */`), 1)
			if err := os.WriteFile(chapter, edited, 0o644); err != nil {
				b.Fatal(err)
			}
		})
	})
	if subs == 3 {
		if err := fig.Save("../.."); err != nil {
			b.Error(err)
		}
	}
}

// benchBook copies the bundled book into a temporary directory and builds
// it once. It returns the book's root, and sets PATH to start with a go
// wrapper that logs every call to go.log in the book.
func benchBook(b *testing.B) (root string) {
	b.Helper()
	dir := b.TempDir()
	root = filepath.Join(dir, "book")
	repo, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	cp := exec.Command("sh", "-c", `mkdir -p "$2" && cd "$1" && cp -R book.toml go.mod go.sum chapters "$2"/ && if [ -d results ]; then cp -R results "$2"/; fi`, "sh", repo, root)
	if out, err := cp.CombinedOutput(); err != nil {
		b.Fatalf("copying the book: %v\n%s", err, out)
	}
	// The wrapper sits in a GOROOT-like tree with the real VERSION file, as
	// a real toolchain does, so that litbook can read the version without
	// starting go.
	realGo, err := exec.LookPath("go")
	if err != nil {
		b.Fatal(err)
	}
	goroot, err := exec.Command(realGo, "env", "GOROOT").Output()
	if err != nil {
		b.Fatal(err)
	}
	wrap := filepath.Join(dir, "go", "bin")
	if err := os.MkdirAll(wrap, 0o755); err != nil {
		b.Fatal(err)
	}
	version, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "VERSION"))
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go", "VERSION"), version, 0o644); err != nil {
		b.Fatal(err)
	}
	script := "#!/bin/sh\necho \"$@\" >> " + filepath.Join(root, "go.log") + "\nexec " + realGo + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(wrap, "go"), []byte(script), 0o755); err != nil {
		b.Fatal(err)
	}
	b.Setenv("PATH", wrap+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stderr bytes.Buffer
	if _, err := buildSite(context.Background(), &env{stdout: io.Discard, stderr: &stderr, bookArg: root}, &options{jobs: runtime.NumCPU()}, root); err != nil {
		b.Fatalf("first build: %v\n%s", err, stderr.String())
	}
	return root
}
