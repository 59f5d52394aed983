package shell

import (
	"path"
	"regexp"
	"strconv"
	"strings"
)

// A patch names the files it changes itself: `patch -p0 < x.patch` with
// `--- /etc/hosts` or `+++ b/../../var/lib/app/prod.db` edits (or, to
// /dev/null, deletes) a file outside the workspace whatever directory it
// runs in. So the patch is read, wherever patch takes it from, and each
// file it names is placed as patch would place it.

// patchHeader: the file lines of unified and context diffs.
var patchHeader = regexp.MustCompile(`(?m)^(?:\+\+\+|---|\*\*\*) ([^\t\n]+)`)

func (w *walker) patchContent(c *call, in input) {
	if c.name == "git" && c.sub("apply") && c.has("--unsafe-paths") && !c.has("--check", "--stat", "--numstat", "--summary") {
		// git apply refuses paths outside the work tree unless told.
		w.add("fs.edit-outside-workspace", destructive, "git apply --unsafe-paths applies a patch to paths outside the work tree")
		return
	}
	if c.name != "patch" && c.name != "gpatch" || c.has("--dry-run", "-C", "--check") {
		return
	}
	var text string
	var known bool
	switch ins := optionValues(c, "-i", "--input"); {
	case len(ins) > 0:
		text, known = w.readWorkspace(ins[0].s)
		known = known && !ins[0].dyn
	case len(patchOperands(c)) > 1:
		f := patchOperands(c)[1]
		text, known = w.readWorkspace(f.s)
		known = known && !f.dyn
	default:
		text, known = in.text, in.present && in.known
	}
	if !known {
		return // where it lands is judged by -d and ORIGFILE (patchesOutside)
	}
	strip := -1 // no -p: patch takes the name as the diff gives it, or its base name
	if v, ok := c.flagValue("-p", "--strip"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			strip = n
		}
	}
	for _, m := range patchHeader.FindAllStringSubmatch(text, -1) {
		name := strings.TrimSpace(m[1])
		if name == "/dev/null" || strings.HasPrefix(name, "*") || strings.HasPrefix(name, "-") {
			continue
		}
		if strings.HasPrefix(name, `"`) {
			name = strings.Trim(name, `"`)
		}
		placed := stripComponents(name, strip)
		if strings.HasPrefix(placed, "/") || placed == ".." || strings.HasPrefix(path.Clean(placed), "../") || strings.HasPrefix(placed, "~") || gitInternal(placed) {
			w.add("fs.edit-outside-workspace", destructive, c.name+" applies a patch that changes "+name+", outside the workspace (or in .git)")
			w.target(name)
			return
		}
	}
}

// stripComponents removes n leading directories, as patch -pN does.
func stripComponents(name string, n int) string {
	if n < 0 {
		return name
	}
	for i := 0; i < n; i++ {
		j := strings.IndexByte(name, '/')
		if j < 0 {
			return name
		}
		name = strings.TrimLeft(name[j+1:], "/")
	}
	return name
}
