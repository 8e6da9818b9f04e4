package values

import (
	"strconv"
	"strings"
	"time"

	"github.com/litbook/litbook/model"
)

// cmdSpec is a command of a fixture run.
type cmdSpec struct {
	text string
	bg   bool
}

// trial is one trial of a fixture run.
type trial struct {
	cmds  []model.CommandResult
	dur   time.Duration
	files []model.FileInfo
}

// ran is a command that ran and exited.
func ran(exit int, d time.Duration, stdout, stderr string) model.CommandResult {
	return model.CommandResult{
		Ran: true, Done: true, Exit: exit, Duration: d,
		Stdout: model.Output{Data: []byte(stdout), Total: int64(len(stdout))},
		Stderr: model.Output{Data: []byte(stderr), Total: int64(len(stderr))},
	}
}

func record(name string, cmds []cmdSpec, trials ...trial) *model.Record {
	run := &model.Run{Name: name, Trials: len(trials)}
	for _, c := range cmds {
		run.Commands = append(run.Commands, &model.Command{Text: c.text, Background: c.bg})
	}
	rec := &model.Record{Run: run}
	for i, t := range trials {
		rec.Trials = append(rec.Trials, &model.Result{
			Run: run, Trial: i + 1, Commands: t.cmds, Duration: t.dur, Files: t.files,
		})
	}
	return rec
}

func file(name string, size int64) model.FileInfo {
	return model.FileInfo{Name: name, Size: size, Mode: "file"}
}

const ms = time.Millisecond

// fixture returns the runs of a chapter that the tests evaluate against:
//
//   - append: 3 trials of 2 commands; every trial agrees except in time.
//   - seek: 4 trials of 2 commands; bytes are lost in trials 2 and 4.
//   - one, other: one trial each.
//   - jobs: a background command collected by wait, one killed, one
//     never collected, and a command the shell never reached.
//   - cut: output truncated at the output limit.
//   - text: output whose values are text, or text in some trials only.
//   - empty: a record with no trials.
//   - race: two background commands that print timeline events (and
//     other lines), and one that prints none.
func fixture() map[string]*model.Record {
	appendCmds := []cmdSpec{{text: "writer race.log"}, {text: "wc -c race.log"}}
	appendTrial := func(d time.Duration) trial {
		return trial{
			cmds: []model.CommandResult{
				ran(0, d-5*ms, "wrote 1024 records\nlost=0 size=4096 rate=1.5\n", "warning: slow disk\n"),
				ran(0, 5*ms, "4096 race.log\n", ""),
			},
			dur:   d,
			files: []model.FileInfo{file("race.log", 4096), {Name: "tmp", Mode: "dir"}},
		}
	}
	seekTrial := func(lost, size int64, d time.Duration, elapsed string) trial {
		return trial{
			cmds: []model.CommandResult{
				ran(0, d, "lost="+itoa(lost)+" size="+itoa(size)+" elapsed="+elapsed+"\n", ""),
				ran(int(min(lost, 1)), ms, "", ""),
			},
			dur:   d + ms,
			files: []model.FileInfo{file("race.log", size)},
		}
	}
	bg := func() model.CommandResult { r := ran(0, 0, "", ""); r.Done = false; return r }
	killed := bg()
	killed.Killed = true
	notRun := model.CommandResult{}
	jobsTrial := trial{
		cmds: []model.CommandResult{ran(0, 2*ms, "", ""), killed, bg(), ran(3, ms, "done\n", ""), ran(0, 0, "", ""), notRun},
		dur:  40 * ms,
	}
	cutOut := ran(0, ms, "lost=0\nline 2\nline 3", "")
	cutOut.Stdout.Total = 1 << 20
	textTrial := func(status, n string) trial {
		return trial{cmds: []model.CommandResult{ran(0, ms, "status: "+status+"\n"+n+"\n  \n", "")}, dur: ms}
	}
	return map[string]*model.Record{
		"append": record("append", appendCmds, appendTrial(812*ms), appendTrial(901*ms), appendTrial(1020*ms)),
		"seek": record("seek", []cmdSpec{{text: "seeker race.log"}, {text: "check race.log"}},
			seekTrial(0, 4096, 700*ms, "0.7s"), seekTrial(12, 4084, 720*ms, "720ms"),
			seekTrial(0, 4096, 650*ms, "650ms"), seekTrial(7, 4089, 910*ms, "910ms")),
		"one":   record("one", []cmdSpec{{text: "one"}}, trial{cmds: []model.CommandResult{ran(0, ms, "n=5\n", "")}, dur: 3 * ms, files: []model.FileInfo{file("f", 10)}}),
		"other": record("other", []cmdSpec{{text: "other"}}, trial{cmds: []model.CommandResult{ran(0, ms, "n=7\n", "")}, dur: 5 * ms, files: []model.FileInfo{file("f", 10)}}),
		"jobs": record("jobs", []cmdSpec{{text: "a"}, {text: "sleep 9", bg: true}, {text: "b", bg: true}, {text: "c"}, {text: "d", bg: true}, {text: "e"}},
			jobsTrial),
		"cut":  record("cut", []cmdSpec{{text: "noisy"}}, trial{cmds: []model.CommandResult{cutOut}, dur: ms}),
		"text": record("text", []cmdSpec{{text: "status"}}, textTrial("ok", "42"), textTrial("ok", "n/a"), textTrial("failed", "17")),
		"run-2": record("run-2", []cmdSpec{{text: "x"}}, trial{cmds: []model.CommandResult{ran(2, 4*ms, "v=1\n", "")}, dur: 4 * ms},
			trial{cmds: []model.CommandResult{ran(2, 6*ms, "v=2\n", "")}, dur: 6 * ms}),
		"empty": {Run: &model.Run{Name: "empty"}},
		"race": record("race", []cmdSpec{{text: "claim A", bg: true}, {text: "claim B", bg: true}, {text: "wait"}},
			trial{cmds: []model.CommandResult{
				ran(0, ms, "t=2h0m1.000250s stat: absent\nnot an event\nt=2h0m1.0009s created\n", ""),
				ran(0, ms, "t=2h0m1.0004s stat: absent\nt=2h0m1.001s created\n", ""),
				ran(0, 0, "", ""),
			}, dur: 2 * ms}),
		"chatty":   record("chatty", []cmdSpec{{text: "tick"}}, trial{cmds: []model.CommandResult{ran(0, ms, strings.Repeat("t=1ms tick\n", 501), "")}, dur: ms}),
		"badclock": record("badclock", []cmdSpec{{text: "claim"}}, trial{cmds: []model.CommandResult{ran(0, ms, "t=soon created\n", "")}, dur: ms}),
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// lookup returns the fixture's lookup function.
func lookup() func(string) *model.Record {
	f := fixture()
	return func(run string) *model.Record { return f[run] }
}
