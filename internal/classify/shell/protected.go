package shell

import (
	"path"
	"path/filepath"
	"strings"
)

// Protected, when set, says what a path is that no command may change (an
// agent's hook settings, the switch that turns hooks off, Chaperone's own
// configuration and state), or "". The hook's judge sets it, so that a
// shell's writes are held where the agent's file tools are.
var Protected func(path string) string

// guarded judges a write, removal or link made at p (as written, from
// where the command runs): changing such a file switches the guard off.
func (w *walker) guarded(p string, dyn bool) {
	if Protected == nil || dyn || p == "" || strings.HasPrefix(p, "$") {
		return
	}
	cands := []string{p}
	if !filepath.IsAbs(p) && !strings.HasPrefix(p, "~") {
		here := path.Join(w.ws.root, w.cwd.here, p)
		if w.ws.root == "" {
			here = "/" + path.Join(w.cwd.here, p)
		}
		cands = append(cands, here, "/"+path.Clean(p))
	}
	for _, c := range cands {
		if why := Protected(c); why != "" {
			w.add("hook.settings-write", credential, p+" is "+why+": changing it switches the guard off")
			w.target(p)
			return
		}
	}
}
