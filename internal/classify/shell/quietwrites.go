package shell

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// Commands whose reading names hide a write: a download named for reading
// (get-object, template, dump) that writes where its last operand or an
// option says, and options that turn a query into a change (go env -w,
// hostname NAME, date -s). Judged as the writes they are, they wait in
// production and land where they land.
func (w *walker) quietWrites(c *call) {
	writes := func(what string) { w.add("shell.write", write, c.name+" "+what) }
	outputs := func(p arg, how string) {
		if !p.dyn {
			w.truncates(p.s, false, how)
		}
	}
	switch c.name {
	case "aws":
		if (c.sub("s3api", "get-object") || c.sub("s3api", "get-object-torrent")) && len(c.pos) > 2 {
			outputs(c.pos[len(c.pos)-1].arg, "aws s3api get-object writing its output file")
		}
	case "wget":
		for _, d := range optionValues(c, "-P", "--directory-prefix") {
			if d.dyn || !inWorkspace(d.s) && !isTemp(d.s) {
				outputs(arg{s: path.Join(d.s, "downloaded"), dyn: d.dyn}, "wget -P writing into "+d.s)
			}
		}
	case "helm":
		dirs := optionValues(c, "--output-dir")
		if c.sub("fetch") || c.sub("pull") {
			dirs = append(dirs, optionValues(c, "-d", "--destination", "--untardir")...)
		}
		for _, d := range dirs {
			outputs(arg{s: path.Join(d.s, "rendered"), dyn: d.dyn}, "helm writing into "+d.s)
		}
	case "kubectl", "oc":
		for _, d := range optionValues(c, "--output-directory") {
			outputs(arg{s: path.Join(d.s, "dump"), dyn: d.dyn}, c.name+" writing into "+d.s)
		}
		if c.sub("auth", "reconcile") {
			w.add("iam.escalation", unknown, c.name+" auth reconcile creates or widens roles and bindings from a file")
		}
	case "go":
		if c.sub("env") && c.has("-w", "-u") && strings.Contains(strings.Join(argStrings(c.args), " "), "GO") &&
			slices.ContainsFunc(c.args, func(a arg) bool { return goSupplyChain.MatchString(a.s) }) {
			writes("env -w changes where every later build fetches modules from, or whether it checks them")
		}
	case "terraform", "tofu":
		if c.sub("init") && (c.has("-reconfigure", "-migrate-state", "-force-copy") || len(optionValues(c, "-backend-config")) > 0) {
			writes("init changes where the state is kept")
		}
	case "hostname":
		if len(c.pos) > 0 || c.has("-F", "--file", "-b", "--boot") {
			writes("renames the machine")
		}
	case "date":
		if c.has("-s", "--set") || len(c.pos) > 0 && clockDigits.MatchString(c.pos[0].s) {
			writes("sets the system clock, which certificates, tokens, schedules and replication read")
		}
	case "timedatectl":
		if c.sub("set-time") || c.sub("set-timezone") || c.sub("set-ntp") {
			writes(c.subAt(0) + " changes the system clock")
		}
	case "ss":
		if c.has("-K", "--kill") {
			w.add("host.kill-connections", destructive, "ss -K closes the sockets it matches: the connections of the services using them drop")
		}
	}
}

// clockDigits: date's MMDDhhmm[[CC]YY][.ss] operand, which sets the clock.
var clockDigits = regexp.MustCompile(`^\d{8}(?:\d{2}|\d{4})?(?:\.\d{2})?$`)

// goSupplyChain: the Go settings that say where modules come from and
// whether their checksums are checked.
var goSupplyChain = regexp.MustCompile(`^(?:GOPROXY|GONOSUMDB|GONOSUMCHECK|GOSUMDB|GOINSECURE|GOFLAGS|GOTOOLCHAIN|GONOPROXY)(?:=|$)`)
