package runner

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/litbook/litbook/model"
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

// fsType returns the filesystem type of dir, such as "ext4" or "tmpfs".
func fsType(dir string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "unknown"
	}
	if name, ok := fsNames[int64(st.Type)]; ok {
		return name
	}
	return fmt.Sprintf("0x%x", st.Type)
}

// machine describes this machine, with goVersion from the toolchain that
// builds the programs and the filesystem of the directory runs are made in.
func machine(goVersion, runDirRoot string) model.Machine {
	var u unix.Utsname
	kernel := "unknown"
	if err := unix.Uname(&u); err == nil {
		kernel = unix.ByteSliceToString(u.Release[:])
	}
	host, _ := os.Hostname()
	osName := runtime.GOOS
	if osName == "linux" {
		osName = "Linux"
	}
	return model.Machine{
		OS:         osName,
		Kernel:     strings.TrimSpace(kernel),
		Arch:       runtime.GOARCH,
		CPUs:       runtime.NumCPU(),
		FS:         fsType(runDirRoot),
		GoVersion:  goVersion,
		Hostname:   host,
		RunDirRoot: runDirRoot,
	}
}
