// Command overhead measures what litbook adds to each run, against a plain
// shell loop doing the same work, side by side in one run:
//
//	go run ./bench/overhead              # from the repository root
//	go run ./bench/overhead -n 200 -rounds 5 -j 2
//
// It builds litbook from this checkout and a book of n runs that each call
// a trivial compiled program (`$ hello`), and compiles the same program on
// its own. Then, rounds times, alternating which goes first, it times
//
//   - litbook build -rerun -j J on that book: every run again, in its
//     sandbox (fresh directory, captured output, limits, supervision);
//   - a /bin/sh loop that runs the same binary n times, J at a time, each
//     in a fresh mktemp -d directory that it then removes.
//
// It prints the median wall time and CPU time (user+sys of the process and
// every descendant it waited for) of each and their ratios, and saves them
// with the machine and the date in bench/results/overhead.json, from which
// the README quotes them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/litbook/litbook/internal/benchfig"
)

func main() {
	n := flag.Int("n", 200, "runs in the book, and iterations of the loop")
	rounds := flag.Int("rounds", 5, "measurements of each")
	jobs := flag.Int("j", 2, "runs at once, for both")
	save := flag.Bool("save", true, "save the figures in bench/results/overhead.json and the README")
	keep := flag.Bool("keep", false, "keep the work directory")
	flag.Parse()
	if err := run(*n, *rounds, *jobs, *save, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

// sample is one timed command.
type sample = benchfig.Sample

const hello = `package main

import "fmt"

func main() { fmt.Println("hello") }
`

func run(n, rounds, jobs int, save, keep bool) error {
	if _, err := os.Stat("go.mod"); err != nil {
		return errors.New("run it from the repository root: go run ./bench/overhead")
	}
	fig := benchfig.New("overhead", fmt.Sprintf("go run ./bench/overhead -n %d -rounds %d -j %d", n, rounds, jobs))
	work, err := os.MkdirTemp("", "overhead-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	litbook, err := benchfig.BuildLitbook(work)
	if err != nil {
		return err
	}
	book := filepath.Join(work, "book")
	if err := writeBook(book, n); err != nil {
		return err
	}
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(bin, "hello"), "./chapters/hello.go")
	cmd.Dir = book
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build hello: %v\n%s", err, out)
	}
	// The first build compiles hello and fills the results store; every
	// timed build runs everything again.
	if _, err := benchfig.Measure(exec.Command(litbook, "build", "-j", strconv.Itoa(jobs), book)); err != nil {
		return err
	}
	loop := func() *exec.Cmd {
		c := exec.Command("/bin/sh", "-c", loopScript, "sh", filepath.Join(bin, "hello"), strconv.Itoa(n), strconv.Itoa(jobs))
		c.Dir = work
		return c
	}
	lit := func() *exec.Cmd {
		return exec.Command(litbook, "build", "-rerun", "-j", strconv.Itoa(jobs), book)
	}
	fmt.Printf("%d runs of `$ hello`, -j %d, %d rounds, %d CPUs, load average %.2f\n", n, jobs, rounds, runtime.NumCPU(), fig.Load[0])
	var ls, ss []sample
	for i := range rounds {
		order := []func() error{
			func() error { s, err := benchfig.Measure(lit()); ls = append(ls, s); return err },
			func() error { s, err := benchfig.Measure(loop()); ss = append(ss, s); return err },
		}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, f := range order {
			if err := f(); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "round %d/%d: litbook %s (cpu %s), shell %s (cpu %s)\n", i+1, rounds,
			ls[i].Wall.Round(time.Millisecond), ls[i].CPU.Round(time.Millisecond), ss[i].Wall.Round(time.Millisecond), ss[i].CPU.Round(time.Millisecond))
	}
	lw, lc := median(ls, wallOf), median(ls, cpuOf)
	sw, sc := median(ss, wallOf), median(ss, cpuOf)
	fmt.Printf("%-22s %10s %10s %14s\n", "", "wall", "cpu", "wall per run")
	fmt.Printf("%-22s %10s %10s %14s\n", "litbook build -rerun", ms(lw), ms(lc), (lw / time.Duration(n)).Round(10*time.Microsecond))
	fmt.Printf("%-22s %10s %10s %14s\n", "shell loop", ms(sw), ms(sc), (sw / time.Duration(n)).Round(10*time.Microsecond))
	rw, rc := float64(lw)/float64(sw), float64(lc)/float64(sc)
	fmt.Printf("ratio litbook/shell: wall %.2f, cpu %.2f   (target: wall <= 1.5)\n", rw, rc)
	fig.Figures = map[string]float64{
		"runs": float64(n), "jobs": float64(jobs), "rounds": float64(rounds),
		"litbook_wall_s": lw.Seconds(), "litbook_cpu_s": lc.Seconds(),
		"shell_wall_s": sw.Seconds(), "shell_cpu_s": sc.Seconds(),
		"ratio_wall": rw, "ratio_cpu": rc,
		"litbook_ms_per_run": lw.Seconds() * 1000 / float64(n),
		"shell_ms_per_run":   sw.Seconds() * 1000 / float64(n),
	}
	if !save {
		return nil
	}
	return fig.Save(".")
}

// loopScript runs $1 $2 times, $3 at a time, each in a fresh directory
// that it then removes, its output in a file there.
const loopScript = `prog=$1 n=$2 j=$3
worker() {
	i=$1
	while [ "$i" -lt "$n" ]; do
		d=$(mktemp -d)
		(cd "$d" && "$prog" >out 2>err)
		rm -rf "$d"
		i=$((i + j))
	done
}
k=0
while [ "$k" -lt "$j" ]; do
	worker "$k" &
	k=$((k + 1))
done
wait
`

// writeBook writes a book of n runs of hello into dir.
func writeBook(dir string, n int) error {
	if err := os.MkdirAll(filepath.Join(dir, "chapters"), 0o755); err != nil {
		return err
	}
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	if f := strings.Fields(goVersion); len(f) > 0 {
		goVersion = f[0]
	}
	var ch strings.Builder
	ch.WriteString("# Hello, many times\n\n```go program=hello\n" + hello + "```\n")
	for i := range n {
		fmt.Fprintf(&ch, "\n```console run=r%d\n$ hello\n```\n", i)
	}
	files := map[string]string{
		"book.toml":         "[book]\ntitle = \"Overhead\"\n",
		"go.mod":            "module book\n\ngo " + goVersion + "\n",
		"chapters/hello.md": ch.String(),
		"chapters/hello.go": hello, // for the loop's binary, built alone
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func wallOf(s sample) time.Duration { return s.Wall }
func cpuOf(s sample) time.Duration  { return s.CPU }

func median(ss []sample, of func(sample) time.Duration) time.Duration {
	v := make([]time.Duration, len(ss))
	for i, s := range ss {
		v[i] = of(s)
	}
	return benchfig.Median(v)
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
