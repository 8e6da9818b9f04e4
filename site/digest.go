package site

import (
	"bufio"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/litbook/litbook/internal/fsx"
	"github.com/litbook/litbook/model"
)

// digestFormat changes when what goes into inputDigest changes.
const digestFormat = "litbook-site-inputs-1"

// executableDigest identifies the litbook program itself: a site made by
// another build of litbook (new templates, new styles) is not up to date
// even if the book is unchanged. A version number would miss changes made
// during development; the Go build ID does not, since its last part is a
// hash of the linked program, and reading it from the ELF note costs
// microseconds where hashing the whole executable cost about 20 ms of
// every rebuild. Executables without one are hashed.
var executableDigest = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	if id, err := goBuildID(exe); err == nil {
		return "go-build-id:" + id
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	return hex.EncodeToString(h.Sum(nil))
})

// goBuildID returns the Go build ID of the ELF executable at path, from
// its .note.go.buildid section: an ELF note whose name is "Go" and whose
// descriptor is the ID.
func goBuildID(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return "", errors.New("no Go build ID note")
	}
	data, err := sec.Data()
	if err != nil {
		return "", err
	}
	if len(data) < 16 {
		return "", errors.New("short Go build ID note")
	}
	bo := f.ByteOrder
	namesz, descsz := bo.Uint32(data[0:]), bo.Uint32(data[4:])
	nameEnd := 12 + uint64(namesz)
	descStart := 12 + (uint64(namesz)+3)&^3
	if namesz != 4 || nameEnd > uint64(len(data)) || string(data[12:nameEnd]) != "Go\x00\x00" ||
		descStart+uint64(descsz) > uint64(len(data)) || descsz == 0 {
		return "", errors.New("malformed Go build ID note")
	}
	return string(data[descStart : descStart+uint64(descsz)]), nil
}

// inputDigest returns the digest of everything the site of in is made
// from: litbook itself, the configuration, every chapter, the book files
// chapters link to (files), every record with all its trials, and what the
// Machines page shows of the store. Two builds with the same digest write
// the same site, so the second has nothing to do.
func inputDigest(in Input, files []string) (string, error) {
	full, _, err := digests(in, files)
	return full, err
}

// digests returns inputDigest, and global: the digest of what every page
// depends on besides the chapters' paths and sources (the same fields,
// without those).
func digests(in Input, files []string) (full, global string, err error) {
	b := in.Book
	hf, hg := sha256.New(), sha256.New()
	both := io.MultiWriter(hf, hg)
	field := func(name string, data []byte) {
		fmt.Fprintf(both, "%s %d\n", name, len(data))
		both.Write(data)
	}
	field("format", []byte(digestFormat))
	field("executable", []byte(executableDigest()))
	field("config", []byte(fmt.Sprintf("%#v", b.Config)))
	for _, ch := range b.Chapters {
		for _, f := range [][2][]byte{{[]byte("chapter"), []byte(ch.Path)}, {[]byte("source"), ch.Source}} {
			fmt.Fprintf(hf, "%s %d\n", f[0], len(f[1]))
			hf.Write(f[1])
		}
	}
	// Code included from files of the book (include=) is shown too.
	for _, rel := range b.Includes {
		field("include", []byte(rel))
		if err := hashFile(both, filepath.Join(b.Root, filepath.FromSlash(rel))); err != nil {
			return "", "", err
		}
	}
	for _, rel := range files {
		field("file", []byte(rel))
		if err := hashFile(both, filepath.Join(b.Root, filepath.FromSlash(rel))); err != nil {
			return "", "", err
		}
	}
	field("records", []byte(fmt.Sprint(len(in.Records))))
	for i, r := range in.Records {
		data, err := recordJSON(r)
		if err != nil {
			return "", "", err
		}
		field(fmt.Sprintf("record %d", i), data)
	}
	machines, err := json.Marshal(newMachinesView(b, in.Records, in.Store, in.Machine))
	if err != nil {
		return "", "", err
	}
	field("machines", machines)
	return hex.EncodeToString(hf.Sum(nil)), hex.EncodeToString(hg.Sum(nil)), nil
}

// recordJSON is what of a record the site shows: all of it but the run,
// which the chapter's source already stands for.
func recordJSON(r *model.Record) ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	c := *r
	c.Run = nil
	c.Trials = make([]*model.Result, len(r.Trials))
	for i, t := range r.Trials {
		if t != nil {
			tc := *t
			tc.Run = nil
			c.Trials[i] = &tc
		}
	}
	return json.Marshal(&c)
}

func hashFile(h io.Writer, path string) error {
	f, err := fsx.OpenRegular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%d\n", fi.Size())
	_, err = io.Copy(h, f)
	return err
}

// digestLine is how the marker file records the digest of the inputs.
const digestLine = "inputs "

// markerContent is the marker file of a site made from inputs with the
// given digest.
func markerContent(digest string) []byte {
	return []byte(markerText + digestLine + digest + "\n")
}

// PublishedDigest returns the digest of the inputs that the site in dir
// was made from, or "" if dir holds no site litbook made.
func PublishedDigest(dir string) string {
	f, err := fsx.OpenRegular(filepath.Join(dir, MarkerFile))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), digestLine); ok {
			return d
		}
	}
	return ""
}
