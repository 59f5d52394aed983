package graphql

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
)

func ids(r Result) []string {
	var out []string
	for _, x := range r.Reasons {
		out = append(out, x.ID)
	}
	return out
}

func TestRailwayRequests(t *testing.T) {
	s, err := Railway()
	if err != nil {
		t.Fatal(err)
	}
	const (
		R = action.ClassRead
		W = action.ClassWrite
		U = action.ClassUnknown
		D = action.ClassDestructive
		C = action.ClassCredentialAccess
	)
	for _, c := range []struct {
		name string
		req  Request
		want action.Class
		id   string
	}{
		{"a query", Request{Query: `query { me { id } }`}, R, ""},
		{"a mutation of nothing but __typename", Request{Query: `mutation { __typename }`}, W, "graphql.mutation"},
		{"variables hold credentials", Request{Query: `query { variables(projectId: "p", environmentId: "e") }`}, action.ClassCredentialAccess, "railway.read-credentials"},
		{"bucket keys", Request{Query: `query { bucketS3Credentials(projectId: "p", environmentId: "e", bucketId: "b") { accessKeyId } }`}, action.ClassCredentialAccess, "railway.read-credentials"},
		{"an invite code", Request{Query: `query { projectInviteCode(projectId: "p", role: ADMIN) { code } }`}, C, "railway.invite"},
		{"an invite code by its id only", Request{Query: `query { projectInviteCode(projectId: "p", role: MEMBER) { id } }`}, C, "railway.invite"},
		{"an integration's settings", Request{Query: `query { integrations(projectId: "p") { edges { node { name config } } } }`}, C, "railway.read-credentials"},
		// Credentials are credentials at any depth, in any operation.
		{"decrypted config", Request{Query: `{ environment(id: "e") { config(decryptVariables: true) } }`}, action.ClassCredentialAccess, "railway.read-credentials"},
		{"config kept sealed", Request{Query: `{ environment(id: "e") { config(decryptVariables: false) } }`}, R, ""},
		{"config without decryption", Request{Query: `{ environment(id: "e") { config } }`}, R, ""},
		{"decryption by variable", Request{Query: `query($d: Boolean) { environment(id: "e") { config(decryptVariables: $d) } }`, Variables: map[string]any{"d": true}}, action.ClassCredentialAccess, "railway.read-credentials"},
		{"no decryption by variable", Request{Query: `query($d: Boolean) { environment(id: "e") { config(decryptVariables: $d) } }`, Variables: map[string]any{"d": false}}, R, ""},
		{"every environment's config", Request{Query: `{ project(id: "p") { environments { edges { node { config(decryptVariables: true) } } } } }`}, action.ClassCredentialAccess, "railway.read-credentials"},
		{"a patch decrypted", Request{Query: `{ environmentPatches(environmentId: "e") { edges { node { patch(decryptVariables: true) } } } }`}, action.ClassCredentialAccess, "railway.read-credentials"},
		{"a deployment's variables", Request{Query: `{ deploymentSnapshot(deploymentId: "d") { variables } }`}, action.ClassCredentialAccess, "railway.read-credentials"},
		{"in a fragment", Request{Query: `query { ...F } fragment F on Query { environment(id: "e") { ... on Environment { config(decryptVariables: true) } } }`}, action.ClassCredentialAccess, "railway.read-credentials"},
		{"in a mutation's answer", Request{Query: `mutation { serviceDuplicate(environmentId: "e", serviceId: "s") { project { environments { edges { node { config(decryptVariables: true) } } } } } }`}, action.ClassCredentialAccess, "railway.read-credentials"},
		{"a comment a server ends at U+2028", Request{Query: "mutation { #\u2028volumeDelete(volumeId: \"v\")\n__typename }"}, U, "graphql.lexical"},
		{"a comment a server ends at U+0085", Request{Query: "query { #\u0085me { id }\n__typename }"}, U, "graphql.lexical"},
		{"a block string with U+2029", Request{Query: "query { project(id: \"\"\"a\u2029b\"\"\") { id } }"}, U, "graphql.lexical"},
		{"non-ASCII in a string", Request{Query: `query { project(id: "é") { id } }`}, R, ""},
		{"volumeDelete", Request{Query: `mutation { volumeDelete(volumeId: "vol_1") }`}, D, "railway.delete"},
		{"aliased", Request{Query: `mutation { tidy: volumeDelete(volumeId: "vol_1") }`}, D, "railway.delete"},
		{"in a fragment on Mutation", Request{Query: `mutation M { ...F } fragment F on Mutation { serviceDelete(id: "s") }`}, D, "railway.delete"},
		{"in an inline fragment", Request{Query: `mutation { ... on Mutation { environmentDelete(id: "e") } }`}, D, "railway.delete"},
		{"variables", Request{Query: `mutation($v: String!) { volumeDelete(volumeId: $v) }`, Variables: map[string]any{"v": "vol_1"}}, D, "railway.delete"},
		{"comments", Request{Query: "# tidy up\nmutation {\n # volumeDelete\n volumeDelete(volumeId: \"x\") }"}, D, "railway.delete"},
		{"operationName picks the mutation", Request{Query: `query A { me { id } } mutation B { projectDelete(id: "p") }`, OperationName: "B"}, D, "railway.delete"},
		// Every operation is judged: which one runs is the server's reading.
		{"operationName picks the query", Request{Query: `query A { me { id } } mutation B { projectDelete(id: "p") }`, OperationName: "A"}, D, "railway.delete"},
		{"two operations, no name", Request{Query: `query A { me { id } } mutation B { projectDelete(id: "p") }`}, D, "graphql.operation"},
		{"two queries, no name", Request{Query: `query A { me { id } } query B { me { name } }`}, U, "graphql.operation"},
		{"restore that wipes", Request{Query: `mutation { volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "v", wipeServiceIds: ["s"]) { workflowId } }`}, D, "railway.backup-restore-wipe"},
		{"restore that keeps", Request{Query: `mutation { volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "v") { workflowId } }`}, D, "railway.restore"},
		{"replace variables", Request{Query: `mutation($i: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $i) }`,
			Variables: map[string]any{"i": map[string]any{"projectId": "p", "environmentId": "e", "replace": true, "variables": map[string]any{}}}}, D, "railway.variables-replace"},
		{"upsert variables", Request{Query: `mutation { variableCollectionUpsert(input: {projectId: "p", environmentId: "e", variables: {A: "1"}}) }`}, W, "graphql.write"},
		{"patch deletes", Request{Query: `mutation($p: EnvironmentConfig) { environmentPatchCommit(environmentId: "e", patch: $p) }`,
			Variables: map[string]any{"p": map[string]any{"services": map[string]any{"s1": map[string]any{"isDeleted": true}}}}}, D, "railway.patch-delete"},
		{"volume in every environment", Request{Query: `mutation { volumeInstanceUpdate(volumeId: "v", input: {mountPath: "/x"}) }`}, D, "railway.volume-all-environments"},
		{"volume in one environment", Request{Query: `mutation { volumeInstanceUpdate(volumeId: "v", environmentId: "e", input: {}) }`}, W, "graphql.write"},
		{"volume mounted elsewhere", Request{Query: `mutation { volumeInstanceUpdate(volumeId: "v", environmentId: "e", input: {mountPath: "/x"}) }`}, D, "railway.volume-move"},
		{"backups emptied", Request{Query: `mutation { volumeInstanceBackupScheduleUpdate(volumeInstanceId: "v", kinds: []) }`}, D, "railway.backups-off"},
		{"cancel a scheduled delete", Request{Query: `mutation { projectScheduleDeleteCancel(id: "p") }`}, W, "graphql.write"},
		{"persisted query", Request{Extensions: map[string]any{"persistedQuery": map[string]any{"sha256Hash": "abc"}}}, U, "graphql.persisted"},
		{"does not parse", Request{Query: `mutation { volumeDelete(`}, U, "graphql.invalid"},
		{"unknown field", Request{Query: `mutation { volumeObliterate(id: "x") }`}, U, "graphql.invalid"},
		// Values come from wherever the server takes them.
		{"a variable default wipes", Request{Query: `mutation($w: [String!] = ["svc"]) { volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "v", wipeServiceIds: $w) { workflowId } }`}, D, "railway.backup-restore-wipe"},
		{"one id where a list is expected", Request{Query: `mutation($w: [String!]) { volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "v", wipeServiceIds: $w) { workflowId } }`,
			Variables: map[string]any{"w": "svc"}}, D, "railway.backup-restore-wipe"},
		{"an input default replaces", Request{Query: `mutation($i: VariableCollectionUpsertInput! = {projectId: "p", environmentId: "e", variables: {}, replace: true}) { variableCollectionUpsert(input: $i) }`}, D, "railway.variables-replace"},
		{"a default pins the environment", Request{Query: `mutation($e: String = "e") { volumeInstanceUpdate(volumeId: "v", environmentId: $e, input: {}) }`}, W, "graphql.write"},
		{"an explicit null unpins it", Request{Query: `mutation($e: String = "e") { volumeInstanceUpdate(volumeId: "v", environmentId: $e, input: {}) }`,
			Variables: map[string]any{"e": nil}}, D, "railway.volume-all-environments"},
		{"a nested variable default", Request{Query: `mutation($r: Boolean = true) { variableCollectionUpsert(input: {projectId: "p", environmentId: "e", variables: {}, replace: $r}) }`}, D, "railway.variables-replace"},
		{"a number for a String", Request{Query: `mutation($e: String!) { variableUpsert(input: {projectId: "p", environmentId: $e, name: "A", value: "1"}) }`,
			Variables: map[string]any{"e": json.Number("7")}}, U, "graphql.variables"},
		{"an unknown input field", Request{Query: `mutation($i: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $i) }`,
			Variables: map[string]any{"i": map[string]any{"projectId": "p", "environmentId": "e", "variables": map[string]any{}, "Replace": true}}}, U, "graphql.variables"},
		{"skipped, still judged", Request{Query: `mutation { volumeDelete(volumeId: "v") @skip(if: true) me: projectScheduleDeleteCancel(id: "p") }`}, D, "railway.delete"},
		{"a block string and comments", Request{Query: "mutation {\n# volumeDelete(volumeId: \"x\")\n variableUpsert(input: {projectId: \"p\", environmentId: \"e\", name: \"A\", value: \"\"\"\nmutation { volumeDelete(volumeId: \\\"v\\\") }\n\"\"\"}) }"}, W, "graphql.write"},
		{"missing variable", Request{Query: `mutation($v: String!) { volumeDelete(volumeId: $v) }`}, D, "graphql.variables"},
		// Emptying a variable deletes its value; committing what a
		// request does not show commits anything.
		{"a variable set to nothing", Request{Query: `mutation { variableUpsert(input: {projectId: "p", environmentId: "e", name: "DATABASE_URL", value: ""}) }`}, D, "railway.unset"},
		{"a variable set to blanks in a collection", Request{Query: `mutation { variableCollectionUpsert(input: {projectId: "p", environmentId: "e", variables: {A: " "}}) }`}, D, "railway.unset"},
		{"a variable emptied in a patch", Request{Query: `mutation { environmentPatchCommit(environmentId: "e", patch: {services: {s: {variables: {A: {value: ""}}}}}) }`}, D, "railway.unset"},
		{"limits zeroed in a patch", Request{Query: `mutation { environmentPatchCommit(environmentId: "e", patch: {services: {s: {deploy: {limitOverride: {containers: {cpu: 0, memoryBytes: 0}}}}}}) }`}, D, "railway.scale-zero"},
		{"limits too small to start", Request{Query: `mutation { serviceInstanceLimitsUpdate(input: {serviceId: "s", environmentId: "e", vCPUs: 0.001, memoryGB: 0.001}) }`}, D, "railway.scale-zero"},
		{"ordinary limits", Request{Query: `mutation { serviceInstanceLimitsUpdate(input: {serviceId: "s", environmentId: "e", vCPUs: 0.5, memoryGB: 0.5}) }`}, W, "graphql.write"},
		{"a commit without its patch", Request{Query: `mutation { environmentPatchCommit(environmentId: "e") }`}, U, "railway.patch-staged"},
		{"a commit with an empty patch", Request{Query: `mutation { environmentPatchCommit(environmentId: "e", patch: {}) }`}, U, "railway.patch-staged"},
		{"a patch that sets a value", Request{Query: `mutation { environmentPatchCommit(environmentId: "e", patch: {services: {s: {variables: {A: {value: "1"}}}}}) }`}, W, "graphql.write"},
	} {
		r := Classify(s, RailwayProfile{}, c.req)
		if r.Class() != c.want || (c.id != "" && !slices.Contains(ids(r), c.id)) || (c.id == "" && len(r.Reasons) > 0) {
			t.Errorf("%s: got %s %v, want %s %s", c.name, r.Class(), r.Reasons, c.want, c.id)
		}
	}
}

func TestCallsCarryResolvedArguments(t *testing.T) {
	s, _ := Railway()
	r := Classify(s, RailwayProfile{}, Request{Query: `mutation($v: String!) { a: volumeDelete(volumeId: $v) b: serviceDelete(id: "s1") }`,
		Variables: map[string]any{"v": "vol_9"}})
	if len(r.Calls) != 2 || r.Calls[0].Field != "volumeDelete" || r.Calls[0].Args["volumeId"] != "vol_9" || r.Calls[1].Args["id"] != "s1" {
		t.Fatalf("calls %+v", r.Calls)
	}
}

func TestRailwayTargets(t *testing.T) {
	for _, c := range []struct {
		call         Call
		want         string
		unresolvable bool
	}{
		{Call{Field: "volumeDelete", Args: map[string]any{"volumeId": "vol_1"}}, "[volume vol_1]", false},
		{Call{Field: "volumeInstanceUpdate", Args: map[string]any{"volumeId": "vol_1", "environmentId": "env_s", "input": map[string]any{}}}, "[environment env_s]", false},
		{Call{Field: "volumeInstanceUpdate", Args: map[string]any{"volumeId": "vol_1", "input": map[string]any{"serviceId": "svc"}}}, "[service svc volume vol_1]", false},
		{Call{Field: "volumeInstanceBackupDelete", Args: map[string]any{"volumeInstanceBackupId": "b", "volumeInstanceId": "vi_1"}}, "[volumeInstance vi_1]", false},
		{Call{Field: "serviceDelete", Args: map[string]any{"id": "svc"}}, "[service svc]", false},
		{Call{Field: "serviceDelete", Args: map[string]any{"id": "svc", "environmentId": "env_p"}}, "[environment env_p]", false},
		{Call{Field: "environmentDelete", Args: map[string]any{"id": "env_p"}}, "[environment env_p]", false},
		{Call{Field: "projectDelete", Args: map[string]any{"id": "prj"}}, "[project prj]", false},
		{Call{Field: "deploymentRestart", Args: map[string]any{"id": "dep"}}, "[deployment dep]", false},
		{Call{Field: "variableCollectionUpsert", Args: map[string]any{"input": map[string]any{"environmentId": "env_s", "projectId": "prj", "replace": true}}}, "[environment env_s]", false},
		{Call{Field: "canvasViewMerge", Args: map[string]any{"sourceEnvironmentId": "env_s", "targetEnvironmentId": "env_p"}}, "[environment env_s environment env_p]", false},
		{Call{Field: "customDomainDelete", Args: map[string]any{"id": "dom"}}, "[]", true},
		{Call{Field: "workspaceDelete", Args: map[string]any{"id": "ws"}}, "[]", true},
		// Every id is placed, at any depth, or the mutation is held; so is
		// one that names nothing to place.
		{Call{Field: "projectCreate", Args: map[string]any{"input": map[string]any{"workspaceId": "ws"}}}, "[]", true},
		{Call{Field: "apiTokenCreate", Args: map[string]any{"input": map[string]any{"name": "agent"}}}, "[]", true},
		{Call{Field: "sshPublicKeyCreate", Args: map[string]any{"input": map[string]any{"name": "k", "publicKey": "ssh-ed25519 AAAA"}}}, "[]", true},
		{Call{Field: "usageLimitSet", Args: map[string]any{"input": map[string]any{"customerId": "cus_1", "hardLimitDollars": "1"}}}, "[]", true},
		{Call{Field: "customDomainUpdate", Args: map[string]any{"environmentId": "env_s", "id": "cd_p"}}, "[environment env_s]", true},
		{Call{Field: "pluginRestart", Args: map[string]any{"id": "plg", "input": map[string]any{"environmentId": "env_s"}}}, "[environment env_s]", true},
		{Call{Field: "generateShellToken", Args: map[string]any{"input": map[string]any{"environmentId": "env_s", "instanceId": "i_p"}}}, "[environment env_s]", true},
		{Call{Field: "deploymentInstanceExecutionCreate", Args: map[string]any{"input": map[string]any{"serviceInstanceId": "si_p"}}}, "[]", true},
		{Call{Field: "templateDeploy", Args: map[string]any{"input": map[string]any{"environmentId": "env_s", "services": []any{map[string]any{"id": "svc_p"}}}}}, "[environment env_s]", true},
		{Call{Field: "egressGatewayRollbackFromHA", Args: map[string]any{"volumeInstanceId": "vi_1", "input": map[string]any{"serviceId": "svc", "allEnvironments": true}}}, "[volumeInstance vi_1 service svc]", false},
		{Call{Field: "volumeInstanceBackupRestore", Args: map[string]any{"volumeInstanceBackupId": "b", "volumeInstanceId": "vi_1", "wipeServiceIds": []any{"svc"}}}, "[volumeInstance vi_1]", false},
		{Call{Field: "environmentCreate", Args: map[string]any{"input": map[string]any{"projectId": "prj", "baseEnvironmentId": "env_p"}}}, "[environment env_p]", false},
		// A base environment is a project's setting, not where the change
		// is made: the whole project is.
		{Call{Field: "projectUpdate", Args: map[string]any{"id": "prj", "input": map[string]any{"isPublic": true, "baseEnvironmentId": "env_s"}}}, "[environment env_s project prj]", false},
		{Call{Field: "serviceCreate", Args: map[string]any{"input": map[string]any{"projectId": "prj", "rootServiceId": "svc"}}}, "[project prj service svc]", false},
		{Call{Field: "volumeInstanceBackupLock", Args: map[string]any{"volumeInstanceBackupId": "b", "volumeInstanceId": "vi_1"}}, "[volumeInstance vi_1]", false},
		{Call{Field: "serviceInstanceUpdate", Args: map[string]any{"serviceId": "svc", "environmentId": "env_s", "input": map[string]any{"serviceIds": []any{"a"}}}}, "[environment env_s]", false},
		{Call{Field: "deploymentRedeploy", Args: map[string]any{"id": "dep", "input": map[string]any{"deploymentIds": []any{"d2", "d3"}}}}, "[deployment d2 deployment d3 deployment dep]", false},
	} {
		got, why := RailwayTargets(c.call)
		if s := fmt.Sprint(got); s != c.want || (why != "") != c.unresolvable {
			t.Errorf("%s %v: targets %s, unresolvable %q; want %s, %v", c.call.Field, c.call.Args, s, why, c.want, c.unresolvable)
		}
	}
}

// A read is placed by what it names that lives in one environment.
func TestRailwayReadTargets(t *testing.T) {
	s, _ := Railway()
	for q, want := range map[string]string{
		`{ environment(id: "e") { name } }`:                                                           "[environment e]",
		`{ deploymentLogs(deploymentId: "d") { message } }`:                                           "[deployment d]",
		`{ project(id: "p") { environments { edges { node { id } } } } }`:                             "[]",
		`{ project(id: "p") { id } environment(id: "e2") { deployments { edges { node { id } } } } }`: "[environment e2]",
		`{ serviceInstance(serviceId: "s", environmentId: "e") { id } }`:                              "[environment e]",
		`{ environmentPatch(id: "p1") { patch } }`:                                                    "[environmentPatch p1]",
		`{ me { id } }`: "[]",
	} {
		r := Classify(s, RailwayProfile{}, Request{Query: q})
		var got []Target
		for _, c := range r.Reads {
			got = append(got, RailwayReadTargets(c)...)
		}
		if fmt.Sprint(got) != want && !(want == "[]" && got == nil) {
			t.Errorf("%s: %v, want %s (reads %v, reasons %v)", q, got, want, r.Reads, r.Reasons)
		}
	}
}

// An ID is the server's string, whether sent as a string or a number.
func TestIDsAreReadAsTheServerReadsThem(t *testing.T) {
	s, _ := Railway()
	q := `mutation($id: ID!) { cloudAgentDelete(id: $id) }`
	for v, want := range map[any]string{"ca_1": "ca_1", json.Number("42"): "42", json.Number("4.2e1"): "42", json.Number("42.0"): "42"} {
		r := Classify(s, RailwayProfile{}, Request{Query: q, Variables: map[string]any{"id": v}})
		if len(r.Calls) != 1 || r.Calls[0].Args["id"] != want {
			t.Errorf("%v: %v", v, r.Calls)
		}
	}
	for _, v := range []any{json.Number("4.5"), json.Number("1e300"), true, map[string]any{}} {
		if r := Classify(s, RailwayProfile{}, Request{Query: q, Variables: map[string]any{"id": v}}); !slices.Contains(ids(r), "graphql.variables") {
			t.Errorf("%v was read: %v", v, r.Reasons)
		}
	}
}

// A cached document still takes each request's own variables.
func TestCachedDocumentsTakeTheirOwnVariables(t *testing.T) {
	s, _ := Railway()
	q := `mutation($a: VolumeInstanceUpdateInput!, $e: String) { volumeInstanceUpdate(volumeId: "v", input: $a, environmentId: $e) }`
	for i, c := range []struct {
		vars map[string]any
		want action.Class
	}{
		{map[string]any{"a": map[string]any{}, "e": "env_s"}, action.ClassWrite},
		{map[string]any{"a": map[string]any{}}, action.ClassDestructive},
		{map[string]any{"a": map[string]any{}, "e": "env_s"}, action.ClassWrite},
	} {
		if got := Classify(s, RailwayProfile{}, Request{Query: q, Variables: c.vars}).Class(); got != c.want {
			t.Errorf("request %d: %s, want %s", i, got, c.want)
		}
	}
}

// Without the shell guard linked, a command a mutation sets is unknown,
// never taken for a plain write.
func TestRailwayCommandsUnreadWithoutTheShellGuardAreUnknown(t *testing.T) {
	saved := JudgeCommand
	JudgeCommand = nil
	defer func() { JudgeCommand = saved }()
	call := Call{Field: "serviceInstanceUpdate", Args: map[string]any{"environmentId": "e1", "serviceId": "s1", "input": map[string]any{"startCommand": "rm -rf /data"}}}
	if got := action.Highest(RailwayProfile{}.Judge(call)); got != action.ClassUnknown {
		t.Fatalf("%s", got)
	}
}
