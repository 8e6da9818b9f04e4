// Package supervise watches over the processes that litbook's runs start,
// beyond what a process group reaches: it makes litbook a child subreaper
// so that orphans of a run come back to it, kills a run's processes by
// every mark they carry (its LITBOOK_RUN token, a working directory or an
// open file in its directory), confines each run in cgroups of its own
// where the machine allows, and removes what a litbook killed with SIGKILL
// left behind.
//
// All of this changes process-wide state and kills processes the caller did
// not start itself, so it is for a program that owns its children, such as
// the litbook command, never a side effect of importing the runner:
//
//	sup := supervise.New()                  // once per process
//	rn := &runner.Runner{Supervisor: sup}   // a nil Supervisor supervises nothing
//
// A Supervisor must start every child of the process that is not a run's
// orphan (through Start), or a sweep will take that child for one.
package supervise
