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

var cloudCLIs = []string{"aws", "gcloud", "gsutil", "az", "oci", "doctl", "linode-cli", "ibmcloud", "aliyun", "scw", "hcloud", "mc", "s3cmd", "b2", "rclone", "supabase", "neonctl", "neon", "pscale", "turso", "upstash", "flyctl", "fly", "railway", "vercel", "netlify", "render"}

var everyone = regexp.MustCompile(`(?i)\ball(?:Authenticated)?Users\b|acs\.amazonaws\.com/groups/global/|\bGroup=all\b|"Group"\s*:\s*"all"|\bpublic-read(?:-write)?\b|\bauthenticated-read\b|"Principal"\s*:\s*(?:"\*"|\{\s*"AWS"\s*:\s*"\*"\s*\})|\bPrincipal=\*|\b0\.0\.0\.0/0\b|(?:^|[\s"'=])::/0\b|\b(?:BlockPublicAcls|IgnorePublicAcls|BlockPublicPolicy|RestrictPublicBuckets)"?\s*[=:]\s*"?false`)

// dnsDelete: a change batch that deletes a record (JSON or shorthand).
var dnsDelete = regexp.MustCompile(`(?i)"Action"\s*:\s*"DELETE"|\bAction=DELETE\b`)

var denies = regexp.MustCompile(`(?i)"Effect"\s*:\s*"Deny"|\bEffect=Deny\b|\bdeniedPrincipals\b|\bdenypolicies\b|policy/AWSDenyAll\b|\bDenyAll\b`)

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
	if plansOnly(c) {
		return true
	}
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

// plansOnly: an infrastructure tool that shows what it would change and
// changes nothing (terraform plan, pulumi preview, cdk diff), so that the
// values it is given are a question, not a setting. A plan saved to be
// applied is not one.
func plansOnly(c *call) bool {
	first := strings.ToLower(c.subAt(0))
	switch c.name {
	case "terraform", "tofu", "opentofu", "terragrunt":
		if first == "plan" {
			// A saved plan is applied later without its values: it is
			// judged as the apply it becomes.
			for _, a := range c.args {
				if a.dyn || a.s == "-out" || a.s == "--out" || strings.HasPrefix(a.s, "-out=") || strings.HasPrefix(a.s, "--out=") {
					return false
				}
			}
			return true
		}
		return slices.Contains([]string{"validate", "fmt", "show", "output", "graph", "providers", "version"}, first)
	case "pulumi":
		return (first == "preview" || first == "pre") && !c.has("--save-plan") && !slices.ContainsFunc(c.args, func(a arg) bool { return a.dyn || strings.HasPrefix(a.s, "--save-plan=") }) ||
			first == "config" && strings.ToLower(c.subAt(1)) == "get"
	case "cdk", "cdktf":
		return first == "diff" || first == "synth" || first == "synthesize" || first == "list" || first == "ls"
	}
	return false
}

// openRules: security rules that let anyone read or write (Firestore,
// Storage: allow ... if true; the Realtime Database: ".read": true).
var openRules = regexp.MustCompile(`allow\s+[^;{}]*\b(?:read|write|get|list|create|update|delete)\b[^;{}]*:\s*if\s+true\s*;|allow\s+(?:read|write)[^;:{}]*;|"\.(?:read|write)"\s*:\s*(?:true|"true")`)

// rulesFile: a rules file firebase.json names.
var rulesFile = regexp.MustCompile(`"rules"\s*:\s*"([^"]+)"`)

// firebaseRules judges the security rules a firebase deploy publishes.
func (w *walker) firebaseRules(c *call) {
	if c.name != "firebase" || !c.sub("deploy") {
		return
	}
	conf, ok := w.readWorkspace("firebase.json")
	if !ok {
		return
	}
	var files []string
	for _, m := range rulesFile.FindAllStringSubmatch(conf, -1) {
		files = append(files, m[1])
	}
	for _, f := range files {
		if t, ok := w.readWorkspace(f); ok && openRules.MatchString(t) {
			w.add("ops.expose", destructive, "firebase deploy publishes "+f+", whose rules let anyone read or write: "+strings.TrimSpace(openRules.FindString(t)))
			return
		}
	}
}

func (w *walker) cloudAccess(c *call) {
	w.firebaseRules(c)
	if !slices.Contains(cloudCLIs, c.name) || readsOnly(c) {
		return
	}
	text := w.policyText(c)
	joined := strings.ToLower(strings.Join([]string{c.subAt(0), c.subAt(1), c.subAt(2), c.subAt(3)}, " "))
	switch {
	case c.name == "aws" && (c.sub("kms", "put-key-policy") || c.sub("iam", "update-assume-role-policy")),
		strings.Contains(joined, "set-iam-policy") || c.name == "gsutil" && c.sub("iam", "set"):
		w.add("cloud.lockout", destructive, c.name+" replaces a whole access policy: whoever it leaves out loses access (a key policy without its administrators cannot be undone)")
	case c.name == "aws" && c.sub("route53", "change-resource-record-sets") && dnsDelete.MatchString(text):
		w.add("cloud.dns-delete", destructive, c.name+" deletes DNS records: whatever they named stops resolving")
	case c.name == "aws" && c.sub("dynamodb", "batch-write-item") && strings.Contains(text, "DeleteRequest"):
		w.add("cloud.delete", destructive, c.name+" deletes items in a batch (DeleteRequest)")
	case c.name == "aws" && c.sub("organizations", "attach-policy"):
		w.add("cloud.lockout", destructive, c.name+" attaches an organization policy: what it denies, every account under the target loses, its administrators included")
	case denies.MatchString(text) && (strings.Contains(joined, "polic") || strings.Contains(joined, "permissions-boundary")):
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
	if c.name == "mc" && (c.sub("anonymous", "set") || c.sub("policy", "set")) {
		switch strings.ToLower(c.subAt(2)) {
		case "public", "download", "upload":
			return true // anonymous reads, writes or both
		}
	}
	if (c.name == "s3cmd" && (c.sub("put") || c.sub("sync")) || c.name == "rclone" && (c.sub("copy") || c.sub("sync") || c.sub("move") || c.sub("copyto"))) &&
		len(c.operands(1)) > 0 && !strings.Contains(c.operands(1)[0].s, ":") {
		return false // the workspace's own files published, as aws s3 cp ./site below
	}
	if c.name == "s3cmd" && c.has("--acl-public") || c.name == "b2" && slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "allPublic" }) {
		return true // s3cmd, b2 update-bucket b allPublic
	}
	if v, ok := c.flagValue("--public-access-type"); ok && strings.HasPrefix(strings.ToLower(v), "objectread") {
		return true // oci os bucket
	}
	if v, ok := c.flagValue("--s3-acl", "--gcs-object-acl", "--gcs-bucket-acl"); ok && (strings.HasPrefix(v, "public-read") || v == "publicRead") {
		return true // rclone
	}
	if nsgFromEveryone(c) {
		return true
	}
	if c.name == "aws" && c.has("--publicly-accessible") && !c.has("--no-publicly-accessible") {
		return true // an RDS instance given a public address
	}
	if v, ok := c.flagValue("--public-network-access"); ok && strings.EqualFold(v, "Enabled") {
		return true
	}
	if v, ok := c.flagValue("--default-action"); ok && c.name == "az" && strings.EqualFold(v, "Allow") {
		return true // a storage account's or vault's firewall lets every network in
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

// nsgFromEveryone: an Azure security rule that lets any source in on a
// port other than the web's.
func nsgFromEveryone(c *call) bool {
	if c.name != "az" || !(c.sub("network", "nsg", "rule", "create") || c.sub("network", "nsg", "rule", "update")) {
		return false
	}
	if v, ok := c.flagValue("--access"); ok && strings.EqualFold(v, "Deny") {
		return false
	}
	if v, ok := c.flagValue("--direction"); ok && strings.EqualFold(v, "Outbound") {
		return false
	}
	from := false
	for _, v := range optionValues(c, "--source-address-prefixes", "--source-address-prefix") {
		switch strings.ToLower(strings.Trim(v.s, `"'`)) {
		case "*", "internet", "any", "0.0.0.0/0", "::/0":
			from = true
		}
	}
	if !from {
		return false
	}
	ports := optionValues(c, "--destination-port-ranges", "--destination-port-range")
	return len(ports) == 0 || slices.ContainsFunc(ports, func(v arg) bool { return v.s != "80" && v.s != "443" })
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
