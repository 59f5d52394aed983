package rest

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/shell"
	"github.com/chaperone/chaperone/internal/classify/shell/argv"
	"github.com/chaperone/chaperone/internal/classify/sql"
	"github.com/chaperone/chaperone/internal/strictjson"
)

const (
	read        = action.ClassRead
	write       = action.ClassWrite
	destructive = action.ClassDestructive
)

// Fly is the Fly Machines API (https://api.machines.dev/v1): apps,
// machines, volumes and secrets. Paths are relative to the base URL.
var Fly = Profile{Name: "fly", Listed: true, Always: judgeShowSecrets, Rules: []Rule{
	{Method: "GET", Path: "/apps", Class: read},
	{Method: "POST", Path: "/apps", Class: write, ID: "fly.app-create", Message: "creates an app"},
	{Method: "GET", Path: "/apps/{app}", Class: read},
	{Method: "DELETE", Path: "/apps/{app}", Class: destructive, ID: "fly.app-delete",
		Message: "deletes app {app} with all its machines and volumes"},

	{Method: "GET", Path: "/apps/{app}/machines", Class: read},
	{Method: "POST", Path: "/apps/{app}/machines", Class: write, ID: "fly.machine-create", Message: "creates a machine in {app}", Judge: judgeMachineCreate},
	{Method: "GET", Path: "/apps/{app}/machines/{machine}", Class: read},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}", Class: write, ID: "fly.machine-update", Message: "replaces machine {machine}'s configuration", Judge: judgeMachineUpdate},
	{Method: "DELETE", Path: "/apps/{app}/machines/{machine}", Class: destructive, ID: "fly.machine-delete",
		Message: "destroys machine {machine} in {app}"},
	{Method: "GET", Path: "/apps/{app}/machines/{machine}/wait", Class: read},
	{Method: "GET", Path: "/apps/{app}/machines/{machine}/events", Class: read},
	{Method: "GET", Path: "/apps/{app}/machines/{machine}/lease", Class: read},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/stop", Class: destructive, ID: "fly.machine-stop",
		Message: "stops machine {machine}: what it serves goes offline"},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/suspend", Class: destructive, ID: "fly.machine-stop",
		Message: "suspends machine {machine}: what it serves goes offline"},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/exec", Class: write, ID: "fly.machine-exec",
		Message: "runs a command in machine {machine}", Judge: judgeExec},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/signal", Class: destructive, ID: "fly.machine-stop",
		Message: "signals machine {machine}'s process (SIGKILL stops it, and one set to auto_destroy is then destroyed)"},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/cordon", Class: destructive, ID: "fly.machine-stop",
		Message: "cordons machine {machine}: it gets no more traffic"},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/uncordon", Class: write, ID: "fly.machine-uncordon", Message: "returns machine {machine} to service"},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/start", Class: write, ID: "fly.machine-start", Message: "starts machine {machine}"},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/restart", Class: write, ID: "fly.machine-restart", Message: "restarts machine {machine}"},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/lease", Class: write, ID: "fly.machine-lease", Message: "takes a lease on machine {machine}"},
	{Method: "DELETE", Path: "/apps/{app}/machines/{machine}/lease", Class: write, ID: "fly.machine-lease", Message: "releases the lease on machine {machine}"},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}/metadata/{key}", Class: write, ID: "fly.machine-metadata", Message: "sets machine {machine}'s metadata {key}"},
	{Method: "GET", Path: "/apps/{app}/machines/{machine}/ps", Class: read},
	{Method: "GET", Path: "/apps/{app}/machines/{machine}/metadata", Class: read},

	{Method: "GET", Path: "/apps/{app}/volumes", Class: read},
	{Method: "POST", Path: "/apps/{app}/volumes", Class: write, ID: "fly.volume-create", Message: "creates a volume in {app}"},
	{Method: "GET", Path: "/apps/{app}/volumes/{volume}", Class: read},
	{Method: "PUT", Path: "/apps/{app}/volumes/{volume}", Class: write, ID: "fly.volume-update",
		Message: "changes volume {volume}'s settings", Judge: judgeVolumeUpdate},
	{Method: "DELETE", Path: "/apps/{app}/volumes/{volume}", Class: destructive, ID: "fly.volume-delete",
		Message: "deletes volume {volume} and the data on it"},
	{Method: "PUT", Path: "/apps/{app}/volumes/{volume}/extend", Class: write, ID: "fly.volume-extend", Message: "grows volume {volume}"},
	{Method: "GET", Path: "/apps/{app}/volumes/{volume}/snapshots", Class: read},
	{Method: "POST", Path: "/apps/{app}/volumes/{volume}/snapshots", Class: write, ID: "fly.snapshot-create", Message: "snapshots volume {volume}"},

	{Method: "GET", Path: "/apps/{app}/secrets", Class: read},
	{Method: "GET", Path: "/apps/{app}/secrets/{secret}", Class: read},
	{Method: "POST", Path: "/apps/{app}/secrets", Class: write, ID: "fly.secrets-set", Message: "sets secrets of {app}", Judge: judgeSecretsSet},
	{Method: "POST", Path: "/apps/{app}/secrets/{secret}", Class: write, ID: "fly.secrets-set", Message: "sets secret {secret} of {app}", Judge: judgeSecretSet},
	{Method: "DELETE", Path: "/apps/{app}/secrets/{secret}", Class: destructive, ID: "fly.secret-delete",
		Message: "deletes secret {secret} from {app}"},
	// An app's secret keys sign and decrypt for it: decrypting hands over
	// what they protect, and setting or generating one replaces the key
	// what was encrypted needs.
	{Method: "GET", Path: "/apps/{app}/secretkeys", Class: read},
	{Method: "POST", Path: "/apps/{app}/secretkeys/{key}/decrypt", Class: action.ClassCredentialAccess, ID: "fly.secretkey-decrypt",
		Message: "decrypts with {app}'s secret key {key}"},
	{Method: "POST", Path: "/apps/{app}/secretkeys/{key}/generate", Class: destructive, ID: "fly.secretkey-replace",
		Message: "generates a new {app} secret key {key} in place of the old one"},
	{Method: "POST", Path: "/apps/{app}/secretkeys/{key}", Class: destructive, ID: "fly.secretkey-replace",
		Message: "replaces {app}'s secret key {key}"},
	{Method: "POST", Path: "/tokens/{kind}", Class: action.ClassCredentialAccess, ID: "fly.token-mint",
		Message: "mints a {kind} token that acts outside Chaperone"},
	{Method: "GET", Path: "/tokens/{kind}", Class: action.ClassCredentialAccess, ID: "fly.token-mint",
		Message: "reads a {kind} token that acts outside Chaperone"},
}}

// judgeShowSecrets: asking for secrets' values, on the list or on one
// secret, is credential access.
// Any spelling a server might map to it counts (SHOW_SECRETS, show-secrets,
// showSecrets): a framework's binder may fold case and separators.
func judgeShowSecrets(r Request) []action.Reason {
	for k, vs := range r.Query {
		if strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(k)) != "showsecrets" {
			continue
		}
		for _, v := range vs {
			if v != "false" && v != "0" {
				return []action.Reason{{ID: "fly.secrets-values", Class: action.ClassCredentialAccess,
					Message: "asks for the values of secrets (" + k + ") at " + r.Path}}
			}
		}
	}
	return nil
}

// judgeSecretSet: one secret set to null is deleted too.
func judgeSecretSet(r Request) []action.Reason {
	var body map[string]any
	if strictjson.Unmarshal(r.Body, &body) != nil {
		return []action.Reason{{ID: "fly.body-unreadable", Class: action.ClassUnknown, Message: "the secret update's body is not JSON Chaperone can read exactly"}}
	}
	// A value left out decodes as the null that deletes, on a server that
	// reads the member as a pointer: judged as null.
	hasValue := false
	for k, v := range body {
		if FoldName(k) == "value" {
			hasValue = true
			if v == nil || blank(v) {
				return []action.Reason{{ID: "fly.secret-delete", Class: destructive, Message: "deletes secret " + r.Params["secret"] + " from " + r.Params["app"] + " (a null or empty value)"}}
			}
		}
	}
	if !hasValue {
		return []action.Reason{{ID: "fly.secret-delete", Class: destructive, Message: "may delete secret " + r.Params["secret"] + " from " + r.Params["app"] + " (no value given, which the API may read as null)"}}
	}
	for k, v := range body {
		if FoldName(k) == "value" {
			return judgeEnv(map[string]any{r.Params["secret"]: v}, "the secrets of "+r.Params["app"])
		}
	}
	return nil
}

// judgeSecretsSet: a secret set to null is deleted (Fly's own client
// deletes secrets this way).
func judgeSecretsSet(r Request) []action.Reason {
	var body struct {
		Values map[string]any `json:"values"`
	}
	if strictjson.Unmarshal(r.Body, &body) != nil {
		return []action.Reason{{ID: "fly.body-unreadable", Class: action.ClassUnknown, Message: "the secrets update's body is not JSON Chaperone can read exactly"}}
	}
	tree, _ := strictjson.Decode(r.Body)
	for k := range mapOf(tree) {
		if FoldName(k) != "values" {
			return []action.Reason{{ID: "fly.body-unreadable", Class: action.ClassUnknown,
				Message: fmt.Sprintf("the secrets update has a member %q Chaperone does not know (a server may read it as a secret)", k)}}
		}
	}
	for k, v := range body.Values {
		if v == nil || blank(v) {
			return []action.Reason{{ID: "fly.secret-delete", Class: destructive, Message: "deletes secret " + k + " from " + r.Params["app"] + " (a null or empty value)"}}
		}
	}
	// Fly's machines get their app's secrets as environment variables.
	return judgeEnv(body.Values, "the secrets of "+r.Params["app"])
}

// blank: a value set to nothing but spaces takes the secret's value away
// as deleting it would.
func blank(v any) bool {
	s, ok := v.(string)
	// A NUL ends the value where it is put in an environment.
	s, _, _ = strings.Cut(s, "\x00")
	return ok && strings.TrimSpace(s) == ""
}

// flyShell reads the command of a machine exec, SQL included.
var flyShell = shell.Classifier{SQL: sql.Unasked}

// judgeExec reads the command an exec runs with the shell guard: an exec
// of `rm -rf /data` is as destructive as typing it. What the guard cannot
// see is unknown: a body it cannot read, a command named twice (cmd and
// command: which one runs is the server's choice), input on stdin (fed to
// `sh`, it is the program), and a member of the request it does not know.
func judgeExec(r Request) []action.Reason {
	unknown := func(msg string) []action.Reason {
		return []action.Reason{{ID: "fly.exec-unreadable", Class: action.ClassUnknown, Message: msg}}
	}
	var body struct {
		Cmd       string   `json:"cmd"`
		Command   []string `json:"command"`
		Stdin     string   `json:"stdin"`
		Container string   `json:"container"`
		Timeout   any      `json:"timeout"`
	}
	if strictjson.Unmarshal(r.Body, &body) != nil || (body.Cmd == "" && len(body.Command) == 0) {
		return unknown("the exec request names no command Chaperone can read")
	}
	tree, _ := strictjson.Decode(r.Body) // Unmarshal took it: it decodes
	members, _ := tree.(map[string]any)
	for k := range members {
		if !slices.Contains(execMembers, k) {
			return unknown(fmt.Sprintf("the exec request has a member %q Chaperone does not know", k))
		}
	}
	if body.Cmd != "" && len(body.Command) > 0 {
		return unknown("the exec request names its command twice (cmd and command)")
	}
	if body.Stdin != "" {
		return unknown("the exec request feeds the command input on stdin, which Chaperone does not judge")
	}
	text := body.Cmd
	if len(body.Command) > 0 {
		text = argv.Quote(body.Command)
	}
	return flyShell.ClassifyRemote(text).Reasons
}

// execMembers are the members of Fly's exec request (MachineExecRequest).
var execMembers = []string{"cmd", "command", "stdin", "container", "timeout"}

// judgeVolumeUpdate: turning scheduled snapshots off removes the volume's
// backups from then on, which is how a later deletion becomes permanent.
func judgeVolumeUpdate(r Request) []action.Reason {
	// Fly's server matches keys as encoding/json does, case-insensitively;
	// strictjson refuses a key spelled in another case, so
	// {"AUTO_BACKUP_ENABLED": false} is unreadable rather than unseen.
	var body struct {
		AutoBackup any `json:"auto_backup_enabled"`
		Retention  any `json:"snapshot_retention"`
	}
	if strictjson.Unmarshal(r.Body, &body) != nil {
		return []action.Reason{{ID: "fly.body-unreadable", Class: action.ClassUnknown, Message: "the volume update's body is not JSON Chaperone can read exactly"}}
	}
	if body.AutoBackup != nil && body.AutoBackup != true {
		return []action.Reason{{ID: "fly.backups-off", Class: destructive,
			Message: "turns off scheduled snapshots of volume " + r.Params["volume"]}}
	}
	// Fewer days of snapshots than Fly keeps by default deletes the older
	// ones: the backups a later mistake would be undone from.
	if body.Retention != nil {
		if n, ok := body.Retention.(float64); !ok || n < flyDefaultRetention {
			return []action.Reason{{ID: "fly.backups-off", Class: destructive,
				Message: fmt.Sprintf("keeps volume %s's snapshots for %v days, fewer than Fly's default %d: older ones are deleted", r.Params["volume"], body.Retention, flyDefaultRetention)}}
		}
	}
	return nil
}

// flyDefaultRetention is the days of snapshots Fly keeps unless told.
const flyDefaultRetention = 5

// judgeMachineCreate reads the commands a new machine will run.
func judgeMachineCreate(r Request) []action.Reason { return judgeMachineConfig(r, false) }

// judgeMachineUpdate reads the commands a machine will run once its
// configuration is replaced, and whether it is made to destroy itself.
func judgeMachineUpdate(r Request) []action.Reason { return judgeMachineConfig(r, true) }

// judgeMachineConfig: a machine runs its init's and its processes' and
// containers' commands (entrypoint then cmd, or exec) when it starts, with
// its volumes mounted: a command of rm -rf /data wipes the volume as surely
// as an exec of it. Each is judged by the shell guard.
func judgeMachineConfig(r Request, update bool) []action.Reason {
	tree, err := strictjson.Decode(r.Body)
	if err == nil {
		tree, err = foldKeys(tree)
	}
	if err != nil {
		return []action.Reason{{ID: "fly.body-unreadable", Class: action.ClassUnknown, Message: "the machine request's body is not JSON Chaperone can read exactly"}}
	}
	var out []action.Reason
	cmds, ok := machineCommands(tree)
	if !ok {
		out = append(out, action.Reason{ID: "fly.command-unreadable", Class: action.ClassUnknown,
			Message: "the machine's configuration names a command Chaperone cannot read (not a list of strings)"})
	}
	for _, c := range cmds {
		for _, reason := range flyShell.ClassifyService(argv.Quote(c)).Reasons {
			reason.Message = "the machine will run " + argv.Quote(c) + ": " + reason.Message
			out = append(out, reason)
		}
	}
	out = append(out, machineFiles(tree, cmds, !update)...)
	out = append(out, machineEnv(tree)...)
	cfg := mapOf(mapOf(tree)["config"])
	if update {
		if m, ok := cfg["mounts"].([]any); ok && len(m) == 0 {
			out = append(out, action.Reason{ID: "fly.volume-detach", Class: destructive,
				Message: "replaces machine " + r.Params["machine"] + "'s configuration with no volume mounted: what it ran on its volume starts empty"})
		}
	}
	if update && (cfg["auto_destroy"] == true || cfg["auto_destroy"] == "true") {
		out = append(out, action.Reason{ID: "fly.machine-auto-destroy", Class: destructive,
			Message: "makes machine " + r.Params["machine"] + " destroy itself, with its root file system, the next time it exits"})
	}

	return out
}

// machineCommands collects, at any depth, the commands a configuration
// names: exec, entrypoint followed by cmd, and command (a health check's);
// ok is false when one is not a string or a list of strings.
func machineCommands(v any) (cmds [][]string, ok bool) {
	ok = true
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			var run []string
			for _, k := range []string{"entrypoint", "cmd"} {
				words, good := commandWords(x[k])
				ok = ok && good
				run = append(run, words...)
			}
			if len(run) > 0 {
				cmds = append(cmds, run)
			}
			for _, k := range []string{"exec", "command"} {
				words, good := commandWords(x[k])
				ok = ok && good
				if len(words) > 0 {
					cmds = append(cmds, words)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return cmds, ok
}

// commandWords reads a command given as a list of words, or as one string
// (run by a shell).
func commandWords(v any) ([]string, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return []string{"sh", "-c", x}, true
	case []any:
		words := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			words = append(words, s)
		}
		return words, true
	case map[string]any:
		return nil, true // a health check's exec: {command: [...]}, walked into
	}
	return nil, false
}

// foldKeys lower-cases every object key, as Fly's server matches them
// (encoding/json, case-insensitively), so that {"CMD": [...]} is read as
// cmd; two keys of one object that fold alike are refused, since which one
// the server takes is its choice.
func foldKeys(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			lk := FoldName(k)
			if _, dup := out[lk]; dup {
				return nil, fmt.Errorf("two members %q fold to the same name", k)
			}
			f, err := foldKeys(e)
			if err != nil {
				return nil, err
			}
			if m, ok := e.(map[string]any); ok && (lk == "env" || lk == "metadata") {
				// A map's own keys (variable names) are data, kept as
				// written: NODE_OPTIONS is not node_options.
				f = m
			}
			out[lk] = f
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			f, err := foldKeys(e)
			if err != nil {
				return nil, err
			}
			out[i] = f
		}
		return out, nil
	}
	return v, nil
}

// FoldName is name with every letter replaced by the least of the letters
// it folds with, lower-cased, as encoding/json compares keys: "ſ" (U+017F)
// and "S" are "s", the Kelvin sign is "k".
func FoldName(name string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return unicode.ToLower(least)
	}, name)
}
