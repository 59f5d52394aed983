package graphql

import (
	"slices"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
)

// alwaysDestructive is every Railway mutation that deletes, replaces data,
// moves a project away or turns a protection off whatever its arguments.
// The test walks the schema's whole mutation list, so a mutation Railway
// adds is judged here before it ships; docs/http-gateway.md lists the same.
var alwaysDestructive = strings.Fields(`
apiTokenDelete botScopeBindingRemove bucketCredentialsReset clearPitrHaWorkflowProgress
cloudAgentDelete customDomainDelete deploymentRemove deploymentRollback deploymentTriggerDelete
disablePitrForHaCluster disableServiceCdn egressGatewayAssociationsClear egressGatewayRollbackFromHA
environmentDelete featureFlagRemove integrationDelete notificationRuleDelete observabilityDashboardReset
passkeyDelete pluginDelete pluginReset pluginResetCredentials privateNetworkEndpointDelete
privateNetworksForEnvironmentDelete projectDelete projectFeatureFlagRemove projectInvitationDelete
projectMemberRemove projectScheduleDelete projectScheduleDeleteForce projectTokenDelete projectTransfer
projectTransferConfirm projectTransferInitiate projectTransferToTeam providerAuthRemove
railwayDomainDnsRecordDelete sandboxCheckpointDelete sandboxDestroy serviceDelete serviceDomainDelete
serviceFeatureFlagRemove serviceRemoveUpstreamUrl sessionDelete signalDelete signalReplace signalRollback
signalRuleUnset sshPublicKeyDelete tcpProxyDelete templateDelete templateRevert trustedDomainDelete
twoFactorInfoDelete updateServiceEdgeRules usageLimitRemove userDelete userFlagsRemove variableDelete
volumeDelete volumeInstanceBackupDelete volumeInstanceBackupRestore volumeInstancePITRRestore
workspaceDelete workspacePolicyDeploySourceAllowlistRemove workspaceUserRemove
`)

// Mutations destructive only with some arguments: each with the arguments
// that make it so, and with ones that do not.
var sometimesDestructive = []struct {
	field      string
	bad, plain map[string]any
}{
	{"variableCollectionUpsert", map[string]any{"input": map[string]any{"replace": true}}, map[string]any{"input": map[string]any{"replace": false}}},
	{"environmentPatchCommit", map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{"isDeleted": true}}}}, map[string]any{"environmentId": "e"}},
	{"environmentStageChanges", map[string]any{"environmentId": "e", "input": map[string]any{"volumes": map[string]any{"v": map[string]any{"isDeleted": "yes"}}}}, map[string]any{"environmentId": "e", "input": map[string]any{}}},
	{"environmentPatchCommit", map[string]any{"environmentId": "e", "patch": `{"services":{"s":{"isDeleted":true}}}`}, map[string]any{"environmentId": "e", "patch": `{"services":{"s":{}}}`}},
	{"volumeInstanceUpdate", map[string]any{"volumeId": "v", "input": map[string]any{}}, map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{}}},
	{"volumeInstanceUpdate", map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{"state": "DELETED"}}, map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{"mountPath": "/x"}}},
	{"volumeInstanceBackupScheduleUpdate", map[string]any{"kinds": []any{}}, map[string]any{"kinds": []any{"DAILY"}}},
	{"workspaceTwoFactorEnforcementUpdate", map[string]any{"enabled": false}, map[string]any{"enabled": true}},
	{"workspacePolicyItemUpdate", map[string]any{"input": map[string]any{"enabled": false}}, map[string]any{"input": map[string]any{"enabled": true}}},
	{"setServiceUnderAttackMode", map[string]any{"input": map[string]any{"enabled": false}}, map[string]any{"input": map[string]any{"enabled": true}}},
}

func TestEveryRailwayMutationIsJudged(t *testing.T) {
	s, err := Railway()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range s.Mutation.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		var r Result
		r.Reasons = RailwayProfile{}.Judge(Call{Field: f.Name, Args: map[string]any{"environmentId": "e", "kinds": []any{"DAILY"}}})
		if r.Class() == action.ClassDestructive {
			got = append(got, f.Name)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(alwaysDestructive))
	for _, m := range want {
		if !slices.Contains(got, m) {
			t.Errorf("%s is not destructive", m)
		}
	}
	for _, m := range got {
		if !slices.Contains(want, m) {
			t.Errorf("%s is destructive but not listed", m)
		}
	}
	for _, c := range sometimesDestructive {
		if s.Mutation.Fields.ForName(c.field) == nil {
			t.Errorf("%s is not in the schema", c.field)
		}
		bad := Result{Reasons: RailwayProfile{}.Judge(Call{c.field, c.bad})}
		plain := Result{Reasons: RailwayProfile{}.Judge(Call{c.field, c.plain})}
		if bad.Class() != action.ClassDestructive || plain.Class() == action.ClassDestructive {
			t.Errorf("%s: %s with %v, %s with %v", c.field, bad.Class(), c.bad, plain.Class(), c.plain)
		}
	}
}
