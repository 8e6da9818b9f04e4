package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/litbook/litbook/internal/inputs"
	"github.com/litbook/litbook/model"
)

// runEnv is the whole environment of a run's shell, before env= adds to
// it: PATH, HOME (the run's directory), TMPDIR, LANG, TZ, TERM and
// LITBOOK_RUN (the token that marks the run's processes). The authoring
// appendix lists it; TestEnvironmentDocumented keeps the two in step.
func runEnv(path, home, tmp, token string) []string {
	return []string{
		"PATH=" + path,
		"HOME=" + home,
		"TMPDIR=" + tmp,
		"LANG=C.UTF-8",
		"TZ=UTC",
		"TERM=dumb",
		"LITBOOK_RUN=" + token,
	}
}

// EnvNames returns the names of the variables litbook sets in every run,
// in the order it sets them.
func EnvNames() []string {
	var names []string
	for _, kv := range runEnv("", "", "", "") {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	return names
}

// copyInputs copies the files= of run from the book at root into the
// run's directory work, keeping executable bits, and checks that what it
// copied is what the loader digested: the run's key covers that content,
// so a file edited since (while the build ran) fails the run rather than
// be measured under the key of its old content.
func copyInputs(run *model.Run, root, work string) error {
	for _, in := range run.Files {
		src := filepath.Join(root, filepath.FromSlash(in.Path))
		if err := copyInput(in, src, filepath.Join(work, in.Name)); err != nil {
			return fmt.Errorf("files=: %v", err)
		}
	}
	return nil
}

// openInput copies the stdin= of run from the book at root into dir, as
// copyInputs does files=, and opens the copy for reading: the run reads
// the content its key covers even if the book's file changes while it
// runs.
func openInput(run *model.Run, root, dir string) (*os.File, error) {
	in := run.Stdin
	dst := filepath.Join(dir, "stdin")
	if err := copyInput(*in, filepath.Join(root, filepath.FromSlash(in.Path)), dst); err != nil {
		return nil, fmt.Errorf("stdin=: %v", err)
	}
	return os.Open(dst)
}

// copyInput copies in, at src, to dst and checks its digest.
func copyInput(in model.Input, src, dst string) error {
	digest, err := inputs.Copy(src, dst)
	switch {
	case errors.Is(err, inputs.ErrChanged) || err == nil && digest != in.Digest:
		return fmt.Errorf("%s changed during the build, after litbook read it; build again", in.Path)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s was removed during the build; build again", in.Path)
	case err != nil:
		return fmt.Errorf("cannot copy %s into the run directory: %v", in.Path, err)
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// order returns the order in which the kept bytes of a command's two
// streams arrived, as the captures out and errs numbered their reads;
// stdout and stderr are what the result keeps of them, once unscript
// rewrote the shell's messages. It is nil when one stream kept nothing.
func (sb *sandbox) order(out, errs *capture, stdout, stderr model.Output) []model.Chunk {
	if len(stdout.Data) == 0 || len(stderr.Data) == 0 {
		return nil
	}
	type piece struct {
		seq  int64
		err  bool
		data []byte
	}
	var pieces []piece
	for _, c := range []struct {
		cap *capture
		err bool
	}{{out, false}, {errs, true}} {
		off := 0
		for _, ch := range c.cap.chunks {
			pieces = append(pieces, piece{ch.seq, c.err, c.cap.data[off : off+ch.n]})
			off += ch.n
		}
	}
	slices.SortFunc(pieces, func(a, b piece) int { return int(a.seq - b.seq) })
	var chunks []model.Chunk
	var got [2][]byte
	for _, p := range pieces {
		data := p.data
		if len(stdout.Data) != len(out.data) || len(stderr.Data) != len(errs.data) {
			// unscript rewrote messages: each piece as it would alone.
			data = sb.unscript(model.Output{Data: data, Total: int64(len(data))}).Data
		}
		k := 0
		if p.err {
			k = 1
		}
		got[k] = append(got[k], data...)
		if len(data) == 0 {
			continue
		}
		if n := len(chunks); n > 0 && chunks[n-1].Stderr == p.err {
			chunks[n-1].Len += len(data)
			continue
		}
		chunks = append(chunks, model.Chunk{Stderr: p.err, Len: len(data)})
	}
	if !bytes.Equal(got[0], stdout.Data) || !bytes.Equal(got[1], stderr.Data) {
		return nil // a message split across reads: no order rather than a wrong one
	}
	return chunks
}
