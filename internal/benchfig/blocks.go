package benchfig

// blocks are the README's texts of each benchmark, as templates over its
// File: {{f "key" prec}} is a figure, {{note "key"}} a note. The text that
// says where and when they were measured is added after each.
var blocks = map[string]string{
	"render": `On a {{f "chapters" 0}}-chapter corpus ({{f "runs" 0}} builds of each kind, medians,
{{note "hugo"}}): litbook {{f "litbook_cold_s" 2}} s cold against Hugo {{f "hugo_cold_s" 2}} s
(ratio {{f "cold_ratio" 2}}); {{f "nothing_changed_s" 3}} s with nothing changed
({{f "nothing_changed_pct" 2}}% of Hugo's cold build); {{f "one_edit_s" 2}} s after editing one chapter;
peak RSS {{f "litbook_rss_mib" 0}} MiB against Hugo's {{f "hugo_rss_mib" 0}} MiB; {{f "output_kb_per_chapter" 1}} KB
of output per chapter, and between {{f "growth_kb_per_chapter_min" 1}} and {{f "growth_kb_per_chapter_max" 1}} KB
for books of {{f "growth_smallest_chapters" 0}} to {{f "chapters" 0}} chapters.`,

	"rebuild": `Medians of {{f "rebuilds" 0}} rebuilds of the bundled book: with nothing changed,
{{f "nothing_ms" 1}} ms ({{f "nothing_go_calls" 0}} go commands started, {{f "nothing_runs" 0}} runs); after a
prose edit, {{f "prose_ms" 0}} ms ({{f "prose_go_calls" 0}} go commands, {{f "prose_compiled" 0}} programs
compiled, {{f "prose_runs" 0}} runs); after editing one program, {{f "program_ms" 0}} ms
({{f "program_go_calls" 0}} go command, {{f "program_compiled" 0}} program compiled, {{f "program_runs" 0}} runs).`,

	"serve": `Under serve, on the same {{f "chapters" 0}}-chapter corpus ({{f "edits" 0}} edits each, each appending a
line to one chapter; alternating), the time from the file's write to the reload
event an open page receives was a median {{f "litbook_ms" 0}} ms for litbook (fastest
{{f "litbook_min_ms" 0}}, slowest {{f "litbook_max_ms" 0}}; the target is at most 100 ms), against {{f "hugo_ms" 0}} ms for
{{note "hugo"}}'s hugo server --disableFastRender, which also brings every page up to date
(fastest {{f "hugo_min_ms" 0}}, slowest {{f "hugo_max_ms" 0}}; ratio {{f "ratio" 3}}), and {{f "hugo_fast_ms" 0}} ms for hugo server
with its default fast render, which renders only the changed page and those a
browser visited lately (ratio {{f "ratio_fast" 2}}).`,

	"overhead": `A book of {{f "runs" 0}} runs that each call a trivial compiled program
took a median {{f "litbook_wall_s" 2}} s of wall time and {{f "litbook_cpu_s" 2}} s of CPU (user and system,
litbook and everything it started) to build with -rerun at -j {{f "jobs" 0}},
against {{f "shell_wall_s" 2}} s and {{f "shell_cpu_s" 2}} s for a shell loop that runs the same binary as
many times, {{f "jobs" 0}} at a time, each in a fresh mktemp -d directory that it then
removes: {{f "ratio_wall" 2}} times the wall time and {{f "ratio_cpu" 2}} times the CPU
({{f "litbook_ms_per_run" 1}} ms a run against {{f "shell_ms_per_run" 1}} ms; medians of {{f "rounds" 0}} rounds, alternating).`,
}
