// Package rest classifies REST API requests by method and path template.
// A provider profile lists its endpoints; a request no rule names falls
// back to the generic reading of its method (GET/HEAD/OPTIONS read,
// POST/PUT/PATCH write, DELETE destructive, anything else unknown).
package rest

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
)

// Request is what a rule sees. Path is cleaned and relative to the
// upstream's base URL ("/apps/web/machines/abc").
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Body   []byte
	// Params are the path template's {placeholders}, filled in by the match.
	Params map[string]string
}

// Rule is one endpoint of a profile.
type Rule struct {
	Method string
	Path   string // a template: "/apps/{app}/machines/{machine}"
	Class  action.Class
	ID     string
	// Message says what the endpoint does; {name} is replaced by the path
	// parameter of that name.
	Message string
	// Judge, when set, reads the request further; what it returns is added.
	Judge func(Request) []action.Reason
}

// Profile is a provider's REST API.
type Profile struct {
	Name  string
	Rules []Rule
	// Listed: the rules name every endpoint Chaperone lets change state
	// without a look; a POST, PUT or PATCH to any other path is unknown
	// (an endpoint Chaperone has not read may kill or destroy: Fly's
	// machine signal), not a plain write.
	Listed bool
	// Always, when set, reads every request as well (a query parameter
	// that asks for secrets' values, on any path).
	Always func(Request) []action.Reason
}

// Profiles are the shipped REST profiles, by provider name.
var Profiles = map[string]Profile{Generic.Name: Generic, Fly.Name: Fly}

// For returns the provider's profile, or the generic one.
func For(provider string) Profile {
	if p, ok := Profiles[provider]; ok {
		return p
	}
	return Generic
}

// Generic has no endpoints of its own: every request is judged by method.
var Generic = Profile{Name: "generic"}

// Classify judges r: by the first rule whose method and template match,
// else by its method.
func (p Profile) Classify(r Request) []action.Reason {
	out := p.classify(r)
	if p.Always != nil {
		out = append(out, p.Always(r)...)
	}
	return out
}

func (p Profile) classify(r Request) []action.Reason {
	for _, rule := range p.Rules {
		params, ok := match(rule.Path, r.Path)
		if !ok || !strings.EqualFold(rule.Method, r.Method) {
			continue
		}
		r.Params = params
		msg := rule.Message
		for k, v := range params {
			msg = strings.ReplaceAll(msg, "{"+k+"}", v)
		}
		var out []action.Reason
		if rule.Class != action.ClassRead {
			out = append(out, action.Reason{ID: rule.ID, Class: rule.Class, Message: msg})
		}
		if rule.Judge != nil {
			out = append(out, rule.Judge(r)...)
		}
		return out
	}
	if m := strings.ToUpper(r.Method); p.Listed && (m == "POST" || m == "PUT" || m == "PATCH") {
		return []action.Reason{{ID: "http.unlisted", Class: action.ClassUnknown,
			Message: fmt.Sprintf("%s %s is not an endpoint of %s's API that Chaperone knows, so what it changes is unknown", r.Method, r.Path, p.Name)}}
	}
	return ByMethod(r.Method, r.Path)
}

// ByMethod is the generic reading of a request.
func ByMethod(method, path string) []action.Reason {
	switch strings.ToUpper(method) {
	case "GET", "HEAD", "OPTIONS":
		return nil
	case "POST", "PUT", "PATCH":
		return []action.Reason{{ID: "http.write", Class: action.ClassWrite, Message: method + " " + path + " changes provider state"}}
	case "DELETE":
		return []action.Reason{{ID: "http.delete", Class: action.ClassDestructive, Message: "DELETE " + path + " deletes a resource"}}
	}
	return []action.Reason{{ID: "http.method", Class: action.ClassUnknown, Message: fmt.Sprintf("the method %q is not one Chaperone knows", method)}}
}

// match fills a template's {placeholders} from path, segment by segment.
func match(template, path string) (map[string]string, bool) {
	ts := strings.Split(strings.Trim(template, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return nil, false
	}
	var params map[string]string
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if ps[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[t[1:len(t)-1]] = ps[i]
			continue
		}
		// Literal segments match in any case: a router may ignore it.
		if !strings.EqualFold(t, ps[i]) {
			return nil, false
		}
	}
	return params, true
}
