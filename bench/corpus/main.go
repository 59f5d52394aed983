// Command corpus measures the shell classifier against a peer's command
// corpus: each case is classified and decided with the built-in policy, and
// Chaperone's decision is compared with the expected one ("approve" and
// "deny" both count as not allowed). Input: JSON lines from extract.py.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/policy"
)

type tc struct {
	Command, Expected, Source string
}

func main() {
	eng, err := policy.New(config.Defaults("/"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	total, agree := 0, 0
	bySource := map[string][2]int{}
	var misses []string
	for sc.Scan() {
		var c tc
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		a := classify.Classify(action.KindShell, c.Command)
		d := eng.Decide(&a)
		got := "allow"
		if d.Verdict != action.Allow {
			got = "deny"
		}
		total++
		s := bySource[c.Source]
		s[1]++
		if got == c.Expected {
			agree++
			s[0]++
		} else {
			misses = append(misses, fmt.Sprintf("%s\texpected %s, got %s (%s, %s)\t%q", c.Source, c.Expected, d.Verdict, a.Class, strings.Join(a.ReasonIDs(), ","), c.Command))
		}
		bySource[c.Source] = s
	}
	sources := make([]string, 0, len(bySource))
	for s := range bySource {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	fmt.Printf("| source | agree |\n|---|---|\n")
	for _, s := range sources {
		fmt.Printf("| %s | %d/%d |\n", s, bySource[s][0], bySource[s][1])
	}
	fmt.Printf("\nagreement: %d/%d (%.1f%%)\n\ndisagreements:\n", agree, total, 100*float64(agree)/float64(total))
	for _, m := range misses {
		fmt.Println(m)
	}
}
