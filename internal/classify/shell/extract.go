package shell

import (
	"os"
	"path"
	"path/filepath"
	"strings"
)

func evalRoot(p string) (string, error) { return filepath.EvalSymlinks(p) }

// maxExtractScan bounds the entries of a directory looked through for
// links before an extraction into it.
const maxExtractScan = 2000

// extractsThroughLinks judges an archive unpacked where a link to a
// directory outside the workspace stands: a member named link/file is
// written into the link's target (ln -s ../victim v && tar xf a.tar
// with v/x in it overwrites ../victim/x). A link this line makes is
// followed as surely as the line is read; one already there is unknown,
// since the archive's member names are not read here.
func (w *walker) extractsThroughLinks(c *call) {
	var dirs []arg
	switch c.name {
	case "tar", "gtar", "bsdtar":
		if !tarExtracts(c) || c.has("-O", "--to-stdout", "--to-command") || oldStyleTar(c, 'O') {
			return
		}
		dirs = optionValues(c, "-C", "--directory", "--cd")
	case "unzip":
		if c.has("-l", "-t", "-v", "-Z", "-p", "-c") || shortBundle(c, 'l') || shortBundle(c, 'p') {
			return
		}
		dirs = optionValues(c, "-d")
	case "7z", "7za", "7zz", "cpio", "bsdcpio", "pax", "unrar":
		dirs = nil // into where they run, as below
	default:
		return
	}
	if len(dirs) == 0 {
		dirs = []arg{{s: "."}}
	}
	for _, d := range dirs {
		if d.dyn {
			continue // judged as an extraction elsewhere
		}
		l := w.logical(d.s)
		if l == "" {
			continue
		}
		for link, t := range w.links.made {
			if !under(link, l) {
				continue
			}
			if t == "" || strings.HasPrefix(t, "/") && !isTemp(t) || strings.HasPrefix(t, "~") || strings.HasPrefix(t, "..") {
				w.add("fs.extract-outside-workspace", destructive, c.name+" unpacks into "+d.s+", where this line links "+link+" to "+orUnknown(t)+": members under it land there")
				w.target(t)
				return
			}
		}
		if p := w.linkOutside(d.s); p != "" {
			w.add("fs.extract-through-link", unknown, c.name+" unpacks into "+d.s+", where "+p+" links outside the workspace: a member under it would land there")
			return
		}
		if w.scope != nil && w.scope.loops > 0 {
			// In a loop it runs again, after its own earlier rounds.
			w.add("fs.extract-through-link", unknown, c.name+" unpacks into "+d.s+" in a loop: an archive of an earlier round may have put a link leading anywhere")
			return
		}
		for e := range w.extracted {
			if under(e, l) || under(l, e) {
				w.add("fs.extract-through-link", unknown, c.name+" unpacks into "+d.s+", where an archive this line unpacks first may have put a link leading anywhere")
				return
			}
		}
		if w.extracted == nil {
			w.extracted = map[string]bool{}
		}
		w.extracted[l] = true
	}
}

// under: place p is l or inside it (logical places).
func under(p, l string) bool {
	if l == "." || l == "" {
		return !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "~") && !strings.HasPrefix(p, "..")
	}
	return p == l || strings.HasPrefix(p, strings.TrimSuffix(l, "/")+"/")
}

func orUnknown(t string) string {
	if t == "" {
		return "a place only known at run time"
	}
	return t
}

// linkOutside returns the first entry of dir that is a link to a
// directory outside the workspace, or "".
func (w *walker) linkOutside(dir string) string {
	full := w.resolve(dir)
	if full == "" || w.ws.root == "" {
		return ""
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		return ""
	}
	root, _ := evalRoot(w.ws.root)
	for i, e := range entries {
		if i >= maxExtractScan {
			return ""
		}
		if e.Type()&os.ModeSymlink == 0 {
			continue
		}
		p := path.Join(full, e.Name())
		t, err := evalRoot(p)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(t); err != nil || !fi.IsDir() {
			continue // a file: tar replaces the link, it does not write through it
		}
		if !strings.HasPrefix(t+"/", root+"/") && !isTemp(t) {
			return path.Join(dir, e.Name())
		}
	}
	return ""
}
