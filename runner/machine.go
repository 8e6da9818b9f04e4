package runner

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/runner/internal/procfs"
	"golang.org/x/sys/unix"
)

// fsNames names the filesystem magic numbers of statfs(2) that readers are
// likely to meet. ext2, ext3 and ext4 share one magic number.
var fsNames = map[int64]string{
	0xEF53:     "ext4",
	0x01021994: "tmpfs",
	0x794c7630: "overlayfs",
	0x58465342: "xfs",
	0x9123683E: "btrfs",
	0x2FC12FC1: "zfs",
	0x6969:     "nfs",
	0x65735546: "fuse",
	0x01021997: "9p",
	0x73717368: "squashfs",
	0xFF534D42: "cifs",
	0xF15F:     "ecryptfs",
	0x5346544E: "ntfs",
	0x4d44:     "vfat",
	0xCA451A4E: "bcachefs",
	0x858458f6: "ramfs",
	0x6a656a63: "fakeowner",
	0xBEEFDEAD: "virtiofs",
}

// fsType returns the filesystem type of dir, such as "ext4" or "tmpfs":
// the type of the mount that holds it, as /proc/self/mountinfo names it,
// or, failing that, the name of statfs's magic number (which ext2, ext3
// and ext4 share).
func fsType(dir string) string {
	if t := mountType(dir); t != "" {
		return t
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "unknown"
	}
	if name, ok := fsNames[int64(st.Type)]; ok {
		return name
	}
	return fmt.Sprintf("0x%x", st.Type)
}

// mountType returns the filesystem type of the mount whose mount point is
// the longest prefix of dir, from /proc/self/mountinfo (proc(5)).
func mountType(dir string) string {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return ""
	}
	best, bestType := "", ""
	for _, m := range procfs.Mounts() {
		if (real == m.Point || strings.HasPrefix(real, strings.TrimSuffix(m.Point, "/")+"/")) && len(m.Point) >= len(best) {
			best, bestType = m.Point, m.FSType
		}
	}
	return bestType
}

// Machine describes this machine as the runs of r see it: goVersion is the
// toolchain's (see GoVersion), and the filesystem is that of TempDir. It
// starts no process.
func (r *Runner) Machine(goVersion string) (model.Machine, error) {
	tmp, err := filepath.Abs(r.tempDir())
	if err != nil {
		return model.Machine{}, err
	}
	return machine(goVersion, tmp), nil
}

// machine describes this machine, with goVersion from the toolchain that
// builds the programs and the filesystem of the directory runs are made in
// (runDirRoot, absolute), and whether runs can be isolated here
// (isolate.go).
func machine(goVersion, runDirRoot string) model.Machine {
	var u unix.Utsname
	kernel := "unknown"
	if err := unix.Uname(&u); err == nil {
		kernel = unix.ByteSliceToString(u.Release[:])
	}
	osName := runtime.GOOS
	if osName == "linux" {
		osName = "Linux"
	}
	return model.Machine{
		OS:         osName,
		Kernel:     strings.TrimSpace(kernel),
		Arch:       runtime.GOARCH,
		CPUs:       runtime.NumCPU(),
		CPUModel:   cpuModel(),
		FS:         fsType(runDirRoot),
		GoVersion:  goVersion,
		Unisolated: isolation() != nil,
		RunDirRoot: runDirRoot,
		Load:       loadAverage(),
	}
}

// cpuModel returns the processor's model as /proc/cpuinfo names it: the
// model name on x86, the hardware or the implementer and part on ARM.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if k = strings.TrimSpace(k); ok && fields[k] == "" {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	switch {
	case fields["model name"] != "":
		return fields["model name"]
	case fields["Hardware"] != "":
		return fields["Hardware"]
	case fields["CPU implementer"] != "":
		return "implementer " + fields["CPU implementer"] + " part " + fields["CPU part"]
	}
	return ""
}

// loadAverage returns the 1-minute load average: a busy machine measures
// timings that an idle one would not.
func loadAverage() float64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return math.Round(float64(si.Loads[0])/(1<<unix.SI_LOAD_SHIFT)*100) / 100
}
