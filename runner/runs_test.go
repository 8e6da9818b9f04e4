package runner

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/internal/inputs"
	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner/supervise"
	"golang.org/x/sys/unix"
)

// helperName is the name under which the test binary acts as a helper
// program of a run (see TestMain).
const helperName = "litbook-helper"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == helperName {
		os.Exit(helper(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// helper is a program for the runs of these tests.
func helper(args []string) int {
	if len(args) == 0 {
		return 2
	}
	switch args[0] {
	case "interleave":
		// interleave N: writes "1 out", "2 err", "3 out"... up to N, to
		// stdout and stderr in turn, each time waiting until litbook has
		// taken the write out of its pipe before writing to the other:
		// the order litbook promises to keep (see sequence in exec.go).
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return 2
		}
		for i := 1; i <= n; i++ {
			fd, name := 1, "out"
			if i%2 == 0 {
				fd, name = 2, "err"
			}
			if _, err := unix.Write(fd, []byte(fmt.Sprintf("%d %s\n", i, name))); err != nil {
				return 1
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				n, err := unix.IoctlGetInt(fd, unix.TIOCINQ)
				if err != nil || n == 0 {
					break
				}
				if time.Now().After(deadline) {
					return 1
				}
				time.Sleep(100 * time.Microsecond) // polling the pipe's state
			}
		}
	case "listen":
		// listen ADDR DIR ME OTHER: listens on ADDR, says so by making
		// DIR/ME, and holds the port until DIR/OTHER exists.
		l, err := net.Listen("tcp", args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer l.Close()
		fmt.Println("listening on", args[1])
		if err := os.WriteFile(filepath.Join(args[2], args[3]), nil, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(args[2], args[4])); err == nil {
				return 0
			}
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "the other run never listened")
				return 1
			}
		}
	case "dial":
		c, err := net.DialTimeout("tcp", args[1], 5*time.Second)
		if err != nil {
			fmt.Println("unreachable")
			return 0
		}
		c.Close()
		fmt.Println("connected")
	}
	return 0
}

// helperPath returns a directory, visible to runs, that holds the test
// binary as helperName.
func helperPath(t *testing.T) string {
	t.Helper()
	dir := sharedDir(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := copyFile(self, filepath.Join(dir, helperName), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runWith runs b's runs with dir first on their PATH.
func runWith(t *testing.T, b *model.Book, dir string) []*model.Result {
	t.Helper()
	rn := &Runner{Supervisor: testSupervisor(), TempDir: t.TempDir()}
	progs := &Programs{BinDir: t.TempDir(), GoVersion: "go-test", PathDirs: map[string]string{"chapters/t.md": dir}}
	records, err := rn.Run(context.Background(), b, b.Runs, progs)
	if err != nil {
		t.Fatal(err)
	}
	var out []*model.Result
	for _, rec := range records {
		out = append(out, rec.Trials[0])
	}
	return out
}

func TestStdinEnvAndFiles(t *testing.T) {
	b := book(t,
		"cat\ncat\ncat in.txt\nls -R tree\n./tree/run.sh\necho \"$GREETING|$LIST|$LANG\"",
		"cat >copy.txt\nrm -r tree\nrm in.txt\nls",
	)
	write := func(name, content string, mode os.FileMode) {
		p := filepath.Join(b.Root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("chapters/in.txt", "from the book\n", 0o644)
	write("chapters/tree/run.sh", "#!/bin/sh\necho ran\n", 0o755)
	write("chapters/tree/sub/f", "f\n", 0o644)
	for _, r := range b.Runs {
		r.Stdin = digested(t, b.Root, model.Input{Path: "chapters/in.txt"})
		r.Files = []model.Input{*digested(t, b.Root, model.Input{Path: "chapters/in.txt", Name: "in.txt"}), *digested(t, b.Root, model.Input{Path: "chapters/tree", Name: "tree", Dir: true})}
		r.Env = []string{"GREETING=hello", "LIST=a,b", "LANG=C"}
	}
	res := runBook(t, context.Background(), &Runner{}, b)
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	got := func(i int) string { return string(res[0].Commands[i].Stdout.Data) }
	want := []string{"from the book\n", "", "from the book\n", "tree:\nrun.sh\nsub\n\ntree/sub:\nf\n", "ran\n", "hello|a,b|C\n"}
	for i, w := range want {
		if got(i) != w {
			t.Errorf("command %d (%s): stdout %q, want %q", i+1, b.Runs[0].Commands[i].Text, got(i), w)
		}
	}
	// Every trial gets fresh copies: the second run removes its own.
	if res[1].Err != nil {
		t.Fatal(res[1].Err)
	}
	if _, err := os.Stat(filepath.Join(b.Root, "chapters/tree/run.sh")); err != nil {
		t.Errorf("a run removed the book's file: %v", err)
	}
	if got := string(res[1].Commands[3].Stdout.Data); got != "copy.txt\n" {
		t.Errorf("ls after removing the copies: %q", got)
	}
}

// digested returns in with the digest of its content under root, as the
// loader sets it.
func digested(t *testing.T, root string, in model.Input) *model.Input {
	t.Helper()
	d, err := inputs.Digest(filepath.Join(root, filepath.FromSlash(in.Path)))
	if err != nil {
		t.Fatal(err)
	}
	in.Digest = d
	return &in
}

// TestInputChangedDuringBuild edits the files of stdin= and files= after
// they were digested (as the loader does) and before the runs copy them:
// each run must fail at its block, naming the file, rather than run on
// content that its key does not cover.
func TestInputChangedDuringBuild(t *testing.T) {
	b := book(t, "cat", "cat in.txt", "cat tree/f", "cat")
	write := func(name, content string) {
		t.Helper()
		if err := fsx.WriteAtomic(filepath.Join(b.Root, filepath.FromSlash(name)), false, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	write("chapters/in.txt", "old\n")
	write("chapters/tree/f", "old\n")
	write("chapters/same.txt", "same\n")
	b.Runs[0].Stdin = digested(t, b.Root, model.Input{Path: "chapters/in.txt"})
	b.Runs[1].Files = []model.Input{*digested(t, b.Root, model.Input{Path: "chapters/in.txt", Name: "in.txt"})}
	b.Runs[2].Files = []model.Input{*digested(t, b.Root, model.Input{Path: "chapters/tree", Name: "tree", Dir: true})}
	b.Runs[3].Stdin = digested(t, b.Root, model.Input{Path: "chapters/same.txt"})
	write("chapters/in.txt", "new\n") // same size, other content
	write("chapters/tree/f", "newer\n")
	res := runBook(t, context.Background(), &Runner{}, b)
	for i, file := range []string{"chapters/in.txt", "chapters/in.txt", "chapters/tree"} {
		r := res[i]
		if r.Err == nil {
			t.Errorf("run %d ran on the edited %s: stdout %q", i+1, file, r.Commands[0].Stdout.Data)
			continue
		}
		want := fmt.Sprintf("chapters/t.md:%d: ", b.Runs[i].Pos.Line)
		if msg := r.Err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, file+" changed during the build") {
			t.Errorf("run %d: %q, want %s... %s changed during the build", i+1, msg, want, file)
		}
	}
	if r := res[3]; r.Err != nil || string(r.Commands[0].Stdout.Data) != "same\n" {
		t.Errorf("the run whose stdin= did not change: %v, stdout %q", r.Err, r.Commands[0].Stdout.Data)
	}
}

func TestHereDocuments(t *testing.T) {
	b := book(t, "X=world")
	r := b.Runs[0]
	r.Commands = append(r.Commands,
		&model.Command{Text: "cat <<EOF\nhello $X\nEOF", Pos: model.Pos{File: "chapters/t.md", Line: 3}},
		&model.Command{Text: "cat <<'EOF' >later.txt\nliteral $X\nEOF", Pos: model.Pos{File: "chapters/t.md", Line: 6}, Background: true},
		&model.Command{Text: "wait", Pos: model.Pos{File: "chapters/t.md", Line: 9}, Waits: true},
		&model.Command{Text: "cat later.txt", Pos: model.Pos{File: "chapters/t.md", Line: 10}},
	)
	res := runBook(t, context.Background(), &Runner{}, b)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := string(res.Commands[1].Stdout.Data); got != "hello world\n" {
		t.Errorf("here-document: %q", got)
	}
	if got := string(res.Commands[4].Stdout.Data); got != "literal $X\n" {
		t.Errorf("quoted here-document in the background: %q", got)
	}
}

func TestExitPerCommand(t *testing.T) {
	b := book(t,
		"sh -c 'exit 3'\nsh -c 'exit 3'; echo $?\necho after",
		"sh -c 'exit 3'\necho after",
		"sh -c 'exit 4'\necho after",
	)
	b.Runs[0].Commands[0].Exit = 3
	b.Runs[2].Commands[0].Exit = 3
	res := runBook(t, context.Background(), &Runner{}, b)
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if c := res[0].Commands[0]; c.Exit != 3 {
		t.Errorf("declared exit: %+v", c)
	}
	if got := string(res[0].Commands[1].Stdout.Data); got != "3\n" {
		t.Errorf("echo $?: %q", got)
	}
	if got := string(res[0].Commands[2].Stdout.Data); got != "after\n" {
		t.Errorf("the command after a declared failure: %q", got)
	}
	if e := res[1].Err; e == nil || e.Pos != b.Runs[1].Commands[0].Pos || !strings.Contains(e.Msg, `"# exit 3"`) {
		t.Errorf("undeclared failure: %v, want a hint to add # exit 3 at %s", e, b.Runs[1].Commands[0].Pos)
	}
	if e := res[2].Err; e == nil || !strings.Contains(e.Msg, `status 4, but it declares "# exit 3"`) {
		t.Errorf("wrong status: %v", e)
	}
}

// TestOutputOrder runs a program that numbers its own writes, which
// alternate between stdout and stderr, each made only once litbook took
// the one before out of its pipe: the order recorded must put every write
// after the one the program made before it. (Writes closer together than
// that may show in either order, as documented; this test makes none.)
func TestOutputOrder(t *testing.T) {
	const writes = 60
	dir := helperPath(t)
	b := book(t, fmt.Sprintf("%s interleave %d\necho only out\necho only err >&2", helperName, writes))
	res := runWith(t, b, dir)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	c := res.Commands[0]
	var shown []string // the lines as the page shows them
	var off [2]int
	for _, ch := range c.Order {
		data, k := c.Stdout.Data, 0
		if ch.Stderr {
			data, k = c.Stderr.Data, 1
		}
		shown = append(shown, strings.Split(strings.TrimSuffix(string(data[off[k]:off[k]+ch.Len]), "\n"), "\n")...)
		off[k] += ch.Len
	}
	if off[0] != len(c.Stdout.Data) || off[1] != len(c.Stderr.Data) {
		t.Fatalf("order %v covers %v bytes of %d and %d", c.Order, off, len(c.Stdout.Data), len(c.Stderr.Data))
	}
	if len(shown) != writes {
		t.Fatalf("%d lines shown, want %d: %q", len(shown), writes, shown)
	}
	for i, line := range shown {
		name := "out"
		if (i+1)%2 == 0 {
			name = "err"
		}
		if want := fmt.Sprintf("%d %s", i+1, name); line != want {
			t.Fatalf("line %d shown is %q, want %q: the order does not follow the writes\n%s", i+1, line, want, strings.Join(shown, "\n"))
		}
	}
	for i := 1; i < 3; i++ {
		if o := res.Commands[i].Order; o != nil {
			t.Errorf("command %d wrote one stream, but has an order %v", i+1, o)
		}
	}
}

// needIsolation skips a test where runs cannot have namespaces.
func needIsolation(t *testing.T) {
	t.Helper()
	if err := isolation(); err != nil {
		t.Skipf("runs are not isolated on this machine: %v", err)
	}
}

func TestRunsHaveTheirOwnNetwork(t *testing.T) {
	needIsolation(t)
	dir := helperPath(t)
	// Both hold 127.0.0.1:8090 at the same time: each waits for the
	// other's file before it lets go.
	b := book(t,
		helperName+" listen 127.0.0.1:8090 "+dir+" a b",
		helperName+" listen 127.0.0.1:8090 "+dir+" b a",
	)
	for i, res := range runWith(t, b, dir) {
		if res.Err != nil {
			t.Errorf("run %d: %v", i+1, res.Err)
		}
	}
}

func TestRunReachesNoMachineService(t *testing.T) {
	needIsolation(t)
	dir := helperPath(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	b := book(t, helperName+" dial "+l.Addr().String()+"\ncat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
	withNet := book(t, helperName+" dial "+l.Addr().String())
	withNet.Runs[0].Network = true
	b.Runs = append(b.Runs, withNet.Runs[0])
	res := runWith(t, b, dir)
	if res[0].Err != nil || res[1].Err != nil {
		t.Fatal(res[0].Err, res[1].Err)
	}
	if got := string(res[0].Commands[0].Stdout.Data); got != "unreachable\n" {
		t.Errorf("an isolated run reached the machine's loopback: %q", got)
	}
	if got := string(res[0].Commands[1].Stdout.Data); got != "lo\n" {
		t.Errorf("an isolated run's interfaces: %q, want only lo", got)
	}
	if got := string(res[1].Commands[0].Stdout.Data); got != "connected\n" {
		t.Errorf("a run with network did not reach the machine's loopback: %q", got)
	}
}

func TestPrivateTmp(t *testing.T) {
	needIsolation(t)
	mark := filepath.Join("/tmp", "litbook-private-tmp-"+newToken())
	b := book(t, "echo $TMPDIR\necho x > "+mark+"\ncat "+mark+"\nls /tmp | wc -l")
	res := runBook(t, context.Background(), &Runner{}, b)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := string(res.Commands[0].Stdout.Data); got != "/tmp\n" {
		t.Errorf("TMPDIR=%q, want /tmp", got)
	}
	if got := string(res.Commands[2].Stdout.Data); got != "x\n" {
		t.Errorf("a file of /tmp: %q", got)
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		os.Remove(mark)
		t.Errorf("the run's /tmp file is on the machine's /tmp: %v", err)
	}
	// /tmp holds the run's file and the directory that leads to the run's own.
	if got := strings.TrimSpace(string(res.Commands[3].Stdout.Data)); got != "2" {
		t.Errorf("the run's /tmp holds %s entries, want 2", got)
	}
}

func TestGoOnPathIsTheBuildingGo(t *testing.T) {
	b := book(t, "command -v go\ngo version")
	rn := &Runner{}
	root, err := rn.GoRoot(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	res := runBook(t, context.Background(), rn, b)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got, want := string(res.Commands[0].Stdout.Data), filepath.Join(root, "bin", "go")+"\n"; got != want {
		t.Errorf("go on the run's PATH is %q, want the building toolchain's %q", got, want)
	}
	version, _ := os.ReadFile(filepath.Join(root, "VERSION"))
	v, _, _ := strings.Cut(string(version), "\n")
	if got := string(res.Commands[1].Stdout.Data); !strings.HasPrefix(got, "go version "+v+" ") {
		t.Errorf("go version in a run: %q, want %s", got, v)
	}
}

// TestEnvironmentDocumented checks that the authoring appendix lists,
// in its table of the run's environment, exactly the variables that
// litbook sets in every run.
func TestEnvironmentDocumented(t *testing.T) {
	data, err := os.ReadFile("../chapters/90-authoring.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n### The run's environment\n")
	if !ok {
		t.Fatal(`the appendix has no section "The run's environment"`)
	}
	section, _, _ = strings.Cut(section, "\n#")
	var documented []string
	for _, line := range strings.Split(section, "\n") {
		if name, ok := strings.CutPrefix(line, "| `"); ok {
			name, _, _ = strings.Cut(name, "`")
			documented = append(documented, name)
		}
	}
	if got, want := strings.Join(documented, " "), strings.Join(EnvNames(), " "); got != want {
		t.Errorf("the appendix documents %s; litbook sets %s", got, want)
	}
	// And the run's shell has those and no others but PWD.
	b := book(t, "env | cut -d= -f1 | sort")
	res := runBook(t, context.Background(), &Runner{}, b)[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := append(EnvNames(), "PWD")
	slices.Sort(want)
	if got := strings.Fields(string(res.Commands[0].Stdout.Data)); !slices.Equal(got, want) {
		t.Errorf("a run's environment has %v, want %v", got, want)
	}
}

// TestOutputOrderWithShellMessages: the shell's messages, whose script
// prefix litbook rewrites, keep the recorded order consistent with what
// the result keeps of each stream.
func TestOutputOrderWithShellMessages(t *testing.T) {
	b := book(t, "echo a; nosuchcommand; echo b; nosuchcommand; echo c")
	b.Runs[0].Trials = 5
	rn := &Runner{}
	rn.Supervisor = testSupervisor()
	rn.TempDir = t.TempDir()
	records, err := rn.Run(context.Background(), b, b.Runs, &Programs{BinDir: t.TempDir(), GoVersion: "go-test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range records[0].Trials {
		c := res.Commands[0]
		if strings.Contains(string(c.Stderr.Data), "script.sh") || !strings.Contains(string(c.Stderr.Data), "sh: ") {
			t.Errorf("trial %d: stderr %q is not rewritten", res.Trial, c.Stderr.Data)
		}
		var sum [2]int
		for _, ch := range c.Order {
			if ch.Stderr {
				sum[1] += ch.Len
			} else {
				sum[0] += ch.Len
			}
		}
		if c.Order != nil && (sum[0] != len(c.Stdout.Data) || sum[1] != len(c.Stderr.Data)) {
			t.Errorf("trial %d: order %v accounts for %v bytes, the streams kept %d and %d", res.Trial, c.Order, sum, len(c.Stdout.Data), len(c.Stderr.Data))
		}
	}
}

// TestThreadPool checks the threads that isolated runs start their shells
// from: each run's in a network and a mount namespace of its own, neither
// the machine's nor that of another run's ready at the same time (the
// kernel reuses the numbers of namespaces that are gone), and every slot
// thread ended by close.
func TestThreadPool(t *testing.T) {
	needIsolation(t)
	read := func() [2]string {
		net, _ := os.Readlink("/proc/thread-self/ns/net")
		mnt, _ := os.Readlink("/proc/thread-self/ns/mnt")
		return [2]string{net, mnt}
	}
	host := read()
	p := newThreadPool(2, 6, nil, nil)
	for i := range 3 {
		a, err := p.take()
		if err != nil {
			t.Fatal(err)
		}
		b, err := p.take()
		if err != nil {
			t.Fatal(err)
		}
		var nsA, nsB [2]string
		if err := a.do(func() error {
			nsA = read()
			return b.do(func() error { nsB = read(); return nil }) // a is alive meanwhile
		}); err != nil {
			t.Fatal(err)
		}
		close(a.ended) // the runs they started are over
		close(b.ended)
		for k := range 2 {
			if nsA[k] == "" || nsA[k] == host[k] || nsB[k] == host[k] || nsA[k] == nsB[k] {
				t.Errorf("round %d: namespaces %q and %q, the machine's %q: want two of their own", i, nsA[k], nsB[k], host[k])
			}
		}
	}
	p.close()
	// Two threads were ready and unused: close ended them, and waited.
	select {
	case <-p.ready:
		t.Error("close left a thread ready")
	default:
	}
}

// TestNothingLeftAfterRuns: once Run returns, the leftovers of every run,
// which are removed after its result is handed over, are gone: its
// directories, its streams' directory, and its cgroups.
func TestNothingLeftAfterRuns(t *testing.T) {
	tmp := t.TempDir()
	var scripts []string
	for i := range 6 {
		scripts = append(scripts, fmt.Sprintf("echo %d > f\necho out; echo err >&2\ncat f", i))
	}
	b := book(t, scripts...)
	res := runBook(t, context.Background(), &Runner{Jobs: 2, TempDir: tmp}, b)
	for i, r := range res {
		if r == nil || r.Err != nil || string(r.Commands[2].Stdout.Data) != fmt.Sprintf("%d\n", i) {
			t.Fatalf("run %d: %+v", i, r)
		}
	}
	prefix := supervise.Prefix(os.Getpid())
	dirs := []string{tmp}
	if io := ioRoot(); io != "" {
		dirs = append(dirs, io)
	}
	dirs = append(dirs, "/sys/fs/cgroup/unified", "/sys/fs/cgroup/pids", "/sys/fs/cgroup")
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), prefix) {
				t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

// TestLockThreadNotMain: the threads that runs change are never the main
// thread, which Go would park for good, in the run's namespaces and
// cgroups, instead of ending it.
func TestLockThreadNotMain(t *testing.T) {
	for i := range 300 {
		main := make(chan bool)
		goLocked(func() { main <- unix.Gettid() == unix.Getpid() })
		if <-main {
			t.Fatalf("goroutine %d was locked to the main thread", i)
		}
	}
}

// TestThreadPoolMakesNoMore: a pool makes as many threads as will be
// taken, not one for each take plus the ones ready at the end.
func TestThreadPoolMakesNoMore(t *testing.T) {
	needIsolation(t)
	var made atomic.Int32
	p := newThreadPool(2, 3, nil, func(*nsThread, *supervise.Slot) error { made.Add(1); return nil })
	for range 3 {
		th, err := p.take()
		if err != nil {
			t.Fatal(err)
		}
		if err := th.do(func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		close(th.ended)
	}
	p.close()
	if n := made.Load(); n != 3 {
		t.Errorf("the pool made %d threads for 3 runs", n)
	}
}

// TestMachineSaysIsolation: the machine a build records says whether its
// runs could be isolated, since that enters their key.
func TestMachineSaysIsolation(t *testing.T) {
	m, err := (&Runner{TempDir: t.TempDir()}).Machine("go-test")
	if err != nil {
		t.Fatal(err)
	}
	if m.Unisolated != (isolation() != nil) {
		t.Errorf("Unisolated = %v; isolation() = %v", m.Unisolated, isolation())
	}
}

// A pool's Ps come and go with it, whatever the order in which
// overlapping pools end, and no more are added than GOMAXPROCS was; with
// the last, GOMAXPROCS is as before, be it the runtime's default or a
// value set by code (go test -cpu).
func TestAddProcs(t *testing.T) {
	if v, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err == nil && v > 0 {
		t.Skip("GOMAXPROCS is set: pools add none")
	}
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	for _, base := range []int{1, 2} {
		runtime.GOMAXPROCS(base)
		one := addProcs(1)
		two := addProcs(1)
		if got := runtime.GOMAXPROCS(0); got != base+min(2, base) {
			t.Fatalf("GOMAXPROCS %d with two pools from %d, want %d", got, base, base+min(2, base))
		}
		one()
		if got := runtime.GOMAXPROCS(0); got != base+1 {
			t.Errorf("GOMAXPROCS %d after the first pool ended, want %d", got, base+1)
		}
		two()
		if got := runtime.GOMAXPROCS(0); got != base {
			t.Errorf("GOMAXPROCS %d after both ended, want %d as before", got, base)
		}
	}
}
