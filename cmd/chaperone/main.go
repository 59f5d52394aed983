// Command chaperone lets AI coding agents work on real infrastructure without
// being able to wipe it. This package only wires the CLI; internal/ does.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
