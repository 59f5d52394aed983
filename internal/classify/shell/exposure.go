package shell

import (
	"regexp"
	"slices"
	"strings"
)

// Who may reach a cloud resource is changed by a value, not a verb: a
// grant to everyone (allUsers, Group=all, public-read, Principal "*",
// 0.0.0.0/0) publishes data; a policy that denies, or one that replaces
// the whole of another, locks its users out. So the values a cloud CLI is
// given, and the policy files it is pointed at (file://), are read.

var cloudCLIs = []string{"aws", "gcloud", "gsutil", "az", "oci", "doctl", "linode-cli", "ibmcloud", "aliyun", "scw", "hcloud"}

var everyone = regexp.MustCompile(`(?i)\ball(?:Authenticated)?Users\b|acs\.amazonaws\.com/groups/global/|\bGroup=all\b|"Group"\s*:\s*"all"|\bpublic-read(?:-write)?\b|\bauthenticated-read\b|"Principal"\s*:\s*(?:"\*"|\{\s*"AWS"\s*:\s*"\*"\s*\})|\bPrincipal=\*|\b0\.0\.0\.0/0\b|(?:^|[\s"'=])::/0\b|\b(?:BlockPublicAcls|IgnorePublicAcls|BlockPublicPolicy|RestrictPublicBuckets)"?\s*[=:]\s*"?false`)

var denies = regexp.MustCompile(`(?i)"Effect"\s*:\s*"Deny"|\bEffect=Deny\b`)

// policyText is everything c is given, with the policy files it names.
func (w *walker) policyText(c *call) string {
	var b strings.Builder
	for _, a := range c.args {
		b.WriteString(a.s)
		b.WriteByte('\n')
		for _, pre := range []string{"file://", "fileb://", "@"} {
			if p, ok := strings.CutPrefix(a.s, pre); ok && !a.dyn {
				if text, ok := w.readWorkspace(p); ok {
					b.WriteString(text)
					b.WriteByte('\n')
				}
			}
		}
	}
	return b.String()
}

// readsOnly: a describe, get, list or show subcommand.
func readsOnly(c *call) bool {
	for i := 0; i < 4; i++ {
		s := strings.ToLower(c.subAt(i))
		for _, r := range []string{"describe", "get", "list", "show", "ls", "lookup", "test", "validate", "simulate"} {
			if s == r || strings.HasPrefix(s, r+"-") {
				return true
			}
		}
	}
	return false
}

func (w *walker) cloudAccess(c *call) {
	if !slices.Contains(cloudCLIs, c.name) || readsOnly(c) {
		return
	}
	text := w.policyText(c)
	joined := strings.ToLower(strings.Join([]string{c.subAt(0), c.subAt(1), c.subAt(2), c.subAt(3)}, " "))
	switch {
	case c.name == "aws" && (c.sub("kms", "put-key-policy") || c.sub("iam", "update-assume-role-policy")),
		strings.Contains(joined, "set-iam-policy") || c.name == "gsutil" && c.sub("iam", "set"):
		w.add("cloud.lockout", destructive, c.name+" replaces a whole access policy: whoever it leaves out loses access (a key policy without its administrators cannot be undone)")
	case denies.MatchString(text) && strings.Contains(joined, "polic"):
		w.add("cloud.lockout", destructive, c.name+" sets a policy that denies: whoever it covers is locked out, possibly the account's administrators")
	case publicGrant(c, text, joined):
		w.add("ops.expose", destructive, c.name+" opens a resource to everyone: "+exposureWhat(c, text))
	}
}

func publicGrant(c *call, text, joined string) bool {
	if v, ok := c.flagValue("--values-to-add"); ok && strings.EqualFold(v, "all") {
		return true // rds snapshot attributes: restorable by any account
	}
	if v, ok := c.flagValue("--group-names"); ok && strings.EqualFold(v, "all") {
		return true // ec2 snapshot and image permissions
	}
	if v, ok := c.flagValue("--principal"); ok && v == "*" {
		return true // lambda add-permission
	}
	if v, ok := c.flagValue("--public-access"); ok && (v == "blob" || v == "container") {
		return true
	}
	if v, ok := c.flagValue("--allow-blob-public-access"); ok && strings.EqualFold(v, "true") {
		return true
	}
	if v, ok := c.flagValue("--end-ip-address"); ok && v == "255.255.255.255" {
		return true
	}
	if !everyone.MatchString(text) {
		return false
	}
	if c.name == "aws" && c.sub("s3") {
		// aws s3 cp|sync ./site s3://b --acl public-read publishes the
		// workspace's own files; from s3:// it publishes stored ones.
		if ops := c.operands(2); len(ops) > 0 && !strings.HasPrefix(ops[0].s, "s3://") {
			return false
		}
	}
	if m := everyone.FindString(text); strings.Contains(m, "/0") {
		// The world is every network: outbound rules, and a web server's
		// ports, are what it is for.
		if strings.Contains(joined, "egress") {
			return false
		}
		if p, ok := c.flagValue("--port"); ok && (p == "80" || p == "443" || p == "80-80" || p == "443-443") {
			return false
		}
		if a, ok := c.flagValue("--allow", "--rules"); ok && webPortsOnly(a) {
			return false // gcloud compute firewall-rules create web --allow tcp:80,tcp:443
		}
	}
	return true
}

func webPortsOnly(rules string) bool {
	for _, r := range strings.Split(rules, ",") {
		if r != "tcp:80" && r != "tcp:443" {
			return false
		}
	}
	return true
}

func exposureWhat(c *call, text string) string {
	if m := everyone.FindString(text); m != "" {
		return strings.TrimSpace(m)
	}
	return strings.Join([]string{c.subAt(0), c.subAt(1)}, " ")
}
