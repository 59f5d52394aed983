package http

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// sendRaw is send with the request's every part chosen: headers (a nil
// Content-Type is left out), raw path and query, and body bytes.
func (e *env) sendRaw(t testing.TB, tok, method, target string, header http.Header, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func deflate(s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func jsonBody(m map[string]any) string { b, _ := json.Marshal(m); return string(b) }

const (
	stg = "/u/railway-staging/graphql/v2"
	// incident is the April 2026 request: production's volume, deleted
	// with a staging token.
	incident = `mutation { volumeDelete(volumeId: "vol_3b8d0c") }`
	read     = `query { me { id } }`
)

var (
	asJSON  = http.Header{"Content-Type": {"application/json"}}
	noCType = http.Header{}
)

type form struct {
	name, method, target string
	header               http.Header
	body                 string
	status               int // 400 refused, 403 denied or held, 413 too large, 200 forwarded
}

// run sends each form with the staging token and checks its answer and
// what reached the stand-in: nothing but the forms answered 200, and no
// mutation but the ones those ran.
func (e *env) run(t *testing.T, forms []form) {
	t.Helper()
	for _, f := range forms {
		muts, agent := len(e.railway.Mutations()), e.agentRequests()
		status, out := e.sendRaw(t, e.stage, f.method, f.target, f.header, []byte(f.body))
		reached := e.agentRequests() > agent
		if status != f.status || reached != (f.status == 200) {
			t.Errorf("%s: %d (want %d), reached Railway: %v: %v", f.name, status, f.status, reached, out)
		}
		if f.status != 200 && len(e.railway.Mutations()) != muts {
			t.Errorf("%s: Railway ran %v", f.name, e.railway.Mutations()[muts:])
		}
		if f.status == 400 {
			if msg, _ := out["error"].(string); !strings.Contains(msg, "cannot read this request exactly") {
				t.Errorf("%s: the refusal does not say why: %v", f.name, out)
			}
		}
	}
	if !e.railway.HasVolume("vol_3b8d0c") {
		t.Fatal("production's volume was deleted")
	}
}

// Class 8: a body read one way by encoding/json and another by the
// provider's JSON.parse is refused, at every level that is classified.
func TestAmbiguousJSONIsRefused(t *testing.T) {
	e := setup(t)
	benignVars := `"variables":{"i":{"projectId":"prj_7c1e","environmentId":"env_stg_41a2","variables":{}}}`
	upsert := `"query":"mutation($i: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $i) }"`
	e.run(t, []form{
		{"query and QUERY", "POST", stg, asJSON, `{"query":"` + read + `","QUERY":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`, 400},
		{"QUERY alone", "POST", stg, asJSON, `{"QUERY":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`, 400},
		{"query twice", "POST", stg, asJSON, `{"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }","query":"` + read + `"}`, 400},
		{"an escaped duplicate", "POST", stg, asJSON, `{"query":"` + read + `","\u0071uery":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`, 400},
		{"variables and Variables", "POST", stg, asJSON, `{"query":"mutation($v: String!) { volumeDelete(volumeId: $v) }","variables":{"v":"vol_x"},"Variables":{"v":"vol_3b8d0c"}}`, 400},
		{"the long s", "POST", stg, asJSON, `{"query":"` + read + `","variableſ":{}, "variables":{}}`, 400},
		{"a duplicate in an input object", "POST", stg, asJSON, `{` + upsert + `,"variables":{"i":{"projectId":"prj_7c1e","environmentId":"env_stg_41a2","variables":{},"replace":false,"replace":true}}}`, 400},
		{"Kelvin in an input object", "POST", stg, asJSON, `{` + upsert + `,"variables":{"i":{"projectId":"prj_7c1e","environmentId":"env_stg_41a2","variables":{"K":"1","\u212a":"2"}}}}`, 400},
		{"a duplicate in a batch element", "POST", stg, asJSON, `[{"query":"` + read + `"},{"query":"` + read + `","query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}]`, 400},
		{"a byte order mark", "POST", stg, asJSON, "\xef\xbb\xbf" + `{"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`, 400},
		{"a lone surrogate", "POST", stg, asJSON, `{"query":"mutation($v: String!) { volumeDelete(volumeId: $v) }","variables":{"v":"vol_3b8d0c\ud800"}}`, 400},
		{"invalid UTF-8", "POST", stg, asJSON, "{\"query\":\"" + read + "\",\"x\":\"\xff\"}", 400},
		{"__proto__", "POST", stg, asJSON, `{"query":"` + read + `","__proto__":{"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}}`, 400},
		{"variables as a JSON string", "POST", stg, asJSON, `{"query":"mutation($v: String!) { volumeDelete(volumeId: $v) }","variables":"{\"v\":\"vol_3b8d0c\"}"}`, 400},
		{"a query that is not a string", "POST", stg, asJSON, `{"query":["mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"]}`, 400},
		{"a nested batch", "POST", stg, asJSON, `[[{"query":"` + read + `"}]]`, 400},
		{"an empty batch", "POST", stg, asJSON, `[]`, 400},
		{"GET variables with a duplicate", "GET", stg + `?query=` + qe(`query($id: String!) { environment(id: $id) { name } }`) + `&variables=` + qe(`{"id":"a","id":"b"}`), noCType, "", 400},
		// What every reader reads alike still goes through.
		{"a read", "POST", stg, asJSON, `{"query":"` + read + `"}`, 200},
		{"extensions and unknown members", "POST", stg, asJSON, `{"query":"` + read + `","extensions":{"tracing":true},"clientName":"cli"}`, 200},
		{"JSON sent as text/plain", "POST", stg, http.Header{"Content-Type": {"text/plain;charset=UTF-8"}}, `{"query":"` + read + `"}`, 200},
		{"no Content-Type", "POST", stg, noCType, `{"query":"` + read + `"}`, 200},
		{"an escaped key alone", "POST", stg, asJSON, `{"\u0071uery":"` + read + `"}`, 200},
		{"a staging write with its own variables", "POST", stg, asJSON, `{` + upsert + `,` + benignVars + `}`, 200},
	})
}

func qe(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", " ", "%20", ";", "%3B", "\"", "%22", "{", "%7B", "}", "%7D").Replace(s)
}

// Class 9: on a Railway upstream every path is GraphQL, so no spelling
// of the endpoint turns the incident into a plain POST; and what is
// forwarded is the path classified.
func TestEveryPathIsGraphQL(t *testing.T) {
	e := setup(t)
	body := jsonBody(map[string]any{"query": incident})
	var forms []form
	for _, p := range []string{"/GraphQL/V2", "/graphql/v2/", "/graphql//v2", "//graphql/v2", "/graphql%2Fv2", "/graphql%2fv2",
		"/graphql/v2/../v2", "/graphql/./v2", "/x/../graphql/v2", "/graphql/v2/anything",
		"/graphql/v2%00", "/graphql/v2%20", "/", "", "/api", "/graphql", "/GRAPHQL/v2/.", "/graphql/v2?"} {
		forms = append(forms, form{"path " + p, "POST", "/u/railway-staging" + p, asJSON, body, 403})
	}
	// A path servers read two ways is refused before anything else.
	for _, p := range []string{"/graphql/v2;x=1", "/graphql;/v2", "/graphql/v2%3B", "/graphql/..;/v2", "/graphql/v2%c1%b3", "/graphql/v2%5C"} {
		forms = append(forms, form{"path " + p, "POST", "/u/railway-staging" + p, asJSON, body, 400})
	}
	for _, p := range []string{"/GraphQL/V2", "/graphql/v2/anything", "/"} {
		forms = append(forms, form{"application/graphql at " + p, "POST", "/u/railway-staging" + p,
			http.Header{"Content-Type": {"application/graphql"}}, incident, 403})
	}
	e.run(t, forms)
	// A read at an odd spelling is forwarded to exactly that cleaned path.
	if status, _ := e.sendRaw(t, e.stage, "POST", "/u/railway-staging/GraphQL//V2/", asJSON, []byte(`{"query":"`+read+`"}`)); status != 200 {
		t.Fatalf("a read: %d", status)
	}
	seen := e.railway.Seen()
	if p := seen[len(seen)-1].Path; p != "/GraphQL/V2/" {
		t.Fatalf("forwarded to %q", p)
	}
}

// Class 10: values come from where the provider takes them - variable
// defaults, the URL or the body (never both), one copy of each parameter,
// compressed bodies - or the request is refused.
func TestValuesAreResolvedAsTheProviderResolvesThem(t *testing.T) {
	e := setup(t)
	deleteWithDefault := jsonBody(map[string]any{"query": `mutation($v: String! = "vol_3b8d0c") { volumeDelete(volumeId: $v) }`})
	wipeDefault := jsonBody(map[string]any{"query": `mutation($w: [String!] = ["svc_preview"]) { volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "vi_stg_5d21", wipeServiceIds: $w) { workflowId } }`})
	envDefault := jsonBody(map[string]any{"query": `mutation($i: VariableUpsertInput! = {projectId: "prj_7c1e", environmentId: "env_prd_9f30", serviceId: "svc_api_1", name: "X", value: "1"}) { variableUpsert(input: $i) }`})
	nested := jsonBody(map[string]any{"query": `mutation($e: String = "env_prd_9f30") { variableUpsert(input: {projectId: "prj_7c1e", environmentId: $e, serviceId: "svc_api_1", name: "X", value: "1"}) }`})
	twoOps := jsonBody(map[string]any{"query": `query A { me { id } } mutation B { volumeDelete(volumeId: "vol_3b8d0c") }`, "operationName": "A"})
	bomb := gz(`{"query":"` + read + `","pad":"` + strings.Repeat(" ", 40<<20) + `"}`)
	e.run(t, []form{
		{"a variable default", "POST", stg, asJSON, deleteWithDefault, 403},
		{"a list default that wipes", "POST", stg, asJSON, wipeDefault, 403},
		{"an input default naming production", "POST", stg, asJSON, envDefault, 403},
		{"a nested variable's default", "POST", stg, asJSON, nested, 403},
		{"operationName names the read", "POST", stg, asJSON, twoOps, 403},
		{"two operations, no name", "POST", stg, asJSON, jsonBody(map[string]any{"query": `mutation A { me: projectScheduleDeleteCancel(id: "p") } mutation B { volumeDelete(volumeId: "vol_3b8d0c") }`}), 403},
		{"@skip", "POST", stg, asJSON, jsonBody(map[string]any{"query": `mutation { volumeDelete(volumeId: "vol_3b8d0c") @skip(if: false) }`}), 403},
		{"@include from a variable", "POST", stg, asJSON, jsonBody(map[string]any{"query": `mutation($y: Boolean = true) { volumeDelete(volumeId: "vol_3b8d0c") @include(if: $y) }`}), 403},
		{"a fragment on Mutation", "POST", stg, asJSON, jsonBody(map[string]any{"query": `mutation { ...F } fragment F on Mutation { tidy: volumeDelete(volumeId: "vol_3b8d0c") }`}), 403},
		{"a comment and a block string", "POST", stg, asJSON, jsonBody(map[string]any{"query": "# read only\nmutation { x: variableUpsert(input: {projectId: \"prj_7c1e\", environmentId: \"env_stg_41a2\", name: \"\"\"A\"\"\", value: \"1\"}) volumeDelete(volumeId: \"vol_3b8d0c\") }"}), 403},
		{"a number where a String goes", "POST", stg, asJSON, `{"query":"mutation($v: String!) { volumeDelete(volumeId: $v) }","variables":{"v":3}}`, 403},
		{"a batch of a read and the incident", "POST", stg, asJSON, `[{"query":"` + read + `"},{"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}]`, 403},
		{"?query= on a POST with a body", "POST", stg + "?query=" + qe(read), asJSON, jsonBody(map[string]any{"query": incident}), 400},
		{"?query= on a POST, no body", "POST", stg + "?query=" + qe(incident), noCType, "", 403},
		{"?query= twice", "GET", stg + "?query=" + qe(read) + "&query=" + qe(incident), noCType, "", 400},
		{"?query= and ?Query=", "GET", stg + "?query=" + qe(read) + "&Query=" + qe(incident), noCType, "", 400},
		{"a ';' separator", "GET", stg + "?query=" + qe(read) + ";query=" + qe(incident), noCType, "", 400},
		{"a bad escape", "GET", stg + "?query=%zz", noCType, "", 400},
		{"a backslash in the path", "POST", stg + "/..%5C..%5Cx", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"a GET with a body", "GET", stg + "?query=" + qe(read), asJSON, jsonBody(map[string]any{"query": incident}), 400},
		{"a GET with only a body", "GET", stg, asJSON, jsonBody(map[string]any{"query": incident}), 400},
		{"a PUT with a body", "PUT", stg, asJSON, jsonBody(map[string]any{"query": incident}), 400},
		{"a lower-case post", "post", stg, asJSON, jsonBody(map[string]any{"query": incident}), 400},
		{"X-HTTP-Method-Override", "POST", stg, http.Header{"Content-Type": {"application/json"}, "X-Http-Method-Override": {"GET"}}, jsonBody(map[string]any{"query": read}), 400},
		{"X_HTTP_METHOD", "POST", stg, http.Header{"Content-Type": {"application/json"}, "X_HTTP_METHOD": {"GET"}}, jsonBody(map[string]any{"query": read}), 400},
		{"access_token in the query", "POST", stg + "?access_token=agents-own", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"api_key in the query", "POST", stg + "?API_KEY=agents-own", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"_method", "POST", stg + "?_method=GET", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"_METHOD", "POST", stg + "?_METHOD=GET", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"_method[]", "POST", stg + "?_method%5B%5D=GET", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"_method and a NUL", "POST", stg + "?_method%00=GET", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"_method, a NUL and more", "POST", stg + "?_method%00x=GET", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"%5Fmethod, a NUL and more", "POST", stg + "?%5Fmethod%00abc=GET", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"query, a NUL and more", "GET", stg + "?query%00x=" + qe(incident), noCType, "", 400},
		{"query[a]", "GET", stg + "?query%5Ba%5D=" + qe(incident), noCType, "", 400},
		{"operationName[a]", "GET", stg + "?query=" + qe(read) + "&operationName%5Ba%5D=x", noCType, "", 400},
		{"x-http-method-override as a parameter", "POST", stg + "?x-http-method-override=GET", asJSON, jsonBody(map[string]any{"query": read}), 400},
		{"gzip", "POST", stg, http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, string(gz(jsonBody(map[string]any{"query": incident}))), 403},
		{"deflate", "POST", stg, http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"deflate"}}, string(deflate(jsonBody(map[string]any{"query": incident}))), 403},
		{"gzip twice", "POST", stg, http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip, gzip"}}, string(gz(string(gz(jsonBody(map[string]any{"query": incident}))))), 403},
		{"gzip that is not", "POST", stg, http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, jsonBody(map[string]any{"query": read}), 400},
		{"brotli", "POST", stg, http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"br"}}, "\x0b\x02\x80", 400},
		{"a gzip bomb", "POST", stg, http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, string(bomb), 413},
		{"multipart", "POST", stg, http.Header{"Content-Type": {"multipart/form-data; boundary=x"}}, "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + jsonBody(map[string]any{"query": incident}) + "\r\n--x--\r\n", 400},
		{"a form", "POST", stg, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "query=" + qe(incident), 400},
		{"UTF-16", "POST", stg, http.Header{"Content-Type": {"application/json; charset=utf-16"}}, jsonBody(map[string]any{"query": read}), 400},
		{"two Content-Types", "POST", stg, http.Header{"Content-Type": {"application/json", "application/graphql"}}, jsonBody(map[string]any{"query": read}), 400},
		{"HEAD with ?query=", "HEAD", stg + "?query=" + qe(incident), noCType, "", 403},
		{"OPTIONS with a body", "OPTIONS", stg, asJSON, jsonBody(map[string]any{"query": incident}), 400},
		{"an escaped parameter name", "POST", stg + "?qu%65ry=" + qe(incident), asJSON, `{"query":"` + read + `"}`, 400},
		{"?query with no value beside a body", "POST", stg + "?query", asJSON, jsonBody(map[string]any{"query": incident}), 400},
		{"?variables beside a body", "POST", stg + "?variables=" + qe(`{"v":"vol_3b8d0c"}`), asJSON, jsonBody(map[string]any{"query": `mutation($v: String!) { volumeDelete(volumeId: $v) }`, "variables": map[string]any{"v": "vol_x"}}), 400},
		{"two JSON values", "POST", stg, asJSON, `{"query":"` + read + `"} {"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`, 403},
		{"a JSON string body", "POST", stg, asJSON, `"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"`, 400},
		{"a patch as a JSON string", "POST", stg, asJSON, jsonBody(map[string]any{"query": `mutation($p: EnvironmentConfig) { environmentPatchCommit(environmentId: "env_prd_9f30", patch: $p) }`,
			"variables": map[string]any{"p": `{"services":{"svc_api_1":{"isDeleted":true}}}`}}), 403},
		// Read forms that still go through.
		{"a gzip read", "POST", stg, http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, string(gz(jsonBody(map[string]any{"query": read}))), 200},
		{"an application/graphql read", "POST", stg, http.Header{"Content-Type": {"application/graphql; charset=utf-8"}}, read, 200},
		{"a GET read", "GET", stg + "?query=" + qe(read), noCType, "", 200},
	})
}

// A chunked body is read whole, like any other.
func TestChunkedBodiesAreReadWhole(t *testing.T) {
	e := setup(t)
	req, _ := http.NewRequest("POST", e.srv.URL+stg, io.MultiReader(strings.NewReader(`{"query":"mutation { volumeDel`), strings.NewReader(`ete(volumeId: \"vol_3b8d0c\") }"}`)))
	req.ContentLength = -1 // sent chunked
	req.Header.Set("Authorization", "Bearer "+e.stage)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || len(e.railway.Mutations()) != 0 {
		t.Fatalf("%d, Railway ran %v", resp.StatusCode, e.railway.Mutations())
	}
}

// Class 11: a restore replaces data, so it is destructive and its
// target's environment is checked like a delete's.
func TestRestoresAreDestruction(t *testing.T) {
	e := setup(t)
	mut := func(q string) string { return jsonBody(map[string]any{"query": "mutation { " + q + " }"}) }
	e.run(t, []form{
		{"a restore of production's volume instance", "POST", stg, asJSON, mut(`volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "vi_prd_77e0") { workflowId }`), 403},
		{"a restore that wipes", "POST", stg, asJSON, mut(`volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "vi_prd_77e0", wipeServiceIds: "svc_api_1") { workflowId }`), 403},
		{"a point-in-time restore", "POST", stg, asJSON, mut(`volumeInstancePITRRestore(volumeInstanceId: "vi_prd_77e0", targetTimestamp: "2026-01-01T00:00:00Z")`), 403},
		{"a plugin reset", "POST", stg, asJSON, mut(`pluginReset(id: "pl_1", input: {environmentId: "env_prd_9f30"})`), 403},
		{"a staging restore is held", "POST", stg, asJSON, mut(`volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "vi_stg_5d21") { workflowId }`), 403},
		{"a rollback", "POST", stg, asJSON, mut(`deploymentRollback(id: "dep_1")`), 403},
		{"2FA enforcement off", "POST", stg, asJSON, mut(`workspaceTwoFactorEnforcementUpdate(workspaceId: "ws", enabled: false)`), 403},
		{"a signal replaced", "POST", stg, asJSON, mut(`signalReplace(input: {name: "n", owner: "o", type: BOOLEAN, default: true})`), 403},
		{"egress for all environments", "POST", stg, asJSON, mut(`egressGatewayRollbackFromHA(input: {environmentId: "env_stg_41a2", serviceId: "svc_api_1", allEnvironments: true})`), 403},
	})
	// Held, not denied, where staging is all the target touches.
	_, out := e.sendRaw(t, e.stage, "POST", stg, asJSON, []byte(mut(`volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "vi_stg_5d21") { workflowId }`)))
	if out["request"] == nil {
		t.Fatalf("a staging restore was not held for approval: %v", out)
	}
	_, out = e.sendRaw(t, e.stage, "POST", stg, asJSON, []byte(mut(`volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "vi_prd_77e0") { workflowId }`)))
	if b, _ := json.Marshal(out); !strings.Contains(string(b), "production") {
		t.Fatalf("a production restore was not refused naming production: %s", b)
	}
}

// Documents that servers read differently from Chaperone's parser, or that
// carry another document beside the query, never reach the provider as
// judged: a comment ended by U+2028/U+2029/U+0085 (graphql-java and
// JavaScript-regex lexers end it there), a persisted-query hash that is not
// the query's, a member naming a stored document, and query parameters
// that frameworks read as query.
func TestDocumentsServersReadDifferentlyAreHeld(t *testing.T) {
	e := setup(t)
	hidden := `mutation { #` + "\u2028" + `volumeDelete(volumeId: \"vol_3b8d0c\")\n__typename }`
	sum := sha256.Sum256([]byte(read))
	e.run(t, []form{
		{"comment ended by U+2028", "POST", stg, asJSON, `{"query":"` + hidden + `"}`, 403},
		{"comment ended by U+2029", "POST", stg, asJSON, `{"query":"mutation { #\u2029volumeDelete(volumeId: \"vol_3b8d0c\")\n__typename }"}`, 403},
		{"comment ended by U+0085", "POST", stg, asJSON, `{"query":"mutation { #\u0085volumeDelete(volumeId: \"vol_3b8d0c\")\n__typename }"}`, 403},
		{"the mutation keyword in a comment", "POST", stg, asJSON, `{"query":"query #\u2028Q { __typename } mutation\nM { #\u2028volumeDelete(volumeId: \"vol_3b8d0c\")\n__typename }","operationName":"M"}`, 403},
		{"as application/graphql", "POST", stg, http.Header{"Content-Type": {"application/graphql"}}, "mutation { #\u2028volumeDelete(volumeId: \"vol_3b8d0c\")\n__typename }", 403},
		{"non-ASCII in a comment", "POST", stg, asJSON, `{"query":"# café\n` + read + `"}`, 403},
		{"non-ASCII in a string", "POST", stg, asJSON, `{"query":"query { project(id: \"café\") { id } }"}`, 200},
		{"a hash that is not the query's", "POST", stg, asJSON, `{"query":"` + read + `","extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("ab", 32) + `"}}}`, 403},
		{"the query's own hash", "POST", stg, asJSON, `{"query":"` + read + `","extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}}`, 200},
		{"a stored document's id", "POST", stg, asJSON, `{"query":"` + read + `","doc_id":"1234"}`, 400},
		{"documentId", "POST", stg, asJSON, `{"query":"` + read + `","documentId":"1234"}`, 400},
		// A decoder that matches member names without case (Go's) reads
		// these as the members they spell.
		{"OperationName", "POST", stg, asJSON, `{"query":"query A { me { id } } mutation B { volumeDelete(volumeId: \"vol_3b8d0c\") }","operationName":"A","OperationName":"B"}`, 400},
		{"Query", "POST", stg, asJSON, `{"query":"` + read + `","Query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`, 400},
		{"variables spelt with a long s", "POST", stg, asJSON, `{"query":"` + read + `","variableſ":{}}`, 400},
		{"Extensions", "POST", stg, asJSON, `{"query":"` + read + `","Extensions":{}}`, 400},
		{"a member named with NUL", "POST", stg, asJSON, `{"query\u0000":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }","query":"` + read + `"}`, 400},
		{"query[] in the URL", "GET", stg + "?query[]=" + url.QueryEscape(incident), noCType, "", 400},
		{"query%20 in the URL", "GET", stg + "?query%20=" + url.QueryEscape(incident) + "&query=" + url.QueryEscape(read), noCType, "", 400},
		// A REST upstream: bodies on methods without one, methods not in
		// upper case, and GraphQL the REST rules cannot read.
		{"OPTIONS with a body", "OPTIONS", "/u/fly-staging/apps/a/machines/m1", asJSON, `{"config":{}}`, 400},
		{"a lower-case method", "get", "/u/fly-staging/apps/a/machines", noCType, "", 400},
		{"a body in UTF-16", "POST", "/u/fly-staging/apps/a/volumes", http.Header{"Content-Type": {"application/json; charset=utf-16"}}, "\xff\xfe{\x00}\x00", 400},
		{"GraphQL in a REST upstream's URL", "GET", "/u/fly-staging/graphql?query=" + url.QueryEscape(`mutation { deleteApp(appId: "a") { organization { id } } }`), noCType, "", 403},
		{"GraphQL in a REST upstream's body", "POST", "/u/fly-staging/api", asJSON, `{"query":"mutation { deleteApp(appId: \"a\") { organization { id } } }"}`, 403},
	})
}

// What the provider reads from the forwarded request is what the gateway
// judged: the base URL's path followed by the decoded, cleaned path, and the
// agent's query byte for byte, at the base's host. The request is written as
// the transport writes it and read back as a server reads it.
func FuzzForwardedRequestIsTheJudgedOne(f *testing.F) {
	for _, s := range []string{"graphql/v2", "", "/", "a/../b", "a%2Fb", "a%252Fb", "%2573top", "%252e%252e/admin", "b%/c", "sp ace/ü", "x?y#z", "a//b/", "%zz", ";a=b", "@:", "a\\..\\b"} {
		f.Add("https://backboard.railway.app", s, "")
		f.Add("http://127.0.0.1:8080/base/", s, "a=1&b=%20")
		f.Add("https://api.example.com:/v1%2Fx", s, "q")
		f.Add("http://h/%2F", s, "")
	}
	g := &Gateway{}
	f.Fuzz(func(t *testing.T, base, raw, query string) {
		u, err := url.Parse(base)
		if err != nil || u.Host == "" || !httpguts.ValidHostHeader(u.Host) || u.Opaque != "" || (u.Scheme != "http" && u.Scheme != "https") {
			return // not a base URL an upstream could have
		}
		if _, err := strictQuery(query); err != nil || strings.IndexFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
			return // refused, or not in a request line (the transport refuses to write it)
		}
		rest := cleanPath(raw)
		out, err := g.upstreamRequest(context.Background(), "POST", Upstream{URL: base}, rest, query, nil)
		if err != nil {
			t.Fatalf("base %q rest %q: %v", base, rest, err)
		}
		var wire bytes.Buffer
		if err := out.Write(&wire); err != nil {
			t.Fatalf("base %q rest %q query %q: writing: %v", base, rest, query, err)
		}
		read, err := http.ReadRequest(bufio.NewReader(&wire))
		if err != nil {
			t.Fatalf("base %q rest %q query %q: the provider cannot read %q: %v", base, rest, query, wire.String(), err)
		}
		// Only a literal trailing '/' of the base is dropped; an escaped one
		// ("/%2F") is part of the base's path.
		basePath, err := url.PathUnescape(strings.TrimSuffix(u.EscapedPath(), "/"))
		if err != nil {
			t.Fatalf("base %q: %v", base, err)
		}
		want := basePath + rest
		if read.URL.Path != want || read.URL.RawQuery != query {
			t.Fatalf("base %q rest %q query %q: the provider reads path %q query %q, judged %q %q", base, rest, query, read.URL.Path, read.URL.RawQuery, want, query)
		}
		if host := strings.TrimSuffix(u.Host, ":"); read.Host != host || out.URL.Host != host || out.URL.Scheme != u.Scheme {
			t.Fatalf("base %q: sent to %s://%s with Host %q", base, out.URL.Scheme, out.URL.Host, read.Host)
		}
	})
}

// A '#' in the query string is refused: servers differ on where the URL
// ends.
func TestAHashInTheQueryIsRefused(t *testing.T) {
	for _, q := range []string{"query=a#b", "#", "a=1&b=2#frag"} {
		if _, err := strictQuery(q); err == nil {
			t.Errorf("%q was read", q)
		}
	}
	if _, err := strictQuery("a=%23"); err != nil {
		t.Errorf("an escaped '#': %v", err)
	}
}

// A path escaped twice is judged once decoded and must reach the provider
// so that it decodes to the same text: "%2573top" is the text "%73top",
// never "stop" (which Fly runs), and "%252e%252e" never climbs out of the
// base path.
func TestTheProviderReadsTheJudgedPath(t *testing.T) {
	e := setup(t)
	for target, want := range map[string]string{
		"/u/fly-staging/apps/a/machines/m1/%2573top":    "/v1/apps/a/machines/m1/%73top",
		"/u/fly-staging/apps/a/%252e%252e/%252e%252e/x": "/v1/apps/a/%2e%2e/%2e%2e/x",
		"/u/fly-staging/apps/a%25/b":                    "/v1/apps/a%/b",
		"/u/fly-staging/apps/a%2Fb":                     "/v1/apps/a/b",
	} {
		before := e.prov.count()
		status, body := e.sendRaw(t, e.stage, "GET", target, nil, nil)
		if status != 200 || e.prov.count() != before+1 {
			t.Errorf("%s: HTTP %d %v, %d requests reached the provider", target, status, body, e.prov.count()-before)
			continue
		}
		e.prov.mu.Lock()
		seen := e.prov.seen[len(e.prov.seen)-1]
		e.prov.mu.Unlock()
		if seen != "GET "+want+" " {
			t.Errorf("%s: the provider read %q, the gateway judged %q", target, seen, "GET "+want)
		}
	}
}

// A method override in a form body is refused on any upstream: frameworks
// read _method from a POST's body as readily as from its URL.
func TestAMethodOverrideInAFormIsRefused(t *testing.T) {
	e := setup(t)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	multi := http.Header{"Content-Type": {"multipart/form-data; boundary=b"}}
	part := func(name string) []byte {
		return []byte("--b\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\nDELETE\r\n--b--\r\n")
	}
	for _, c := range []struct {
		name   string
		header http.Header
		body   []byte
		want   int
	}{
		{"_method in a form", form, []byte("a=1&_method=DELETE"), 400},
		{"_METHOD after a ';'", form, []byte("a=1;_METHOD=DELETE"), 400},
		{"%5Fmethod", form, []byte("%5Fmethod=DELETE"), 400},
		{"_method, a NUL and more", form, []byte("_method%00x=DELETE"), 400},
		{"_Method, a NUL and more, no type", http.Header{}, []byte("_Method%00x=DELETE"), 400},
		{"_method in a multipart form", multi, part("_method"), 400},
		{"a multipart body that does not parse", multi, []byte("--b\r\nno end"), 400},
		{"_method in a body with no type", http.Header{}, []byte("_method=DELETE"), 400},
		{"_method as a JSON member", http.Header{"Content-Type": {"application/json"}}, []byte(`{"_method":"DELETE"}`), 400},
		{"an escaped _method as a JSON member", http.Header{"Content-Type": {"text/plain"}}, []byte(`{"_\u006dethod":"DELETE"}`), 400},
		{"x-http-method-override as a JSON member", http.Header{"Content-Type": {"application/json"}}, []byte(`{"x-http-method-override":"DELETE"}`), 400},
		{"two boundaries", http.Header{"Content-Type": {"multipart/form-data; boundary=b; boundary=c"}}, []byte("--c\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--c--\r\n"), 400},
		{"a part named twice", multi, []byte("--b\r\nContent-Disposition: form-data; name=\"_method\"; name=\"x\"\r\n\r\nDELETE\r\n--b--\r\n"), 400},
		{"_method in multipart/mixed", http.Header{"Content-Type": {"multipart/mixed; boundary=b"}}, part("_method"), 400},
		{"a JSON body without one", http.Header{"Content-Type": {"application/json"}}, []byte(`{"name":"web","method":"card"}`), 200},
		{"a form without one", form, []byte("name=web&method=card"), 200},
		{"a multipart form without one", multi, part("file"), 200},
	} {
		before := e.prov.count()
		status, body := e.sendRaw(t, e.stage, "POST", "/u/fly-staging/apps/a/volumes", c.header, c.body)
		if status != c.want || (c.want != 200) != (e.prov.count() == before) {
			t.Errorf("%s: HTTP %d (want %d) %v; reached the provider: %v", c.name, status, c.want, body, e.prov.count() != before)
		}
	}
}

// GraphQL sent to a REST upstream is seen in every body that carries it:
// JSON, a form, a multipart upload's operations part, a bare document.
func TestGraphQLInAnyBodyIsSeen(t *testing.T) {
	const m = `mutation { deleteApp(appId: "a") { id } }`
	for body, want := range map[string]bool{
		`{"query":"mutation { deleteApp(appId: \"a\") { id } }"}`:                           true,
		"query=" + url.QueryEscape(m):                                                       true,
		"Query=" + url.QueryEscape(m):                                                       true,
		"operations=" + url.QueryEscape(`{"query":"`+m+`"}`):                                true,
		"--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--b--\r\n": true,
		m:                         true,
		"query Q { apps { id } }": true,
		`{"operationName":"DeleteApp","extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}`: true,
		`{"name":"web","method":"card"}`: false,
		"name=web&method=card":           false,
		"hello world":                    false,
		"":                               false,
	} {
		if got := graphqlLike("/apps", nil, []byte(body)); got != want {
			t.Errorf("%q: %v, want %v", body, got, want)
		}
	}
}
