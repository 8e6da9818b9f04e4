// Package store keeps the results of a book's runs between builds, as plain
// JSON files in the book's results/ directory: one directory per machine,
// one file per run block.
//
//	results/linux-amd64-2cpu-ext4-6.18.44/01-append/seek.json
//
// A record is reused instead of running again when its key matches. The
// key is a SHA-256 over everything that can change what a run measures:
//
//   - the result format version (Format), so that a litbook that records
//     more never trusts records that lack it;
//   - the run block as written: its info string (trials=, exit=, timeout=
//     ...) and its transcript;
//   - the name and every source file of each program the transcript calls;
//   - the Go version that builds the programs;
//   - the machine fingerprint: OS, kernel release, architecture, CPU count
//     and the filesystem type of the directory runs are made in.
//
// The first four, without the machine and the Go version, are the record's
// Sources: records of two machines with equal Sources measured the same
// experiment, which is what `litbook diff` compares and what `build
// --frozen` may render from. Prose, other programs and other run blocks are
// not part of the key, so editing them re-runs nothing.
//
// Files are written atomically (a temporary file in the same directory,
// fsync, rename), so a build killed at any point leaves each record either
// complete or absent. Each file carries a digest of its own content: a
// truncated, corrupt or hand-edited record is reported and measured again,
// never trusted.
package store
