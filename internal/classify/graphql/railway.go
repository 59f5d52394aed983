package graphql

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/strictjson"
)

// RailwayProfile judges Railway's mutations. A mutation that deletes,
// replaces data with other data (restores, resets, rollbacks), moves a
// project out of the account, or turns a protection off is destructive,
// whether its name says so or an argument does. TestEveryRailwayMutationIsJudged
// walks the schema's whole mutation list against this profile.
type RailwayProfile struct{}

// notDestructive are mutations named like destruction that undo or cancel
// one, or touch only a cache.
var notDestructive = map[string]bool{"projectScheduleDeleteCancel": true}

// destructiveWords are the words in a mutation's name that say it destroys
// or replaces what is there, with the finding each gives.
var destructiveWords = []struct{ word, id, says string }{
	{"Delete", "railway.delete", "deletes provider resources"},
	{"Remove", "railway.delete", "removes provider resources"},
	{"Destroy", "railway.delete", "destroys provider resources"},
	{"Restore", "railway.restore", "replaces current data with a restored copy"},
	{"Rollback", "railway.restore", "replaces the current state with an earlier one"},
	{"Revert", "railway.restore", "replaces the current state with an earlier one"},
	{"Reset", "railway.reset", "resets what is there, replacing its data or credentials"},
	{"Wipe", "railway.reset", "wipes data"},
	{"Replace", "railway.reset", "replaces what is there, dropping what the request does not name"},
	{"Clear", "railway.reset", "clears what is there"},
	{"Unset", "railway.delete", "removes provider settings"},
	{"Disable", "railway.protection-off", "turns a protection or service feature off"},
	{"Transfer", "railway.transfer", "moves the project out of this account's control"},
	{"Disconnect", "railway.detach", "disconnects what runs from its source or account"},
	{"Stop", "railway.stop", "stops what runs, taking it offline"},
}

// replacers are mutations whose names hide that they replace data.
var replacers = map[string]string{
	"updateServiceEdgeRules": "updateServiceEdgeRules replaces all of the service's edge rules (null clears them)",
}

// words splits a camelCase name into its words ("volumeInstancePITRRestore"
// is volume Instance PITR Restore).
func words(name string) []string {
	var out []string
	start := 0
	rs := []rune(name)
	for i := 1; i < len(rs); i++ {
		upper := unicode.IsUpper(rs[i])
		if upper && (!unicode.IsUpper(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}

func destructive(id, format string, args ...any) action.Reason {
	return action.Reason{ID: id, Class: action.ClassDestructive, Message: fmt.Sprintf(format, args...)}
}

func (RailwayProfile) Judge(c Call) []action.Reason {
	a := c.Args
	var out []action.Reason
	if !notDestructive[c.Field] {
		for _, w := range words(c.Field) {
			for _, d := range destructiveWords {
				if strings.EqualFold(w, d.word) {
					out = append(out, destructive(d.id, "%s %s", c.Field, d.says))
				}
			}
		}
	}
	if msg, ok := replacers[c.Field]; ok {
		out = append(out, destructive("railway.reset", "%s", msg))
	}
	switch {
	case c.Field == "volumeDelete":
		out = []action.Reason{destructive("railway.delete", "volumeDelete deletes the volume in every environment it lives in, with the backups kept on it")}
	case c.Field == "volumeInstanceBackupRestore" && nonEmptyList(a["wipeServiceIds"]):
		out = append(out, destructive("railway.backup-restore-wipe", "volumeInstanceBackupRestore with wipeServiceIds wipes those services' data"))
	case c.Field == "variableCollectionUpsert" && isTrue(member(a["input"], "replace")):
		out = append(out, destructive("railway.variables-replace", "variableCollectionUpsert with replace: true deletes every variable not in the request"))
	case c.Field == "environmentPatchCommitStaged", c.Field == "environmentPatchCommit" && (a["patch"] == nil || isEmpty(a["patch"])):
		// Commits whatever was staged before, which this request does not show.
		out = append(out, action.Reason{ID: "railway.patch-staged", Class: action.ClassUnknown,
			Message: c.Field + " commits staged changes this request does not show"})
	case c.Field == "environmentApplyChangeSet":
		out = append(out, action.Reason{ID: "railway.change-set", Class: action.ClassUnknown,
			Message: "environmentApplyChangeSet applies a change set whose format Chaperone does not read"})
	case c.Field == "volumeInstanceUpdate" && a["environmentId"] == nil:
		out = append(out, destructive("railway.volume-all-environments", "volumeInstanceUpdate without environmentId changes the volume in every environment"))
	case c.Field == "volumeInstanceBackupScheduleUpdate" && !nonEmptyList(a["kinds"]):
		out = append(out, destructive("railway.backups-off", "volumeInstanceBackupScheduleUpdate with no kinds turns the volume's backups off"))
	case c.Field == "workspaceTwoFactorEnforcementUpdate" && isFalse(a["enabled"]),
		c.Field == "workspacePolicyItemUpdate" && (isFalse(a["enabled"]) || isFalse(member(a["input"], "enabled"))),
		c.Field == "setServiceUnderAttackMode" && isFalse(member(a["input"], "enabled")):
		out = append(out, destructive("railway.protection-off", "%s turns a protection off", c.Field))
	}
	if c.Field == "volumeInstanceUpdate" && member(a["input"], "state") != nil {
		out = append(out, destructive("railway.volume-state", "volumeInstanceUpdate sets the volume instance's state (DELETED among them)"))
	}
	if setsDeleted(a) {
		out = append(out, destructive("railway.patch-delete", "%s with isDeleted: true deletes what the patch names", c.Field))
	}
	if mintsCredential(c.Field) {
		out = append(out, action.Reason{ID: "railway.mint-credential", Class: action.ClassCredentialAccess,
			Message: c.Field + " makes a credential (a token, secret or code) that acts outside Chaperone"})
	}
	patch := strings.HasPrefix(c.Field, "environmentPatch") || c.Field == "environmentStageChanges"
	if k, ok := unsets(a, patch); ok {
		out = append(out, destructive("railway.unset", "%s with %s: null removes what it names", c.Field, k))
	}
	if anyValue(a, func(parent, k string, v any) bool {
		str, ok := v.(string)
		return ok && strings.TrimSpace(str) == "" &&
			(parent == "variables" || parent == "sharedVariables" || k == "value" && (c.Field == "variableUpsert" || patch))
	}) {
		// Deleting a variable by another name: its value is gone.
		out = append(out, destructive("railway.unset", "%s sets a variable to an empty value, as deleting it would", c.Field))
	}
	if anyValue(a, offline) {
		out = append(out, destructive("railway.scale-zero", "%s takes the service offline (no replicas, regions, memory or CPU)", c.Field))
	}
	if anyValue(a, func(_, k string, v any) bool { return k == "backupSchedules" && (v == nil || isEmpty(v)) }) {
		out = append(out, destructive("railway.backups-off", "%s with no backup schedules turns the volume's backups off", c.Field))
	}
	if ids, ok := member(a["input"], "disabledServiceIds").([]any); c.Field == "sharedVariableConfigure" && (ok && len(ids) > 0 || !ok && member(a["input"], "disabledServiceIds") != nil) {
		out = append(out, destructive("railway.unset", "%s takes a shared variable away from services, as deleting it from them would", c.Field))
	}
	if c.Field == "volumeInstanceUpdate" && member(a["input"], "mountPath") != nil {
		out = append(out, destructive("railway.volume-move", "volumeInstanceUpdate mounts the volume at another path: what the service keeps there is no longer where it looks"))
	}
	if c.Field == "volumeInstanceUpdate" && member(a["input"], "serviceId") != nil ||
		patch && anyValue(a, func(_, k string, _ any) bool { return k == "volumeMounts" }) {
		out = append(out, destructive("railway.volume-move", "%s moves a volume between services: the service using it loses its data", c.Field))
	}
	if anyValue(a, func(_, k string, v any) bool { return k == "privateNetworkDisabled" && v != nil && !isFalse(v) }) {
		out = append(out, destructive("railway.protection-off", "%s cuts the private network between services", c.Field))
	}
	out = append(out, judgeCommands(c.Field, a)...)
	if c.Field == "environmentStageChanges" && isFalse(a["merge"]) {
		out = append(out, destructive("railway.reset", "environmentStageChanges with merge: false discards the changes already staged"))
	}
	return out
}

// offline: a replica count, memory or CPU of zero (or too little for
// anything to start: under a twentieth of a vCPU, under 32 MiB), or a
// region map emptied or with a region removed (null), leaves nothing
// running. A patch's limits (deploy.limitOverride.containers) say the
// same with cpu and memoryBytes.
func offline(_, k string, v any) bool {
	switch k {
	case "numReplicas":
		// Fewer than one, or a value that is not a count the server
		// may read as none.
		return v != nil && below(v, 1) || v != nil && !isNumeric(v)
	case "vCPUs", "cpu":
		return below(v, 0.05)
	case "memoryGB":
		return below(v, 1.0/32)
	case "memoryBytes":
		return below(v, 32<<20)
	case "multiRegionConfig":
		if isEmpty(v) {
			return true
		}
		m, _ := v.(map[string]any)
		for _, r := range m {
			if r == nil {
				return true
			}
		}
	}
	return false
}

// isNumeric: a number, sent as a number or as a string.
func isNumeric(v any) bool {
	if s, ok := v.(string); ok {
		_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return err == nil
	}
	_, ok := number(v)
	return ok
}

// below: a number under limit, sent as a number or as a string.
func below(v any, limit float64) bool {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return err == nil && f < limit
	}
	f, ok := number(v)
	return ok && f < limit
}

// isEmpty: an object or list with nothing in it.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// mintsCredential: a mutation that makes a token, a two-factor secret,
// recovery codes or an invite code answers with a credential that works
// without Chaperone; an agent holding one is past the gateway.
func mintsCredential(field string) bool {
	has := func(ws ...string) bool {
		for _, w := range words(field) {
			for _, x := range ws {
				if strings.EqualFold(w, x) {
					return true
				}
			}
		}
		return false
	}
	return has("Secret") || has("Token", "Code") && has("Create", "Generate")
}

// unsets finds a null that removes something: an id (detaching what it
// names), a variable, or, in an environment's patch, anything (a patch's
// null deletes the key it sets).
func unsets(args map[string]any, patch bool) (string, bool) {
	var found string
	anyValue(args, func(parent, k string, v any) bool {
		// An empty id is read as none by servers that test for a
		// falsy value.
		emptyID := isIDName(k) && v != nil && strings.TrimSpace(fmt.Sprint(v)) == ""
		if !emptyID && (v != nil || !(patch || isIDName(k) || parent == "variables" || parent == "sharedVariables")) {
			return false
		}
		found = k
		return true
	})
	return found, found != ""
}

// isZero: a number that is 0, sent as a number or as a string.
func isZero(v any) bool {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return err == nil && f == 0
	}
	f, ok := number(v)
	return ok && f == 0
}

// anyValue reports whether pred holds for a member anywhere in v: in
// objects, lists, and JSON sent as a string (which the server may parse).
// pred gets the name of the object holding the member, the member's name
// and its value.
func anyValue(v any, pred func(parent, key string, v any) bool) bool {
	var walk func(parent string, v any) bool
	walk = func(parent string, v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if pred(parent, k, e) || walk(k, e) {
					return true
				}
			}
		case []any:
			for _, e := range x {
				if walk(parent, e) {
					return true
				}
			}
		case string:
			if t := strings.TrimSpace(x); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
				d, err := strictjson.Decode([]byte(t))
				return err == nil && walk(parent, d)
			}
		}
		return false
	}
	return walk("", v)
}

func nonEmptyList(v any) bool {
	l, ok := v.([]any)
	return ok && len(l) > 0
}

func isTrue(v any) bool { b, ok := v.(bool); return ok && b }

func isFalse(v any) bool { b, ok := v.(bool); return ok && !b }

func member(v any, name string) any {
	if m, ok := v.(map[string]any); ok {
		return m[name]
	}
	return nil
}

// setsDeleted reports whether isDeleted: true appears anywhere in the
// arguments (patches, change sets, inputs), its name in any case (a patch
// stored as JSON may be read by a decoder that ignores case). A JSON scalar
// is the server's to read: anything but false or null may be truthy to it.
func setsDeleted(args map[string]any) bool {
	return anyValue(args, func(_, k string, v any) bool {
		return strictjson.FoldKey(k) == deletedKey && v != nil && !isFalse(v)
	})
}

var deletedKey = strictjson.FoldKey("isDeleted")

// credentialFields answer with credentials wherever they are selected: an
// environment's or plugin's variables (database URLs, API keys), a
// deployment's snapshot of them, a bucket's secret key, a two-factor
// secret. Whoever reads them acts outside Chaperone.
var credentialFields = map[string]bool{
	"Query.variables": true, "Query.variablesForServiceDeployment": true, "Query.bucketS3Credentials": true,
	"Environment.variables": true, "DeploymentSnapshot.variables": true, "Plugin.variables": true,
	"BucketS3CompatibleCredentials.secretAccessKey": true, "TwoFactorInfoSecret.secret": true,
	// Whether these are whole tokens or masked ones, Railway's schema does
	// not say: taken as whole.
	"ApiToken.displayToken": true, "ProjectToken.displayToken": true,
	// An integration's settings hold the third party's keys; an invite
	// code lets whoever redeems it into the project, every environment.
	"Integration.config": true, "InviteCode.code": true,
}

// JudgeField: a credential field, or any field asked to decrypt
// (Environment.config and EnvironmentPatch.patch with decryptVariables,
// which Railway's own CLI reads variables through), at any depth.
func (RailwayProfile) JudgeField(typ, field string, args map[string]any) []action.Reason {
	if credentialFields[typ+"."+field] {
		return []action.Reason{{ID: "railway.read-credentials", Class: action.ClassCredentialAccess,
			Message: typ + "." + field + " answers with credentials (variables, storage keys) that act outside Chaperone"}}
	}
	for k, v := range args {
		if strings.HasPrefix(strings.ToLower(k), "decrypt") && v != nil && !isFalse(v) {
			return []action.Reason{{ID: "railway.read-credentials", Class: action.ClassCredentialAccess,
				Message: fmt.Sprintf("%s.%s with %s answers with decrypted variables that act outside Chaperone", typ, field, k)}}
		}
	}
	return nil
}

// JudgeQuery: an invite code grants access to a project (every
// environment of it, outside Chaperone), and is created when there is
// none: a credential made, whatever is selected of it.
func (RailwayProfile) JudgeQuery(field string) []action.Reason {
	switch field {
	case "projectInviteCode", "inviteCode":
		return []action.Reason{{ID: "railway.invite", Class: action.ClassCredentialAccess,
			Message: field + " makes an invite code that lets whoever redeems it into the project, every environment included, outside Chaperone"}}
	}
	return nil
}

// JudgeCommand judges a shell command line a service will run. The shell
// guard sets it (it imports this package, so this one cannot import it);
// without it every such command is unknown.
var JudgeCommand func(text string) []action.Reason

// commandFields are the settings whose value Railway runs as a shell
// command: a start command of rm -rf /data deletes the service's data as
// surely as typing it. So are a Nixpacks plan's commands (nixpacksPlan's
// start.cmd, phases.*.cmds) and the build variables that set them.
var commandFields = map[string]bool{"startCommand": true, "buildCommand": true, "preDeployCommand": true, "cmd": true, "cmds": true}

// commandField says whether a setting's or a variable's name is one whose
// value is run: the fields above, and variables such as NIXPACKS_START_CMD
// or RAILPACK_BUILD_CMD (any name ending in _CMD, _CMDS or _COMMAND).
func commandField(k string) bool {
	u := strings.ToUpper(k)
	return commandFields[k] || strings.HasSuffix(u, "_CMD") || strings.HasSuffix(u, "_CMDS") || strings.HasSuffix(u, "_COMMAND")
}

// buildFileField says whether a setting or a variable points the build at
// a file of the repository that says what to run (railwayConfigFile,
// dockerfilePath, NIXPACKS_CONFIG_FILE, RAILWAY_DOCKERFILE_PATH).
func buildFileField(k string) bool {
	switch k {
	case "railwayConfigFile", "dockerfilePath", "nixpacksConfigPath", "NIXPACKS_CONFIG_FILE", "RAILWAY_DOCKERFILE_PATH", "RAILPACK_CONFIG_FILE":
		return true
	}
	return false
}

// judgeCommands judges every command a mutation sets, at any depth: as a
// setting, or as a variable set by name and value (variableUpsert).
func judgeCommands(field string, args map[string]any) []action.Reason {
	var cmds, files []string
	anyValue(args, func(_, k string, v any) bool {
		if m, ok := v.(map[string]any); ok {
			if name, ok := m["name"].(string); ok && commandField(name) {
				if value, ok := m["value"]; ok {
					k, v = name, value
				}
			}
		}
		if m, ok := v.(map[string]any); ok && commandField(k) {
			if value, ok := m["value"]; ok {
				v = value // a patch's variables: NAME: {value: "..."}
			}
		}
		if buildFileField(k) || buildFileField(strings.ToUpper(k)) {
			files = append(files, k)
			return false
		}
		if m, ok := v.(map[string]any); ok {
			if name, ok := m["name"].(string); ok && buildFileField(name) {
				files = append(files, name)
			}
		}
		if !commandField(k) {
			return false
		}
		switch v := v.(type) {
		case string:
			cmds = append(cmds, v)
		case []any:
			for _, x := range v {
				s, ok := x.(string)
				if !ok {
					s = fmt.Sprint(x)
				}
				cmds = append(cmds, s)
			}
		case nil:
		default:
			cmds = append(cmds, fmt.Sprint(v))
		}
		return false
	})
	var out []action.Reason
	for _, f := range files {
		out = append(out, action.Reason{ID: "railway.command", Class: action.ClassUnknown,
			Message: field + " sets " + f + ": the build then reads its commands from a file in the repository, which Chaperone cannot read here"})
	}
	for _, cmd := range cmds {
		if strings.TrimSpace(cmd) == "" {
			continue
		}
		if JudgeCommand == nil {
			out = append(out, action.Reason{ID: "railway.command", Class: action.ClassUnknown,
				Message: field + " sets a command the service will run, which Chaperone cannot read here"})
			continue
		}
		for _, r := range JudgeCommand(cmd) {
			r.Message = field + " sets a command the service will run: " + r.Message
			out = append(out, r)
		}
	}
	return out
}
