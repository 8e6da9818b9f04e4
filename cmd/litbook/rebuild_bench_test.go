package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRebuild measures rebuilds of the bundled book with the litbook
// binary, as a user runs it, in a copy of the book made once: the first
// build there runs whatever the committed results/ lacks for this machine.
//
//	go test ./cmd/litbook -run '^$' -bench Rebuild -benchtime 20x
//
// Each sub-benchmark reports the median wall time of its rebuilds
// (median-ms) and, per rebuild, how many times the go command was started
// (go-calls, through a logging wrapper first on PATH), how many programs
// were compiled and how many runs executed, read from litbook's summary.
func BenchmarkRebuild(b *testing.B) {
	root, bin, env := benchBook(b)
	build := func(b *testing.B) (time.Duration, string) {
		cmd := exec.Command(bin, "build", root)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("litbook build: %v\n%s", err, stderr.String())
		}
		return time.Since(start), stderr.String()
	}
	goCalls := func() int {
		data, _ := os.ReadFile(filepath.Join(root, "go.log"))
		return bytes.Count(data, []byte("\n"))
	}
	run := func(b *testing.B, edit func(i int)) {
		var times []time.Duration
		var calls, compiled, ran int
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			edit(i)
			before := goCalls()
			b.StartTimer()
			d, out := build(b)
			times = append(times, d)
			calls += goCalls() - before
			compiled += count(out, `compiling (\d+) program`)
			ran += count(out, `(?m)^(\d+) runs? (?:ok|\()`)
		}
		slices.Sort(times)
		n := float64(len(times))
		b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
		b.ReportMetric(float64(calls)/n, "go-calls/op")
		b.ReportMetric(float64(compiled)/n, "compiled/op")
		b.ReportMetric(float64(ran)/n, "runs/op")
	}
	chapter := filepath.Join(root, "chapters", "90-authoring.md")
	original, err := os.ReadFile(chapter)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("nothing-changed", func(b *testing.B) {
		run(b, func(int) {})
	})
	b.Run("prose-edit", func(b *testing.B) {
		run(b, func(i int) {
			edited := bytes.Replace(original, []byte("This appendix documents"), []byte("This appendix (edit "+strconv.Itoa(i)+") documents"), 1)
			if err := os.WriteFile(chapter, edited, 0o644); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("program-edit", func(b *testing.B) {
		// greet is called by three runs of the appendix; the append
		// chapter's runs must not run again.
		run(b, func(i int) {
			edited := bytes.Replace(original, []byte(`return "hello,"`), []byte(`return "hello," /* edit `+strconv.Itoa(i)+` */`), 1)
			if err := os.WriteFile(chapter, edited, 0o644); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// count returns the sum of the numbers captured by re in out.
func count(out, re string) int {
	n := 0
	for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(out, -1) {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	return n
}

// benchBook copies the bundled book into a temporary directory, builds the
// litbook binary, and builds the book once. It returns the book's root, the
// binary, and an environment whose PATH starts with a go wrapper that logs
// every call to go.log in the book.
func benchBook(b *testing.B) (root, bin string, env []string) {
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
	bin = filepath.Join(dir, "litbook")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
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
	env = append(os.Environ(), "PATH="+wrap+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd := exec.Command(bin, "build", root)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("first build: %v\n%s", err, out)
	}
	return root, bin, env
}
