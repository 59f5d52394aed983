package shell

import (
	"regexp"
	"strings"
)

// Endpoints that act on a GET: an admin API that deletes or deploys by its
// query, a JMX bridge that runs operations, a framework's dump of its
// memory or environment, and the endpoint a managed identity's tokens
// come from.
var (
	getDeletes   = regexp.MustCompile(`(?i)[?&](?:action|command|cmd|op)=(?:delete\w*|stop|unload|purge\w*|remove\w*|forceleader|restore)\b|/manager/(?:text|html)/(?:undeploy|stop|expire)\b|/_?(?:drop|delete|truncate|purge)(?:/|\?|$)|/_?shutdown\b|/-/quit\b|/agent/leave\b|/operator/raft/remove-peer\b`)
	getRunsCode  = regexp.MustCompile(`(?i)/manager/(?:text|html)/deploy\b|/jolokia/.*?(?:exec|write)/|[?&]invoke=|/actuator/(?:restart|loggers|env)\b|/script(?:Text)?\?|/console/|:10250/(?:run|exec|attach)/`)
	getSecrets   = regexp.MustCompile(`(?i)/actuator/(?:heapdump|threaddump|env|configprops)\b|/debug/pprof/heap\b|/jmx\b`)
	pathParams   = regexp.MustCompile(`;[^/]*`)
	identityVars = regexp.MustCompile(`\$\{?(?:IDENTITY_ENDPOINT|MSI_ENDPOINT|IDENTITY_HEADER|MSI_SECRET|ACTIONS_ID_TOKEN_REQUEST_URL|ACTIONS_ID_TOKEN_REQUEST_TOKEN)\b`)
)

// getEffects judges a request whose effect is in its URL, whatever its
// method.
func (w *walker) getEffects(c *call, r request) {
	// Path parameters (actuator;/heapdump) are dropped by the servers that
	// route on the rest.
	target := r.url.Host + pathParams.ReplaceAllString(r.url.Path, "") + "?" + r.url.RawQuery
	switch {
	case getDeletes.MatchString(target):
		w.add("http.delete-endpoint", destructive, c.name+" calls "+r.url.Path+", which deletes or stops what its query names")
		w.target(r.url.Host + r.url.Path)
	case getRunsCode.MatchString(target):
		w.add("http.admin-endpoint", unknown, c.name+" calls "+r.url.Path+", an administration endpoint that deploys or runs what it is given")
	case getSecrets.MatchString(target):
		w.add("creds.heap-dump", credential, c.name+" fetches "+r.url.Path+", a dump of a process's memory or environment, its secrets included")
	}
	for _, a := range c.args {
		if identityVars.MatchString(a.s) || len(a.vars) > 0 && identityVars.MatchString("$"+strings.Join(a.vars, " $")) {
			w.add("creds.instance-metadata", credential, c.name+" asks the managed identity endpoint for a token ("+a.s+")")
			return
		}
	}
}
