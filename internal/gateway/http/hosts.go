package http

import "slices"

// providerHosts are the API hosts each provider's own clients call. The
// forward proxy intercepts them for an upstream of that provider whose
// config names no hosts of its own.
var providerHosts = map[string][]string{
	"railway": {"backboard.railway.app", "backboard.railway.com"},
	"fly":     {"api.machines.dev"},
}

// ProviderHosts returns the API hosts of provider (none for generic).
func ProviderHosts(provider string) []string { return slices.Clone(providerHosts[provider]) }
