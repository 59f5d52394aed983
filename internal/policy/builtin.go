package policy

import "github.com/chaperone/chaperone/internal/config"

// builtinRules is the default policy. It is ordinary CEL so that it runs
// through exactly the same engine as configured rules.
var builtinRules = []config.Rule{
	{Name: "builtin.environment", When: `action.placements.exists(p, p.env.lowerAscii() != env.name.lowerAscii())`, Decision: "deny",
		Reason: "a target lives in another environment than the one this token is scoped to"},
	{Name: "builtin.credential-access", When: `action.class == "credential_access"`, Decision: "deny",
		Reason: "reading credentials is how an agent finds a token it was never meant to hold"},
	{Name: "builtin.destructive", When: `action.class == "destructive"`, Decision: "approve", Approvals: 1,
		Reason: "destructive actions wait for a human to approve them"},
	{Name: "builtin.unknown", When: `action.class == "unknown"`, Decision: "approve", Approvals: 1,
		Reason: "Chaperone cannot tell what this does, so a human must look (fail closed)"},
	{Name: "builtin.write-protected", When: `action.class == "write" && env.protected`, Decision: "approve", Approvals: 1,
		Reason: "writes to a protected environment wait for a human to approve them"},
	{Name: "builtin.write", When: `action.class == "write"`, Decision: "allow",
		Reason: "writes outside protected environments are allowed"},
	{Name: "builtin.read", When: `action.class == "read"`, Decision: "allow",
		Reason: "reads are allowed"},
}

// NoMatchRule decides when no rule matched: fail closed.
const NoMatchRule = "default.no-match"
