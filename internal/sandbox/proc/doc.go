// Package proc runs the sandbox's child processes and watches over them:
// StartProc starts one in its own process group with its log file, Proc.Stop
// stops it by its PID (the group, never by name), Proc.WaitReady polls a
// readiness check; FreePort and LoopbackURL hand out 127.0.0.1 addresses, and
// ListenAddrs reads from /proc which addresses a process listens on, so tests
// prove that every server binds loopback only. PrepareDir takes a sandbox
// directory's lock (ErrDirInUse when another sandbox holds it); FindBinDir and
// CheckBinaries find the tool binaries `make tools` builds.
package proc
