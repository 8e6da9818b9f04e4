// Package store keeps the results of a book's runs between builds, as plain
// JSON files in the book's results/ directory: one directory per machine,
// one file per run block.
//
//	results/linux-amd64-2cpu-ext4-6.18.44-aff5fa6b/01-append/seek.json
//
// A record is reused instead of running again when its key matches. The
// key is a SHA-256 over everything that can change what a run measures:
//
//   - the result format version (Format), so that a litbook that records
//     more never trusts records that lack it;
//   - the run block as written: its info string (trials=, exit=, timeout=
//     ...) and its transcript;
//   - the name and every source file of each program the transcript calls,
//     and the modules its imports resolve to in the book's go.mod, with
//     their versions and replacements (model.Program.Modules): bumping a
//     dependency reruns exactly the runs whose programs import it. A bump
//     of an indirect dependency alone (a "// indirect" line) reruns
//     nothing: use build -rerun;
//   - the Go version that builds the programs;
//   - the machine fingerprint (below).
//
// # What identifies a machine
//
// The fingerprint holds what plausibly changes what a run measures, and
// nothing else, so that the same machine is recognised after a reboot or
// a kernel rebuild and a different one is never mistaken for it:
//
//   - the OS and the architecture;
//   - the CPU model (/proc/cpuinfo) and the number of usable CPUs: races
//     and timings depend on both;
//   - the filesystem type of the directory runs are made in: the kernel's
//     locking is per filesystem;
//   - the kernel version without its local build suffix (6.18.44 of
//     6.18.44-fc-v1147; see model.KernelVersion): a release changes the
//     code a system call runs, a rebuild of it by the same recipe does
//     not;
//   - the shells the runs use: /bin/sh, which runs every transcript, and
//     each shell a transcript calls (bash, dash, zsh...), by the binary the
//     name resolves to and its version, or the binary's digest where the
//     shell prints no version. Chapter 5 of the bundled book measures what
//     the shell's buffering does;
//   - whether runs were isolated: where litbook cannot make namespaces (no
//     root, no CAP_SYS_ADMIN), runs share the machine's network and /tmp
//     and may measure what an isolated run would not, so such results are
//     reused only where runs are unisolated too. Only the unisolated state
//     is added to the fingerprint (and "-unisolated" to the directory's
//     name), so that records measured isolated, the default, keep their
//     keys.
//
// The Go version that builds the programs is keyed beside the fingerprint.
// Recorded with every record but not keyed: the exact kernel release, the
// load average when the build started (a busy machine times differently;
// litbook diff shows it), litbook's own version, the directory runs were
// made in, and the hostname only where book.toml asks for it
// (record-hostname = true), since records are committed and published.
//
// The machine's directory under results/ names the readable part of the
// fingerprint and a digest of all of it. Records stored under an earlier
// rule (one directory per kernel build, with hostnames) are migrated by
// the next build that is not -frozen: moved to the directory of this rule,
// the newest record of a run winning, rekeyed and without hostname. Such
// records never recorded the CPU model or the shells, and Migrate does not
// guess them: they form a machine of their own, whose CPU model is
// unknown, which build -frozen, diff and machines(...) use and which no
// build reuses as its own; the first build after the upgrade measures
// everything again. prune -stale removes them once the book has changed.
// A newer litbook's record in the way is left alone, and so is the
// record that would have replaced it.
//
// The first four, without the machine and the Go version, are the record's
// Sources: records of two machines with equal Sources measured the same
// experiment, which is what `litbook diff` compares and what `build
// --frozen` may render from. Prose, other programs and other run blocks are
// not part of the key, so editing them re-runs nothing.
//
// Files are written atomically (a temporary file in the same directory,
// then a rename), so a build killed at any point leaves each record either
// complete or absent; a build syncs its records to the disk once, after
// its runs (see Syncer). Each file carries a digest of its own content: a
// truncated, corrupt or hand-edited record is reported and measured again,
// never trusted.
package store
