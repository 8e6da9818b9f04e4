// Command renderbench measures how fast litbook renders a large book,
// against Hugo on the same Markdown, in one run on one machine:
//
//	go run ./site/internal/renderbench            # from the repository root
//	go run ./site/internal/renderbench -n 1000 -runs 5 -growth 125,250,500,1000
//	go run ./site/internal/renderbench -n 1000 -serve 15
//
// It makes a corpus of n chapters (prose, headings, tables and Go code
// blocks, no runs: see writeCorpus), wraps the same Markdown as a Hugo site
// (chroma highlighting, a sidebar listing every chapter on every page: see
// hugoSite), builds litbook from this checkout, and then, runs times,
// alternating which goes first:
//
//   - litbook cold: no site, no .litbook work directory (no highlight cache);
//   - Hugo cold: no public/ or resources/, a fresh HUGO_CACHEDIR;
//   - litbook with nothing changed: the same build again;
//   - litbook after an edit to one chapter.
//
// It prints the median, fastest and slowest wall time and peak RSS (the
// process's ru_maxrss) of each, and three ratios against their targets:
// litbook's cold build to Hugo's (at most 1), the nothing-changed rebuild
// to Hugo's cold build (at most 1%), and the peak RSS of both cold builds
// (below 1).
// With -growth it also builds corpora of several sizes and prints the total
// size of litbook's output, per chapter, to show that it grows linearly.
// With -serve it measures instead how long an edit takes to reach an open
// page under litbook serve and hugo server (see serveBench), and writes
// bench/results/serve.json.
// Unless -save=false, it writes its figures, with the machine and the date,
// to bench/results/render.json and the README's render speed section.
//
// Hugo comes from Debian's hugo package (apt-get install hugo).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/litbook/litbook/internal/benchfig"
)

func main() {
	n := flag.Int("n", 1000, "chapters in the corpus")
	runs := flag.Int("runs", 5, "builds of each kind")
	growth := flag.String("growth", "", "comma-separated chapter counts for which to measure litbook's output size")
	keep := flag.Bool("keep", false, "keep the corpus directory")
	save := flag.Bool("save", true, "save the figures in bench/results/render.json (serve.json with -serve) and the README")
	edits := flag.Int("serve", 0, "measure instead edit-to-reload under litbook serve and hugo server, with this many edits each")
	flag.Parse()
	name := "render"
	if *edits > 0 {
		name = "serve"
	}
	fig := benchfig.New(name, strings.Join(append([]string{"go run ./site/internal/renderbench"}, os.Args[1:]...), " "))
	if err := run(fig, *n, *runs, *growth, *keep, *edits); err != nil {
		fmt.Fprintln(os.Stderr, "renderbench:", err)
		os.Exit(1)
	}
	if !*save {
		return
	}
	if err := fig.Save("."); err != nil {
		fmt.Fprintln(os.Stderr, "renderbench:", err)
		os.Exit(1)
	}
}

// sample is one timed build.
type sample = benchfig.Sample

func run(fig *benchfig.File, n, runs int, growth string, keep bool, edits int) error {
	if _, err := os.Stat("go.mod"); err != nil {
		return errors.New("run it from the repository root: go run ./site/internal/renderbench")
	}
	hugo, err := exec.LookPath("hugo")
	if err != nil {
		return errors.New("hugo is not installed: apt-get install hugo")
	}
	hv, _ := exec.Command(hugo, "version").Output()
	fig.Notes["hugo"] = strings.TrimSpace(hugoVersion(string(hv)))
	sizes, err := parseGrowth(growth) // before minutes of building
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "renderbench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("corpus in", work)
	} else {
		defer os.RemoveAll(work)
	}
	litbook, err := benchfig.BuildLitbook(work)
	if err != nil {
		return err
	}
	rev, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	fmt.Printf("litbook %s vs %s", strings.TrimSpace(string(rev)), hv)
	fmt.Printf("%d chapters, %d builds of each kind, %d CPUs\n\n", n, runs, runtime.NumCPU())

	book := filepath.Join(work, "corpus")
	if err := writeCorpus(book, n); err != nil {
		return err
	}
	if err := hugoSite(book); err != nil {
		return err
	}
	site := filepath.Join(book, "hugo")
	hugoCache := filepath.Join(work, "hugo-cache")
	if edits > 0 {
		return serveBench(fig, litbook, hugo, book, n, edits)
	}

	litCold := func() (sample, error) {
		if err := removeAll(filepath.Join(book, "book"), filepath.Join(book, ".litbook")); err != nil {
			return sample{}, err
		}
		return benchfig.Measure(exec.Command(litbook, "build", book))
	}
	litAgain := func() (sample, error) { return benchfig.Measure(exec.Command(litbook, "build", book)) }
	edited := 0
	litEdit := func() (sample, error) {
		edited++
		f, err := os.OpenFile(filepath.Join(book, "chapters", "ch"+pad(1, n)+".md"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return sample{}, err
		}
		fmt.Fprintf(f, "\nEdit %d.\n", edited)
		f.Close()
		return benchfig.Measure(exec.Command(litbook, "build", book))
	}
	hugoCold := func() (sample, error) {
		if err := removeAll(filepath.Join(site, "public"), filepath.Join(site, "resources"), hugoCache); err != nil {
			return sample{}, err
		}
		cmd := exec.Command(hugo, "--quiet", "-s", site)
		cmd.Env = append(os.Environ(), "HUGO_CACHEDIR="+hugoCache)
		return benchfig.Measure(cmd)
	}

	var lc, hc, la, le []sample
	for i := range runs {
		order := []func() error{
			func() error { s, err := litCold(); lc = append(lc, s); return err },
			func() error { s, err := hugoCold(); hc = append(hc, s); return err },
		}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, f := range order {
			if err := f(); err != nil {
				return err
			}
		}
		s, err := litAgain()
		if err != nil {
			return err
		}
		la = append(la, s)
		if s, err = litEdit(); err != nil {
			return err
		}
		le = append(le, s)
		fmt.Fprintf(os.Stderr, "run %d/%d: litbook cold %s, hugo cold %s, nothing changed %s, one edit %s\n",
			i+1, runs, lc[i].Wall.Round(time.Millisecond), hc[i].Wall.Round(time.Millisecond), la[i].Wall.Round(time.Millisecond), le[i].Wall.Round(time.Millisecond))
	}

	fmt.Printf("%-30s %10s %10s %10s %12s %12s\n", "build", "median", "fastest", "slowest", "RSS median", "RSS max")
	row := func(name string, ss []sample) {
		w, r := walls(ss), rsss(ss)
		fmt.Printf("%-30s %10s %10s %10s %9d MiB %9d MiB\n", name, ms(benchfig.Median(w)), ms(w[0]), ms(w[len(w)-1]), benchfig.Median(r)/1024, r[len(r)-1]/1024)
	}
	row("litbook, cold", lc)
	row("hugo, cold", hc)
	row("litbook, nothing changed", la)
	row("litbook, one chapter edited", le)
	hugoMed := benchfig.Median(walls(hc))
	fmt.Println()
	coldRatio := float64(benchfig.Median(walls(lc))) / float64(hugoMed)
	againPct := 100 * float64(benchfig.Median(walls(la))) / float64(hugoMed)
	fmt.Printf("cold build ratio litbook/hugo:               %.2f   (target <= 1.00)\n", coldRatio)
	fmt.Printf("nothing-changed rebuild / hugo cold:         %.2f%%  (target <= 1%%)\n", againPct)
	fmt.Printf("peak RSS litbook cold / hugo cold (max):     %.2f   (target < 1.00)\n", float64(rsss(lc)[len(lc)-1])/float64(rsss(hc)[len(hc)-1]))
	out, _ := dirSize(filepath.Join(book, "book"))
	hout, _ := dirSize(filepath.Join(site, "public"))
	fmt.Printf("output: litbook %.1f MB, hugo %.1f MB\n", float64(out)/1e6, float64(hout)/1e6)
	fig.Figures = map[string]float64{
		"chapters": float64(n), "runs": float64(runs),
		"litbook_cold_s": benchfig.Median(walls(lc)).Seconds(), "hugo_cold_s": hugoMed.Seconds(),
		"cold_ratio":        coldRatio,
		"nothing_changed_s": benchfig.Median(walls(la)).Seconds(), "nothing_changed_pct": againPct,
		"one_edit_s":      benchfig.Median(walls(le)).Seconds(),
		"litbook_rss_mib": float64(benchfig.Median(rsss(lc))) / 1024, "hugo_rss_mib": float64(benchfig.Median(rsss(hc))) / 1024,
		"output_kb_per_chapter": float64(out) / float64(n) / 1000,
	}

	if len(sizes) == 0 {
		return nil
	}
	return growthBench(fig, litbook, work, sizes, keep)
}

// parseGrowth reads -growth: corpus sizes, comma-separated.
func parseGrowth(growth string) ([]int, error) {
	if growth == "" {
		return nil, nil
	}
	var sizes []int
	for _, f := range strings.Split(growth, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 1 {
			return nil, fmt.Errorf("-growth: bad count %q", f)
		}
		sizes = append(sizes, k)
	}
	return sizes, nil
}

// growthBench builds a corpus of each size with litbook and prints the
// size of its output per chapter, to show that it grows linearly.
func growthBench(fig *benchfig.File, litbook, work string, sizes []int, keep bool) error {
	var perChapter []float64
	fmt.Printf("\n%-10s %14s %16s %16s\n", "chapters", "litbook output", "bytes/chapter", "largest page")
	for _, k := range sizes {
		dir := filepath.Join(work, "growth-"+strconv.Itoa(k))
		if err := writeCorpus(dir, k); err != nil {
			return err
		}
		if _, err := benchfig.Measure(exec.Command(litbook, "build", dir)); err != nil {
			return err
		}
		total, largest := dirSize(filepath.Join(dir, "book"))
		perChapter = append(perChapter, float64(total)/float64(k)/1000)
		fmt.Printf("%-10d %11.1f MB %16d %13d KB (%s)\n", k, float64(total)/1e6, total/int64(k), largest.size/1024, largest.name)
		if !keep {
			os.RemoveAll(dir)
		}
	}
	fig.Figures["growth_smallest_chapters"] = float64(sizes[0])
	fig.Figures["growth_kb_per_chapter_min"] = slices.Min(perChapter)
	fig.Figures["growth_kb_per_chapter_max"] = slices.Max(perChapter)
	return nil
}

// hugoVersion is the version in hugo version's output ("hugo v0.111.3+extended
// linux/amd64 BuildDate=..."): its first two words.
func hugoVersion(out string) string {
	f := strings.Fields(out)
	if len(f) > 2 {
		f = f[:2]
	}
	return strings.Join(f, " ")
}

func removeAll(paths ...string) error {
	for _, p := range paths {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}

type file struct {
	name string
	size int64
}

// dirSize returns the total size of the files under dir, and the largest.
func dirSize(dir string) (int64, file) {
	var total int64
	var largest file
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			total += fi.Size()
			if fi.Size() > largest.size {
				largest = file{d.Name(), fi.Size()}
			}
		}
		return nil
	})
	return total, largest
}

func walls(ss []sample) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = s.Wall
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func rsss(ss []sample) []int64 {
	out := make([]int64, len(ss))
	for i, s := range ss {
		out[i] = s.MaxRSS
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

// pad formats i as writeCorpus names chapters: as wide as n.
func pad(i, n int) string {
	return fmt.Sprintf("%0*d", len(strconv.Itoa(n)), i)
}
