package graphql

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/chaperone/chaperone/internal/action"
)

// alwaysDestructive is every Railway mutation that deletes, replaces data,
// moves a project away or turns a protection off whatever its arguments.
// The test walks the schema's whole mutation list, so a mutation Railway
// adds is judged here before it ships; docs/http-gateway.md lists the same.
var alwaysDestructive = strings.Fields(`
apiTokenDelete botScopeBindingRemove bucketCredentialsReset clearPitrHaWorkflowProgress
cloudAgentDelete customDomainDelete deploymentRemove deploymentRollback deploymentStop deploymentTriggerDelete
disablePitrForHaCluster disableServiceCdn egressGatewayAssociationsClear egressGatewayRollbackFromHA
environmentDelete featureFlagRemove integrationDelete notificationRuleDelete observabilityDashboardReset
passkeyDelete pluginDelete pluginReset pluginResetCredentials privateNetworkEndpointDelete
privateNetworksForEnvironmentDelete projectDelete projectFeatureFlagRemove projectInvitationDelete
projectMemberRemove projectScheduleDelete projectScheduleDeleteForce projectTokenDelete projectTransfer
projectTransferConfirm projectTransferInitiate projectTransferToTeam providerAuthRemove
railwayDomainDnsRecordDelete sandboxCheckpointDelete sandboxDestroy serviceDelete serviceDomainDelete
serviceDisconnect serviceFeatureFlagRemove serviceRemoveUpstreamUrl sessionDelete signalDelete signalReplace signalRollback
signalRuleUnset sshPublicKeyDelete tcpProxyDelete templateDelete templateRevert trustedDomainDelete
twoFactorInfoDelete updateServiceEdgeRules usageLimitRemove userDelete userDiscordDisconnect userFlagsRemove variableDelete
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
	// The name in another case, or with a letter that folds to s.
	{"environmentPatchCommit", map[string]any{"environmentId": "e", "patch": `{"services":{"s":{"ISDELETED":true}}}`}, map[string]any{"environmentId": "e", "patch": `{"services":{"s":{"isDeletedAt":true}}}`}},
	{"environmentStageChanges", map[string]any{"environmentId": "e", "input": map[string]any{"volumes": map[string]any{"v": map[string]any{"i\u017fDeleted": true}}}}, map[string]any{"environmentId": "e", "input": map[string]any{}}},
	{"volumeInstanceUpdate", map[string]any{"volumeId": "v", "input": map[string]any{}}, map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{}}},
	{"volumeInstanceUpdate", map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{"state": "DELETED"}}, map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{}}},
	// Mounted elsewhere, the service's data is not where it looks.
	{"volumeInstanceUpdate", map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{"mountPath": "/x"}}, map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{}}},
	// Fewer than one replica, or a count the server may read as none.
	{"serviceInstanceUpdate", map[string]any{"serviceId": "s", "input": map[string]any{"numReplicas": int64(-1)}}, map[string]any{"serviceId": "s", "input": map[string]any{"numReplicas": int64(1)}}},
	{"serviceInstanceUpdate", map[string]any{"serviceId": "s", "input": map[string]any{"numReplicas": false}}, map[string]any{"serviceId": "s", "input": map[string]any{"numReplicas": "3"}}},
	{"volumeInstanceBackupScheduleUpdate", map[string]any{"kinds": []any{}}, map[string]any{"kinds": []any{"DAILY"}}},
	{"workspaceTwoFactorEnforcementUpdate", map[string]any{"enabled": false}, map[string]any{"enabled": true}},
	{"workspacePolicyItemUpdate", map[string]any{"input": map[string]any{"enabled": false}}, map[string]any{"input": map[string]any{"enabled": true}}},
	{"setServiceUnderAttackMode", map[string]any{"input": map[string]any{"enabled": false}}, map[string]any{"input": map[string]any{"enabled": true}}},
	// A null removes: in an environment's patch anything, elsewhere an id
	// (detaching) or a variable.
	{"environmentPatchCommit", map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{"variables": map[string]any{"DATABASE_URL": nil}}}}},
		map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{"variables": map[string]any{"X": "1"}}}}}},
	{"environmentStageChanges", map[string]any{"environmentId": "e", "input": `{"sharedVariables":{"X":null}}`}, map[string]any{"environmentId": "e", "input": `{"sharedVariables":{"X":"1"}}`}},
	{"environmentPatchCommit", map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{"deploy": map[string]any{"startCommand": nil}}}}},
		map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{"deploy": map[string]any{"startCommand": "x"}}}}}},
	{"volumeInstanceUpdate", map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{"serviceId": nil}}, map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{}}},
	// Moving a volume to another service takes it from the one using it;
	// an empty id is none.
	{"volumeInstanceUpdate", map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{"serviceId": "s2"}}, map[string]any{"volumeId": "v", "environmentId": "e", "input": map[string]any{}}},
	{"sharedVariableConfigure", map[string]any{"input": map[string]any{"projectId": "p", "environmentId": "e", "name": "DATABASE_URL", "enabledServiceIds": []any{}, "disabledServiceIds": []any{"s"}}},
		map[string]any{"input": map[string]any{"projectId": "p", "environmentId": "e", "name": "DATABASE_URL", "enabledServiceIds": []any{"s"}, "disabledServiceIds": []any{}}}},
	{"serviceInstanceUpdate", map[string]any{"serviceId": "s", "environmentId": "e", "input": map[string]any{"rootDirectory": "", "sourceImageId": " "}}, map[string]any{"serviceId": "s", "environmentId": "e", "input": map[string]any{"rootDirectory": ""}}},
	{"environmentPatchCommit", map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{"volumeMounts": map[string]any{"v": map[string]any{"mountPath": "/d"}}}}}},
		map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{"deploy": map[string]any{"startCommand": "x"}}}}}},
	// Regions removed, resources zeroed: nothing runs.
	{"serviceInstanceUpdate", map[string]any{"serviceId": "s", "environmentId": "e", "input": map[string]any{"multiRegionConfig": map[string]any{}}},
		map[string]any{"serviceId": "s", "environmentId": "e", "input": map[string]any{"multiRegionConfig": map[string]any{"us-west2": map[string]any{"numReplicas": int64(1)}}}}},
	{"serviceInstanceUpdate", map[string]any{"serviceId": "s", "environmentId": "e", "input": map[string]any{"multiRegionConfig": map[string]any{"us-west2": nil}}},
		map[string]any{"serviceId": "s", "environmentId": "e", "input": map[string]any{"multiRegionConfig": map[string]any{"us-west2": map[string]any{}}}}},
	{"serviceInstanceLimitsUpdate", map[string]any{"input": map[string]any{"environmentId": "e", "serviceId": "s", "memoryGB": 0.0, "vCPUs": 0.0}},
		map[string]any{"input": map[string]any{"environmentId": "e", "serviceId": "s", "memoryGB": 2.0, "vCPUs": 1.0}}},
	// Backups and the private network turned off; staged changes discarded.
	{"environmentPatchCommit", map[string]any{"environmentId": "e", "patch": `{"services":{"s":{"volumeSettings":{"v":{"backupSchedules":[]}}}}}`},
		map[string]any{"environmentId": "e", "patch": `{"services":{"s":{"volumeSettings":{"v":{"backupSchedules":["DAILY"]}}}}}`}},
	{"environmentPatchCommit", map[string]any{"environmentId": "e", "patch": map[string]any{"privateNetworkDisabled": true}}, map[string]any{"environmentId": "e", "patch": map[string]any{"privateNetworkDisabled": false}}},
	{"environmentStageChanges", map[string]any{"environmentId": "e", "input": map[string]any{}, "merge": false}, map[string]any{"environmentId": "e", "input": map[string]any{}, "merge": true}},
	{"variableCollectionUpsert", map[string]any{"input": map[string]any{"variables": map[string]any{"X": nil}}}, map[string]any{"input": map[string]any{"variables": map[string]any{"X": "1"}}}},
	// Scaling to zero takes the service offline.
	{"serviceInstanceUpdate", map[string]any{"serviceId": "s", "input": map[string]any{"numReplicas": int64(0)}}, map[string]any{"serviceId": "s", "input": map[string]any{"numReplicas": int64(2)}}},
	{"environmentPatchCommit", map[string]any{"environmentId": "e", "patch": `{"services":{"s":{"deploy":{"numReplicas":0}}}}`}, map[string]any{"environmentId": "e", "patch": `{"services":{"s":{"deploy":{"numReplicas":1}}}}`}},
}

// mintsCredentials is every Railway mutation that answers with a
// credential usable without Chaperone.
var mintsCredentials = strings.Fields(`apiTokenCreate generateShellToken projectTokenCreate recoveryCodeGenerate
twoFactorInfoSecret workspaceInviteCodeCreate`)

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
		if mints := slices.ContainsFunc(r.Reasons, func(x action.Reason) bool { return x.Class == action.ClassCredentialAccess }); mints != slices.Contains(mintsCredentials, f.Name) {
			t.Errorf("%s: makes a credential %v", f.Name, mints)
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
		bad := Result{Reasons: RailwayProfile{}.Judge(Call{Field: c.field, Args: c.bad})}
		plain := Result{Reasons: RailwayProfile{}.Judge(Call{Field: c.field, Args: c.plain})}
		if bad.Class() != action.ClassDestructive || plain.Class() == action.ClassDestructive {
			t.Errorf("%s: %s with %v, %s with %v", c.field, bad.Class(), c.bad, plain.Class(), c.plain)
		}
	}
}

// notCredentials are the schema's fields named like credentials that are
// not: ids, public keys, public DNS verification values, counts, limits,
// flags, and the context of the caller's own token.
var notCredentials = strings.Fields(`AdoptionInfo.numVariables BucketS3CompatibleCredentials.accessKeyId
CustomDomainStatus.verificationToken TrustedDomainVerificationData.token Passkey.credentialId
Service.hasHiddenRegistryCredentialsFromTemplate Team.apiTokenRateLimit User.apiTokenRateLimit Workspace.apiTokenRateLimit
Query.apiToken Query.apiTokens Query.projectToken Query.projectTokens`)

// TestEveryRailwayCredentialFieldIsJudged walks every field of the schema
// named like a credential: each is judged a credential wherever it is
// selected, or listed as not one, so a field Railway adds is decided here
// before it ships.
func TestEveryRailwayCredentialFieldIsJudged(t *testing.T) {
	s, err := Railway()
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`(?i)secret|password|token|credential|variables|privatekey|apikey|dsn|connectionstring`)
	for name, def := range s.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") || def == s.Mutation {
			continue
		}
		for _, f := range def.Fields {
			key := name + "." + f.Name
			if !named.MatchString(f.Name) {
				continue
			}
			judged := len(RailwayProfile{}.JudgeField(name, f.Name, nil)) > 0
			if judged == slices.Contains(notCredentials, key) {
				t.Errorf("%s: judged a credential %v, listed as not one %v", key, judged, slices.Contains(notCredentials, key))
			}
		}
	}
}
