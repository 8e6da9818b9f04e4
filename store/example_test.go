package store_test

import (
	"fmt"

	"github.com/litbook/litbook/model"
	"github.com/litbook/litbook/store"
)

func ExampleRecordPath() {
	m := model.Machine{OS: "Linux", Arch: "amd64", CPUs: 2, FS: "ext4", Kernel: "6.18.44-fc-v1147", CPUModel: "Intel(R) Xeon(R) Processor"}
	run := &model.Run{ID: "01-append/seek"}
	fmt.Println(store.RecordPath(m, run))
	// Output: results/linux-amd64-2cpu-ext4-6.18.44-0734df8f/01-append/seek.json
}
