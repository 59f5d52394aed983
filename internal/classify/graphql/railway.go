package graphql

import (
	"fmt"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
)

// RailwayProfile judges Railway's mutations. Every mutation whose name says
// it deletes is destructive; so are the ones whose names hide it.
type RailwayProfile struct{}

// notDestructive are mutations named like deletions that undo or cancel one.
var notDestructive = map[string]bool{"projectScheduleDeleteCancel": true}

func destructive(id, format string, args ...any) action.Reason {
	return action.Reason{ID: id, Class: action.ClassDestructive, Message: fmt.Sprintf(format, args...)}
}

func (RailwayProfile) Judge(c Call) []action.Reason {
	a := c.Args
	switch {
	case strings.Contains(c.Field, "Delete") && !notDestructive[c.Field]:
		msg := c.Field + " deletes provider resources"
		if c.Field == "volumeDelete" {
			msg = "volumeDelete deletes the volume in every environment it lives in, with the backups kept on it"
		}
		return []action.Reason{destructive("railway.delete", "%s", msg)}
	case c.Field == "volumeInstanceBackupRestore" && nonEmptyList(a["wipeServiceIds"]):
		return []action.Reason{destructive("railway.backup-restore-wipe", "volumeInstanceBackupRestore with wipeServiceIds wipes those services' data")}
	case c.Field == "variableCollectionUpsert" && isTrue(member(a["input"], "replace")):
		return []action.Reason{destructive("railway.variables-replace", "variableCollectionUpsert with replace: true deletes every variable not in the request")}
	case (c.Field == "environmentPatchCommit" || c.Field == "environmentStageChanges") && setsDeleted(a):
		return []action.Reason{destructive("railway.patch-delete", "%s with isDeleted: true deletes what the patch names", c.Field)}
	case c.Field == "environmentPatchCommitStaged":
		// Commits whatever was staged before, which this request does not show.
		return []action.Reason{{ID: "railway.patch-staged", Class: action.ClassUnknown,
			Message: "environmentPatchCommitStaged commits staged changes this request does not show"}}
	case c.Field == "volumeInstanceUpdate" && a["environmentId"] == nil:
		return []action.Reason{destructive("railway.volume-all-environments", "volumeInstanceUpdate without environmentId changes the volume in every environment")}
	case c.Field == "volumeInstanceBackupScheduleUpdate" && !nonEmptyList(a["kinds"]):
		return []action.Reason{destructive("railway.backups-off", "volumeInstanceBackupScheduleUpdate with no kinds turns the volume's backups off")}
	case c.Field == "disablePitrForHaCluster":
		return []action.Reason{destructive("railway.pitr-off", "disablePitrForHaCluster turns point-in-time recovery off")}
	}
	return nil
}

func nonEmptyList(v any) bool {
	l, ok := v.([]any)
	return ok && len(l) > 0
}

func isTrue(v any) bool { b, ok := v.(bool); return ok && b }

func member(v any, name string) any {
	if m, ok := v.(map[string]any); ok {
		return m[name]
	}
	return nil
}

// setsDeleted reports whether any isDeleted: true appears in the patch.
func setsDeleted(args map[string]any) bool {
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "isDeleted" && isTrue(e) {
					return true
				}
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(args["patch"]) || walk(args["input"])
}
