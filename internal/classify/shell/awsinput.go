package shell

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// awsArgs reads the AWS CLI's parameters as the CLI does, wherever they
// are written: --cli-input-json '{"BackupRetentionPeriod":0}' is
// --backup-retention-period 0, and a JSON value ('{"Status":"Suspended"}')
// is also its shorthand (Status=Suspended), so that every rule reading
// options sees them. Input it cannot read now (a file, a variable) is left
// as it is, for cloud.input-unknown.
func awsArgs(args []arg) []arg {
	out := slices.Clip(args) // appends copy, never into the caller's array
	for i, a := range args {
		var text string
		switch {
		case a.dyn:
			continue
		case (a.s == "--cli-input-json") && i+1 < len(args) && !args[i+1].dyn:
			text = args[i+1].s
		case strings.HasPrefix(a.s, "--cli-input-json="):
			text = strings.TrimPrefix(a.s, "--cli-input-json=")
		case strings.HasPrefix(a.s, "{") && i > 0 && strings.HasPrefix(args[i-1].s, "--") && !strings.HasPrefix(args[i-1].s, "--cli-input-"):
			// A structure written as JSON: add its shorthand beside it.
			var m map[string]any
			if json.Unmarshal([]byte(a.s), &m) == nil {
				out = append(out, arg{s: args[i-1].s}, arg{s: shorthand(m)})
			}
			continue
		default:
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(text), &m) != nil {
			continue
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flag := "--" + kebab(k)
			switch v := m[k].(type) {
			case bool:
				if v {
					out = append(out, arg{s: flag})
				} else {
					out = append(out, arg{s: "--no-" + kebab(k)})
				}
			case map[string]any:
				out = append(out, arg{s: flag}, arg{s: shorthand(v)})
			case nil:
			default:
				out = append(out, arg{s: flag}, arg{s: scalar(v)})
			}
		}
	}
	return out
}

// shorthand writes a structure's scalar members as the CLI's shorthand.
func shorthand(m map[string]any) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		if _, nested := v.(map[string]any); !nested {
			parts = append(parts, k+"="+scalar(v))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func scalar(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprint(v)
}

// kebab is an API member's option name: BackupRetentionPeriod ->
// backup-retention-period, DBInstanceIdentifier -> db-instance-identifier.
func kebab(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1])) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// awsFileValues puts in place of a file:// value the text of the file
// where the workspace has it, as the AWS CLI reads it: a setting given by
// file (--versioning-configuration file://v.json) is judged as typed.
func (w *walker) awsFileValues(args []arg) []arg {
	var out []arg
	for _, a := range args {
		prefix, v := "", a.s
		if strings.HasPrefix(v, "--") {
			if k, val, ok := strings.Cut(v, "="); ok {
				prefix, v = k+"=", val
			}
		}
		if p, ok := strings.CutPrefix(v, "file://"); ok && !a.dyn {
			if text, known := w.readWorkspace(p); known && len(text) < 1<<16 {
				a.s = prefix + strings.TrimSpace(text)
			}
		}
		out = append(out, a)
	}
	return out
}
