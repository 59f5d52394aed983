// Command hookbench runs each given command N times, in turn, with the same standard
// input and prints the median and p90 wall time of each, from start to exit,
// and each one's ratio to the second command (the baseline).
//
//	hookbench -n 200 -input '{...}' -- /bin/true -- ./baseline -- ./chaperone hook claude-code
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 200, "runs per command")
	input := flag.String("input", "", "standard input for every run")
	flag.Parse()
	var cmds [][]string
	var cur []string
	for _, a := range flag.Args() {
		if a == "--" {
			if len(cur) > 0 {
				cmds = append(cmds, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		cmds = append(cmds, cur)
	}
	// Round robin: one run of each command in turn, so that the machine's
	// slow and fast spells fall on all of them alike.
	times := make([][]time.Duration, len(cmds))
	for range *n {
		for i, c := range cmds {
			cmd := exec.Command(c[0], c[1:]...)
			cmd.Stdin = strings.NewReader(*input)
			var out bytes.Buffer
			cmd.Stdout = &out
			start := time.Now()
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "%v: %v\n", c, err)
				os.Exit(1)
			}
			times[i] = append(times[i], time.Since(start))
		}
	}
	medians := make([]time.Duration, len(cmds))
	for i, c := range cmds {
		slices.Sort(times[i])
		medians[i] = times[i][*n/2]
		ratio := ""
		if i > 1 {
			ratio = fmt.Sprintf("  %.2fx baseline (+%.2f ms)", float64(medians[i])/float64(medians[1]), float64(medians[i]-medians[1])/1e6)
		}
		fmt.Printf("%-32s median %7.2f ms  p90 %7.2f ms%s\n", strings.Join(c, " "), float64(medians[i])/1e6, float64(times[i][*n*9/10])/1e6, ratio)
	}
}
