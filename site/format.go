package site

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
	"github.com/litbook/litbook/values"
)

// formatCount prints n with thousands separators: 3221225472 is
// "3,221,225,472".
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatBytes prints a byte count for a reader: "1 byte", "4,096 bytes".
func formatBytes(n int64) string {
	if n == 1 {
		return "1 byte"
	}
	return formatCount(n) + " bytes"
}

// formatDuration rounds d to what a reader can use: "0.3 ms", "412 ms",
// "2.31 s", "12.4 s", "3 min 5 s".
func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + formatDuration(-d)
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d.Round(time.Millisecond) < time.Second:
		return fmt.Sprintf("%d ms", d.Round(time.Millisecond)/time.Millisecond)
	case d.Round(10*time.Millisecond) < 10*time.Second:
		return fmt.Sprintf("%.2f s", d.Round(10*time.Millisecond).Seconds())
	case d.Round(100*time.Millisecond) < time.Minute:
		return fmt.Sprintf("%.1f s", d.Round(100*time.Millisecond).Seconds())
	}
	d = d.Round(time.Second)
	m, s := d/time.Minute, (d%time.Minute)/time.Second
	if s == 0 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d min %d s", m, s)
}

// osName spells a GOOS the way its users do.
func osName(goos string) string {
	switch goos {
	case "linux":
		return "Linux"
	case "darwin":
		return "macOS"
	case "freebsd":
		return "FreeBSD"
	case "netbsd":
		return "NetBSD"
	case "openbsd":
		return "OpenBSD"
	case "dragonfly":
		return "DragonFly BSD"
	case "windows":
		return "Windows"
	case "solaris":
		return "Solaris"
	case "illumos":
		return "illumos"
	}
	return goos
}

// systemName describes the system of m: "Linux 6.18.44 (amd64)".
func systemName(m model.Machine) string {
	s := osName(m.OS)
	if m.Kernel != "" {
		s = strings.TrimSpace(s + " " + m.Kernel)
	}
	if m.Arch != "" {
		if s == "" {
			return m.Arch
		}
		s += " (" + m.Arch + ")"
	}
	return s
}

// machineParts lists what a reader needs to know about where a result was
// measured, in the order the provenance line shows them. Empty fields are
// left out.
func machineParts(m model.Machine) []string {
	var parts []string
	if s := systemName(m); s != "" {
		parts = append(parts, s)
	}
	switch {
	case m.FS != "" && m.RunDirRoot != "":
		parts = append(parts, m.FS+" at "+m.RunDirRoot)
	case m.FS != "":
		parts = append(parts, m.FS)
	case m.RunDirRoot != "":
		parts = append(parts, "in "+m.RunDirRoot)
	}
	switch {
	case m.CPUs == 1:
		parts = append(parts, "1 CPU")
	case m.CPUs > 1:
		parts = append(parts, formatCount(int64(m.CPUs))+" CPUs")
	}
	if m.GoVersion != "" {
		parts = append(parts, m.GoVersion)
	}
	return parts
}

// measuredParts is machineParts for a result or record: for a run with
// fs=, the filesystem litbook made for it replaces the run directory's.
func measuredParts(m model.Machine, fs *model.Filesystem) []string {
	if fs != nil {
		m.FS, m.RunDirRoot = fs.Type, ""
		if fs.How != "" {
			m.FS += " (" + fs.How + ")"
		}
	}
	return machineParts(m)
}

// sameMachine reports whether a and b have the same fingerprint and
// measured with the same Go in the same place: what is only recorded (the
// hostname, the exact kernel build, the load, litbook's version) may
// differ.
func sameMachine(a, b model.Machine) bool {
	return store.SameMachine(a, b) && a.GoVersion == b.GoVersion && a.RunDirRoot == b.RunDirRoot
}

// joinAnd joins words as prose: "A", "A and B", "A, B and C".
func joinAnd(words []string) string { return values.JoinAnd(words) }

// Control pictures stand in for control characters in captured output.
const (
	controlPictures = 0x2400 // U+2400 ␀ is the picture of NUL; U+241B ␛ of ESC
	deletePicture   = 0x2421 // ␡
)

// cleanText turns captured bytes into text that shows every byte for what
// it is: invalid UTF-8 becomes U+FFFD, ANSI CSI sequences (colours, cursor
// motion) are dropped, CRLF becomes LF, and other control characters except
// newline and tab become their visible control pictures (␀, ␛, ␍, ...).
// The result is plain text: it still needs HTML escaping, which the
// templates do.
func cleanText(data []byte) string {
	var b strings.Builder
	b.Grow(len(data))
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == 0x1b && i+1 < len(data) && data[i+1] == '[':
			// CSI: ESC [, parameter and intermediate bytes (0x20-0x3F),
			// one final byte (0x40-0x7E).
			j := i + 2
			for j < len(data) && data[j] >= 0x20 && data[j] <= 0x3f {
				j++
			}
			switch {
			case j == len(data): // cut off by truncation: drop the fragment
				i = j
			case data[j] >= 0x40 && data[j] <= 0x7e:
				i = j + 1
			default: // not a CSI after all: show the ESC
				b.WriteRune(controlPictures + 0x1b)
				i++
			}
		case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
			i++
		case c == '\n' || c == '\t':
			b.WriteByte(c)
			i++
		case c < 0x20:
			b.WriteRune(controlPictures + rune(c))
			i++
		case c == 0x7f:
			b.WriteRune(deletePicture)
			i++
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			b.WriteRune(r) // utf8.RuneError (U+FFFD) for each invalid byte
			i += size
		}
	}
	return b.String()
}
