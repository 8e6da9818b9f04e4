// Package values is the small expression language of values and claims
// that authors write in prose. An inline code span that starts with "="
// is an expression: litbook evaluates it against the results of the
// chapter's runs and prints what it measured in its place.
//
//	The file ends at `=append.size("race.log")` bytes.
//	No byte was lost `=append.lost == 0 in every trial`.
//	Bytes were lost in `=percent(seek.lost > 0)` of trials.
//
// The loader parses each span's text (after the "=") and checks that the
// runs it names exist; after the runs, the build evaluates it:
//
//	e, err := values.Parse(text)           // *SyntaxError{Off, Msg}
//	for _, ref := range e.Refs() { ... }   // check ref.Run exists
//	out, err := values.Evaluate(e, lookup) // *EvalError{Off, Msg}
//	if out.Claim && !out.Holds { ... }     // fail the build: out.Detail
//
// Errors carry a byte offset into the expression, of the token or
// sub-expression at fault; the caller adds the chapter position.
//
// # Values
//
// A value is written RUN.ACCESSOR, where RUN is the name of a run block of
// the chapter (run=NAME, or run-N for the N-th unnamed one):
//
//	R.exit            exit status of the last foreground command that finished
//	R.time            wall time of the whole run
//	R.size("path")    size in bytes of a file the run left in its directory
//	R.trials          how many trials the run has (a single number)
//	R.stdout          all the commands' stdout, one trailing newline removed
//	R.stderr          the same for stderr
//	R.line(N)         line N of the stdout (from 1; -1 is the last line)
//	R.match("re")     the first match of a Go regexp in the output: each
//	                  command's stdout, then its stderr, in order; group 1
//	                  if the regexp has groups, else the whole match
//	R.NAME            a value the programs report in their stdout as a
//	R.value("NAME")   whitespace-separated token NAME=VALUE; the last wins
//
// A block with fs= (fs=ext4,xfs) is one run per filesystem, named
// RUN[FS]: race[xfs].exit reads the run on xfs. RUN alone is the block as
// a whole: a distribution over every trial on every filesystem, in the
// order fs= lists them, so that race.lost == 0 in every trial holds on
// all of them; and a chart row that names it draws one row per
// filesystem (see Charts).
//
// R.cmd(N).ACCESSOR reads one command of the transcript (from 1, in
// transcript order) with the accessors exit, time, stdout, stderr,
// line(N), match("re") and value("NAME") (or .NAME). Use value("NAME")
// for a name that is an accessor (exit, time, ...) or is not an
// identifier (bytes-lost).
//
// Text read from output (line, match, stdout, stderr, named values) is
// typed by its content, after trimming spaces: a number if it is one
// (42, -1.5, 2_000_000, 1e6), else a duration if Go's time.ParseDuration
// accepts it (812ms, 1.5s), else a string. A run's trials share one type:
// numbers if every trial's text is a number, else durations if every one
// is a duration, else strings. Lines are trimmed of surrounding spaces.
//
// A value that cannot be measured fails the build at its position, saying
// why: a file the run did not leave (and which it did), a regexp without a
// match, a name the programs did not report (and which they did), a
// command that never finished. So does a value read from output that
// the output limit cut short, such as R.stdout, R.line(-1) or a named
// value, rather than a guess.
//
// A run may have several trials (trials=N on its block). A value of a run
// is then a distribution: one value per trial. Prose shows a distribution
// whose trials agree as that one value ("4096"), and otherwise its range
// ("812 ms–1.02 s"); the page's tooltip gives min, median and max.
//
// # Literals and arithmetic
//
//	42  2_000_000  1.5  1e6      numbers
//	1.5s  200ms  35us  1m30s      durations: ns, us (or µs), ms, s, m, h
//	90%                           a percentage
//	"race.log"  `(\d+) bytes`     strings, as in Go
//
// Arithmetic (+ - * /, unary -, parentheses) works trial by trial; a
// single value is combined with every trial. Numbers combine with numbers
// (percentages and byte counts are numbers: percent(...) >= 50 is the same
// claim as percent(...) >= 50%);
// durations add to and subtract from durations, multiply and divide by
// numbers, and a duration divided by a duration is a number. Strings only
// compare, with == and !=. Dividing by zero is an error.
//
// Trials of different runs are not paired: seek.time - append.time is an
// error (unless each run has a single trial). Compare summaries instead:
// median(seek.time) - median(append.time).
//
// Run names may contain '-' (run-2), so a name directly followed by a dot
// is read with any '-' in it: "10-b.exit" is the run 10-b. Write spaces
// around a minus sign: "10 - b.exit". (After an accessor or a closing
// parenthesis a '-' is always a minus: a.lost-1 is a.lost minus 1.)
//
// In a double-quoted string a backslash starts a Go escape, so a regexp
// is best written with backquotes, `(\d+) bytes`, or with doubled
// backslashes, "(\\d+) bytes". A code span that contains a backquote is
// written between double backquotes:
//
//	``=a.match(`(\d+) bytes`)``
//
// # Functions
//
//	min(x) max(x) median(x) mean(x) sum(x)    summaries of a run's trials
//	count(cond)      the number of trials where a comparison holds
//	percent(cond)    the share of trials where a comparison holds: 40%
//	percent(x)       a number as a percentage: percent(0.25) is 25%
//	abs(x)           absolute value
//	round(x)         rounded to a whole number
//	round(x, d)      rounded to d decimals (d < 0: to tens, hundreds, ...)
//	bytes(x)         a number of bytes in IEC units: 812 bytes, 4 KiB, 1.5 GiB
//
// # Claims
//
// A claim is a comparison: ==, !=, <, <=, > or >=, a chain of two
// (0 <= x <= 10) or "x between a and b" (both ends included). Prose shows
// its left-hand side (the middle of a chain, x of between) with a check
// mark; a claim that does not hold fails the build at its line and says
// what was measured:
//
//	seek.lost was 0 in trials 3 and 7 of 20; claimed > 0 in every trial
//
// A claim about a run's trials holds in every trial unless it ends with a
// quantifier:
//
//	in every trial                 (the default; also: in all trials)
//	in any trial                   (also: in at least one trial)
//	in no trial
//	in at least 90% of trials
//	in at most 10% of trials
//
// A claim about single values (median(seek.time) < 1s) takes no
// quantifier. Comparisons appear only as the claim itself or inside
// count() and percent(); a quantifier only ends a claim.
//
// # Charts
//
// A paragraph that is only `=chart(x, y, ...)` becomes a figure: one row
// per argument, one dot per trial on a shared axis, the median marked.
// Label a row with "as":
//
//	=chart(append.time as "append", seek.time as "seek first")
//
// All rows of a chart are numbers (and percentages and byte counts) or
// all durations. A row that names a block with fs= by the block's name
// (chart(race.lost)) becomes one row per filesystem, labelled with the
// filesystem ("xfs", or "LABEL, xfs" when the chart has several rows or
// the row a label); blocks named in one row must list the same
// filesystems.
//
// Options follow the rows, written name="text": title="..." is the
// figure's title, shown above the plot, and axis="..." names its axis.
// Without axis=, the axis is named after the accessor every row reads
// (time, size, exit status, or a reported value's name such as lost),
// else after what the values are (time, size, share or value); the
// renderer adds the unit its ticks are written in: "time (ms)", "size
// (KiB)". Chart.Title and Chart.Axis carry them.
//
//	=chart(seek.lost, append.lost, title="Two writers", axis="bytes lost")
//
// A paragraph that is only `=sweep(...)` draws a value against a parameter
// across runs: an x–y chart. Each argument is a value followed by "at X",
// its place on the x axis: a number, or a value that every trial of its
// run agrees on (w4.writers, if the programs report writers=4). Arguments
// with the same "as" label form one series, drawn as a line through their
// medians, with a mark per trial. Options: x="..." names the x axis
// (default "parameter"), y="..." the value's axis (default: named as a
// chart's is), title="..." the figure:
//
//	=sweep(s2.lost at 2 as "lseek", s4.lost at 4 as "lseek",
//	       a2.lost at 2 as "O_APPEND", a4.lost at 4 as "O_APPEND",
//	       x="writers", y="bytes lost")
//
// A sweep's Chart has Sweep set, XAxis named, and each Series its X.
//
// A paragraph that is only `=machines(X, Y, ...)` shows values and claims
// on every machine whose stored results measured the runs they name as
// they are now: a table with a row per machine (the one building the
// book first) and a column per argument, each a value or a claim, claims
// marked per machine. Its claims must hold on the building machine, like
// any other claim; other machines' results are shown, not checked, since
// they are what the reader compares:
//
//	=machines(seek.lost, append.lost == 0 in every trial)
//
// Outcome.Items holds the arguments evaluated against one machine's
// records; package claims evaluates them for every machine.
//
// A paragraph that is only `=timeline(R)` draws the events of run R's
// first trial (the one its page shows) on a time axis: one lane per
// command, one numbered dot per event, followed by a table of the events
// in time order. An event is a line of a command's stdout that starts with
// a t=DURATION token; the rest of the line is its label:
//
//	t=2h1m4.000184s stat: absent
//	t=2h1m4.000233s open(O_CREAT): created
//
// Programs print their own clock; CLOCK_MONOTONIC is one clock for every
// process of a machine, so events of different commands compare, and the
// timeline starts at the earliest event, so no origin needs agreeing on.
// Lines without t= are not events, and a command that printed none has
// no lane. A timeline draws at most 500 events.
//
// # Formatting
//
// Numbers print in full, with thousands separators from 10,000 on
// ("4096", "2,000,000"), others with three significant digits without
// losing whole digits ("0.414", "41.4", "1235"; after round(x, d), with d
// decimals). Durations print with three significant digits ("35.2 µs",
// "812 ms", "4.21 s"), from a minute on as minutes and seconds ("1 min
// 52 s") and from an hour on as hours and minutes ("2 h 5 min").
// Percentages are whole ("41%"), with one decimal below 10% and above 99%
// ("4.2%", "99.5%"). See Format.
package values
