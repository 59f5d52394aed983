package rest

import (
	"fmt"
	"slices"

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
var Fly = Profile{Name: "fly", Rules: []Rule{
	{Method: "GET", Path: "/apps", Class: read},
	{Method: "POST", Path: "/apps", Class: write, ID: "fly.app-create", Message: "creates an app"},
	{Method: "GET", Path: "/apps/{app}", Class: read},
	{Method: "DELETE", Path: "/apps/{app}", Class: destructive, ID: "fly.app-delete",
		Message: "deletes app {app} with all its machines and volumes"},

	{Method: "GET", Path: "/apps/{app}/machines", Class: read},
	{Method: "POST", Path: "/apps/{app}/machines", Class: write, ID: "fly.machine-create", Message: "creates a machine in {app}"},
	{Method: "GET", Path: "/apps/{app}/machines/{machine}", Class: read},
	{Method: "POST", Path: "/apps/{app}/machines/{machine}", Class: write, ID: "fly.machine-update", Message: "replaces machine {machine}'s configuration"},
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

	{Method: "GET", Path: "/apps/{app}/secrets", Class: read, Judge: judgeSecretsList},
	{Method: "DELETE", Path: "/apps/{app}/secrets/{secret}", Class: destructive, ID: "fly.secret-delete",
		Message: "deletes secret {secret} from {app}"},
}}

// flyShell reads the command of a machine exec, SQL included.
var flyShell = shell.Classifier{SQL: sql.Reasons}

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
	return flyShell.Classify(text).Reasons
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
	}
	if strictjson.Unmarshal(r.Body, &body) != nil {
		return []action.Reason{{ID: "fly.body-unreadable", Class: action.ClassUnknown, Message: "the volume update's body is not JSON Chaperone can read exactly"}}
	}
	if body.AutoBackup != nil && body.AutoBackup != true {
		return []action.Reason{{ID: "fly.backups-off", Class: destructive,
			Message: "turns off scheduled snapshots of volume " + r.Params["volume"]}}
	}
	return nil
}

// judgeSecretsList: listing names is a read; asking for the values is
// credential access.
func judgeSecretsList(r Request) []action.Reason {
	if v := r.Query.Get("show_secrets"); v != "" && v != "false" && v != "0" {
		return []action.Reason{{ID: "fly.secrets-values", Class: action.ClassCredentialAccess,
			Message: "reads the values of " + r.Params["app"] + "'s secrets"}}
	}
	return nil
}
