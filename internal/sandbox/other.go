//go:build !linux

package sandbox

import (
	"fmt"
	"runtime"
)

// FailEnv has no effect here: nothing can be confined anyway.
const FailEnv = "CHAPERONE_SANDBOX_FAIL"

// Start refuses: the confinement is made of Linux namespaces.
func Start(Spec) (*Session, error) {
	return nil, fmt.Errorf("%w: run confines commands on Linux only (this is %s); run serve and the agent on a Linux host or VM, or pass --unconfined to run without confinement",
		ErrUnavailable, runtime.GOOS)
}

// Init is never reached here.
func Init() { panic("sandbox: Init outside Linux") }
