package loader

import (
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
)

// names runs scanShell and returns the command names, or the error.
func names(cmd string) string {
	sc, err := scanShell(cmd)
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprint(sc.names)
}

func TestCommandWords(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		want string
	}{
		{"appender -mode=seek f", "[appender]"},
		{"X=1 appender f | wc -c > out", "[appender wc]"},
		{"cd sub && ls -l; echo $x", "[ls]"},
		{"for i in 1 2 3; do writer $i & done; wait", "[writer]"},
		{"if test -e f; then cat f; fi", "[cat]"},
		{"./local-bin; $PROG; \"quoted\"", "[]"},
		{"echo 'a | notacommand'", "[]"},
		{"! grep -q x f", "[grep]"},
		{"(cd d; touch x)", "[touch]"},
		{"ls x 2>&1 | wc -l", "[ls wc]"},
		{"echo hi >&2", "[]"},
		{"exec >/dev/null 2>&1", "[]"},
		{"echo $((1 + 2)) $(( (3) ))", "[]"},
		{"echo hi # see (note) | here", "[]"},
		{"echo $(appender -n 3 | wc -c) `date`", "[appender wc date]"},
		{"> out writer", "[writer]"},
		{"echo \"a; b $(reader)\" 'c | d'", "[reader]"},
		{"x=$(printf '%s' \")\")", "[]"},
		{"echo today is $(date +%A) indeed", "[date]"},
		{"echo $((6*7)) apples", "[]"},
		{"echo x >| out", "[]"},
		{"f() { helper; }; f", "[helper f]"},
		{"tail $(head f)", "[head tail]"},
		{"echo $(( $(getconf IOV_MAX) + 1 ))", "[getconf]"},
		{"{ w -id 1 & w -id 2 & wait; } > log", "[w]"},
		{"exec sh -c 'exit 0'", "[sh]"},
		{"time -p make", "[make]"},
		{"command -p ls; command -v nosuch", "[ls]"},
		{"\\ls; 'ls'", "[]"},
		{"echo 'it''s' # it's", "[]"},
		{"echo $(", "error: 1:6: reached EOF without matching `$(` with `)`"},
		{"echo a &&", "error: 1:8: `&&` must be followed by a statement"},
		{"ls &> out", "error: 1:4: `&>` redirects are a bash/mksh/zsh feature; tried parsing as posix"},
	} {
		if got := names(tc.cmd); got != tc.want {
			t.Errorf("scanShell(%q) names %s, want %s", tc.cmd, got, tc.want)
		}
	}
}

func TestJobControl(t *testing.T) {
	for _, tc := range []struct {
		cmd           string
		bare, ownJobs bool
	}{
		{"wait", true, false},
		{"wait; echo both done", true, false},
		{"wait 2>/dev/null", true, false},
		{"command wait", true, false},
		{"wait $!", false, true},
		{"wait %1 || echo failed", false, true},
		{"jobs -l", false, true},
		{"echo wait", false, false},
		{"sleep 1", false, false},
		{"f() { wait; }", true, false},
	} {
		sc, err := scanShell(tc.cmd)
		if err != nil {
			t.Fatal(err)
		}
		if sc.bareWait != tc.bare || sc.ownJobs != tc.ownJobs {
			t.Errorf("scanShell(%q): bare wait %v, own jobs %v; want %v, %v", tc.cmd, sc.bareWait, sc.ownJobs, tc.bare, tc.ownJobs)
		}
	}
}

func TestBackground(t *testing.T) {
	for cmd, want := range map[string]int{
		"sleep 1 &":               8,
		"a & b &":                 6,
		"a &&  b":                 -1,
		"echo \\&":                -1,
		"echo '&'":                -1,
		"sleep 1 & # bg":          -1, // a comment follows: the shell backgrounds it
		"for i in 1; do w & done": -1,
		"{ a & }":                 -1,
		"a | b &":                 6,
	} {
		sc, err := scanShell(cmd)
		if err != nil {
			t.Fatal(err)
		}
		got := -1
		if sc.background {
			got = sc.amp
		}
		if got != want {
			t.Errorf("scanShell(%q): background at %d, want %d", cmd, got, want)
		}
	}
}

func TestUnterminatedQuote(t *testing.T) {
	for cmd, want := range map[string]bool{
		`echo 'a`:           true,
		`echo "a\" b`:       true,
		`echo 'a' "b" \'`:   false,
		`printf '%s\n' "x"`: false,
		`echo "it's"`:       false,
		`echo \"`:           false,
		`echo "a\"`:         true,
		`echo '`:            true,
		"echo `date":        true,
		`echo hi # it's`:    false,
	} {
		_, err := scanShell(cmd)
		got := err != nil && strings.HasPrefix(shellErrorText(cmd, err), "unterminated quote")
		if got != want {
			t.Errorf("%q: unterminated quote %v, want %v (%v)", cmd, got, want, err)
		}
	}
}

func TestShellNestingBounded(t *testing.T) {
	// The deepest command the bound lets through must parse on a small
	// stack; one operator more is refused with an error, not parsed. Without
	// the bound, the longer commands end the test binary.
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	for _, unit := range []string{"(", "$(", "{ ", "$((", "\"$(", "${x:-", "if a; then ", "if ", "while ", "until ", "! ", "x=$(", "$((1+", "$((-", "$((x?", "f() ", "case x in a) ", "a | ", "a && ", "$(( ("} {
		n := maxNesting / nestingBound(unit)
		deep := strings.Repeat(unit, n)
		if _, err := scanShell(deep); err == errTooNested {
			t.Errorf("%d × %q: refused (bound %d)", n, unit, nestingBound(deep))
		}
		if _, err := scanShell(strings.Repeat(unit, n+1)); err != errTooNested {
			t.Errorf("%d × %q: %v, want errTooNested", n+1, unit, err)
		}
		if _, err := scanShell(strings.Repeat(unit, 50*n)); err != errTooNested {
			t.Errorf("%d × %q: %v, want errTooNested", 50*n, unit, err)
		}
	}
}

func TestDefinitions(t *testing.T) {
	for _, tc := range []struct {
		cmd            string
		funcs, aliases string
	}{
		{"greet() { echo hi; }", "[greet]", "[]"},
		{"b() { b | b & }; b", "[b]", "[]"},
		{"a() { b() { :; }; }", "[a b]", "[]"},
		{"alias ll='ls -l' la=\"ls -a\" l=ls", "[]", "[ll la l]"},
		{"alias 'll=ls -l' \"la\"=ls", "[]", "[ll la]"},
		{"alias ll; alias =x $x=y a\\b=c", "[]", "[]"},
		{"command alias x=y", "[]", "[x]"},
		{"echo alias x=y", "[]", "[]"},
	} {
		sc, err := scanShell(tc.cmd)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(sc.funcs); got != tc.funcs {
			t.Errorf("scanShell(%q) defines functions %s, want %s", tc.cmd, got, tc.funcs)
		}
		if got := fmt.Sprint(sc.aliases); got != tc.aliases {
			t.Errorf("scanShell(%q) defines aliases %s, want %s", tc.cmd, got, tc.aliases)
		}
	}
}
