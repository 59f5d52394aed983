// Package scan finds credentials an agent could read in a workspace, with
// gitleaks' rules (used as a library) and Chaperone's own list of credential
// files, and says which are broad enough to reach more than one environment.
package scan

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/zricethezav/gitleaks/v8/detect"

	"github.com/chaperone/chaperone/internal/classify/shell"
)

// Finding is one credential an agent could read. The secret itself is never
// kept: only a redacted preview.
type Finding struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Rule    string `json:"rule"`
	What    string `json:"what"`
	Preview string `json:"preview"`
	Broad   bool   `json:"broad"`
	Advice  string `json:"advice"`
}

// MaxFile is the largest file read; larger ones are rarely where a token sits.
const MaxFile = 2 << 20

var skipDirs = []string{".git", "node_modules", "vendor", ".venv", "venv", "__pycache__", "dist", "build", "target", ".next", ".terraform", ".cache"}

// Dir scans every regular file under root.
func Dir(root string) ([]Finding, error) {
	det, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		return nil, err
	}
	var out []Finding
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable: an agent cannot read it either
		}
		if d.IsDir() {
			if path != root && slices.Contains(skipDirs, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > MaxFile {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil || bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
			return nil // unreadable or binary
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, fileFindings(det, rel, data)...)
		return nil
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, err
}

func fileFindings(det *detect.Detector, rel string, data []byte) []Finding {
	var out []Finding
	seen := map[int]bool{}
	for _, f := range det.DetectBytes(data) {
		seen[f.StartLine+1] = true
		out = append(out, finding(rel, f.StartLine+1, f.RuleID, f.Description, f.Secret, lineAt(data, f.StartLine)))
	}
	// Credential files: every secret-named assignment, which generic rules
	// miss when the value looks plain (a UUID token, a short password).
	if isCredentialFile(rel) {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for n := 1; sc.Scan(); n++ {
			name, value, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "), "=")
			value = strings.Trim(strings.TrimSpace(value), `"'`)
			if ok && value != "" && !seen[n] && shell.SecretName(strings.TrimSpace(name)) {
				out = append(out, finding(rel, n, "chaperone.env-secret", "secret-named variable "+strings.TrimSpace(name), value, sc.Text()))
			}
		}
	}
	return out
}

func lineAt(data []byte, i int) string {
	lines := bytes.SplitN(data, []byte("\n"), i+2)
	if i < len(lines) {
		return string(lines[i])
	}
	return ""
}

func isCredentialFile(rel string) bool {
	base := filepath.Base(rel)
	return base == ".env" || strings.HasPrefix(base, ".env.") && shell.IsSecretPath(rel) || base == ".envrc"
}

func finding(file string, line int, rule, what, secret, text string) Finding {
	broad, advice := breadth(rule, text)
	return Finding{File: file, Line: line, Rule: rule, What: what, Preview: redact(secret), Broad: broad, Advice: advice}
}

// redact keeps enough to recognise a secret and never enough to use it.
func redact(s string) string {
	if len(s) <= 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + strings.Repeat("*", min(len(s)-4, 12))
}

// broadRules are tokens that act for a whole account or team, not one
// project in one environment.
var broadRules = map[string]string{
	"aws-access-token":    "an AWS access key acts with its IAM user's rights across every environment the account holds",
	"github-pat":          "a classic GitHub token acts as its user on every repository they can reach",
	"github-oauth":        "a GitHub OAuth token acts as its user",
	"heroku-api-key":      "a Heroku API key acts for the whole account",
	"heroku-api-key-v2":   "a Heroku API key acts for the whole account",
	"digitalocean-pat":    "a DigitalOcean token acts for the whole team",
	"flyio-access-token":  "a Fly.io access token can act on every app in the organisation",
	"gcp-service-account": "a service account key acts with every role granted to it, often project- or org-wide",
	"stripe-access-token": "a Stripe secret key acts for the whole account",
}

func breadth(rule, text string) (bool, string) {
	behind := "keep it out of the workspace: export it in Chaperone's environment only, reference it from chaperone.yaml as ${VAR}, and give the agent a chp_ token scoped to one environment instead"
	upper := strings.ToUpper(text)
	if why, ok := broadRules[rule]; ok {
		return true, why + "; " + behind
	}
	switch {
	case strings.Contains(upper, "RAILWAY_TOKEN") || strings.Contains(upper, "RAILWAY_API_TOKEN"):
		return true, "a Railway account or team token reaches every project and environment, production included; " + behind
	case strings.Contains(upper, "PROJECT_TOKEN") || strings.Contains(upper, "RAILWAY_PROJECT"):
		return false, "a project token still reaches every environment of its project unless scoped to one; " + behind
	case strings.Contains(upper, "DATABASE_URL") || strings.Contains(upper, "_DSN") || strings.Contains(upper, "POSTGRES"):
		return false, "a database credential: put the database behind Chaperone's PostgreSQL gateway as an upstream; " + behind
	}
	return false, behind
}
