package site

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/litbook/litbook/internal/inert"
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
	if m.Unisolated {
		parts = append(parts, unisolated)
	}
	return parts
}

// unisolated is what the site says of a machine whose runs could not be
// isolated (model.Machine.Unisolated).
const unisolated = "runs not isolated (they shared the machine's network and /tmp)"

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

// cleanText turns captured bytes into text that shows every byte for what
// it is (see inert.Text). The result still needs HTML escaping, which the
// templates do.
func cleanText(data []byte) string { return inert.Text(data) }
