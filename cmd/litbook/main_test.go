package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "update testscript files in place")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"litbook": main})
}

// TestScripts runs the CLI end to end on the books in testdata/script.
func TestScripts(t *testing.T) {
	// The runner calls go build, which needs the user's build and module
	// caches; testscript hides HOME.
	goenv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	vals := strings.Split(strings.TrimSpace(string(goenv)), "\n")
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(e *testscript.Env) error {
			e.Setenv("GOCACHE", vals[0])
			e.Setenv("GOMODCACHE", vals[1])
			e.Setenv("GOPATH", vals[2])
			e.Setenv("GOPROXY", "off")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond != "canfs" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			return canMakeFS(), nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// mkfifo PATH makes a named pipe, which blocks whoever opens it
			// for reading until a writer comes.
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: mkfifo path")
				}
				ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o644))
			},
		},
	})
}

// canMakeFS reports whether fs=ext4,tmpfs runs can work here: as root,
// with loop devices and mkfs.ext4. With LITBOOK_REQUIRE_FS set (as CI
// sets it) it reports true, so that scripts fail rather than skip.
func canMakeFS() bool {
	if os.Getenv("LITBOOK_REQUIRE_FS") != "" {
		return true
	}
	if os.Geteuid() != 0 {
		return false
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		return false
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if _, err := os.Stat(dir + "/mkfs.ext4"); err == nil {
			return true
		}
	}
	return false
}

// TestExitCodes checks the exit statuses scripts cannot tell apart.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "book.toml"), []byte("[book]\ntitel = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want int
		out  string // in stderr
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"build", "-j", "0", dir}, exitUsage, "-j must be at least 1"},
		{[]string{"build", "-x"}, exitUsage, "flag provided but not defined: -x"},
		{[]string{"build", "a", "b"}, exitUsage, "too many arguments"},
		{[]string{"build", dir}, exitFail, `book.toml:2:1: unknown key "book.titel"`},
		{[]string{"serve", "-addr", "127.0.0.1:99999", dir}, exitUsage, `-addr "127.0.0.1:99999": "99999" is not a port`},
		{[]string{"help", "build"}, exitOK, ""},
		{[]string{"test", "-h"}, exitOK, ""},
	} {
		var stdout, stderr bytes.Buffer
		got := run(context.Background(), tc.args, &stdout, &stderr)
		if got != tc.want || !strings.Contains(stderr.String(), tc.out) {
			t.Errorf("litbook %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), got, stderr.String(), tc.want, tc.out)
		}
	}
}

// TestUsageFromTable checks that help text is generated from the command
// table, so it cannot drift from the commands.
func TestUsageFromTable(t *testing.T) {
	var out bytes.Buffer
	mainUsage(&out)
	doc, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		if !strings.Contains(out.String(), "litbook "+c.UsageLine) {
			t.Errorf("usage lacks %q", c.UsageLine)
		}
		if !strings.Contains(string(doc), "//	litbook "+c.UsageLine+"\n") {
			t.Errorf("the package comment in main.go lacks %q", c.UsageLine)
		}
	}
}
