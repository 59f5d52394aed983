package shell

import (
	"path"
	"slices"
	"strings"
)

// An upload replaces whatever the destination held. Putting real data there
// is a deploy or a backup; putting nothing there (an empty standard input,
// /dev/null, a file that is empty, or one this line just emptied) empties
// the stored object, whichever tool carries it. So every uploader is read
// for where its content comes from, and the content is judged, not the
// tool's name.

// stdinPaths name the uploader's standard input.
var stdinPaths = []string{"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"}

// junkDevices give nothing, or bytes that are not data.
var junkDevices = []string{"/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/full"}

// uploadSources returns the arguments whose content c stores remotely, and
// whether c is an upload at all. stdin reports an uploader that always
// reads standard input (rclone rcat, mc pipe).
func uploadSources(c *call) (srcs []arg, stdin, ok bool) {
	// cpLike: SOURCE... DEST after n subcommand words, DEST remote.
	cpLike := func(n int, remote func(string) bool) ([]arg, bool, bool) {
		ops := c.operands(n)
		if len(ops) < 2 || ops[len(ops)-1].dyn || !remote(ops[len(ops)-1].s) {
			return nil, false, false
		}
		var out []arg
		for _, p := range ops[:len(ops)-1] {
			if !p.afterFlag {
				out = append(out, p.arg)
			}
		}
		return out, false, true
	}
	values := func(names ...string) []arg { return optionValues(c, names...) }
	switch c.name {
	case "aws":
		if c.sub("s3", "cp") || c.sub("s3", "mv") {
			return cpLike(2, func(s string) bool { return strings.HasPrefix(s, "s3://") })
		}
		if c.sub("s3api", "put-object") || c.sub("s3api", "upload-part") {
			return values("--body"), false, true
		}
	case "gsutil", "gcloud":
		n := 1
		if c.name == "gcloud" {
			if !c.sub("storage", "cp") && !c.sub("storage", "mv") {
				return nil, false, false
			}
			n = 2
		} else if !c.sub("cp") && !c.sub("mv") {
			return nil, false, false
		}
		return cpLike(n, func(s string) bool { return strings.HasPrefix(s, "gs://") || strings.HasPrefix(s, "s3://") })
	case "mc":
		if c.sub("pipe") {
			return nil, true, true
		}
		if c.sub("cp") || c.sub("mv") || c.sub("put") {
			return cpLike(1, func(s string) bool { return strings.Contains(s, "/") })
		}
	case "s3cmd":
		if c.sub("put") || c.sub("mv") {
			return cpLike(1, func(s string) bool { return strings.HasPrefix(s, "s3://") })
		}
	case "rclone":
		if c.sub("rcat") {
			return nil, true, true
		}
		if c.sub("copyto") || c.sub("copy") || c.sub("moveto") || c.sub("move") {
			return cpLike(1, hostPath)
		}
	case "azcopy":
		if c.sub("copy") || c.sub("cp") {
			return cpLike(1, func(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") })
		}
	case "az":
		if c.sub("storage", "blob", "upload") || c.sub("storage", "file", "upload") || c.sub("storage", "fs", "file", "upload") {
			srcs = values("--file", "-f", "--source", "-s")
			if d, ok := c.flagValue("--data"); ok && strings.TrimSpace(d) == "" {
				srcs = append(srcs, arg{s: "/dev/null"})
			}
			return srcs, false, true
		}
	case "oci":
		if c.sub("os", "object", "put") {
			return values("--file"), false, true
		}
	case "wrangler":
		if c.sub("r2", "object", "put") {
			return values("--file", "-f"), c.has("--pipe", "-p"), true
		}
	case "b2":
		if c.sub("upload-file") || c.sub("file", "upload") {
			n := 1
			if c.sub("file", "upload") {
				n = 2
			}
			if ops := c.operands(n); len(ops) >= 2 {
				return []arg{ops[1].arg}, false, true
			}
		}
	case "hdfs", "hadoop":
		return hdfsPut(c)
	case "scp", "rsync":
		return cpLike(0, hostPath)
	case "kubectl", "docker", "podman", "oc":
		if c.sub("cp") || c.sub("container", "cp") {
			n := 1
			if c.sub("container", "cp") {
				n = 2
			}
			return cpLike(n, hostPath)
		}
	case "curl":
		return values("-T", "--upload-file"), false, len(values("-T", "--upload-file")) > 0
	}
	return nil, false, false
}

// hostPath: host:path, remote:path, pod:path, not a local path that holds a
// colon after a slash.
func hostPath(s string) bool {
	i := strings.IndexByte(s, ':')
	return i > 0 && !strings.Contains(s[:i], "/") || strings.HasPrefix(s, "rsync://")
}

// hdfsPut reads hdfs dfs -put -f SRC... DST (and -copyFromLocal,
// -moveFromLocal): without -f an existing file is not replaced.
func hdfsPut(c *call) ([]arg, bool, bool) {
	for i, a := range c.args {
		if a.s != "-put" && a.s != "-copyFromLocal" && a.s != "-moveFromLocal" {
			continue
		}
		var ops []arg
		force := false
		for _, b := range c.args[i+1:] {
			switch {
			case b.s == "-f":
				force = true
			case strings.HasPrefix(b.s, "-") && len(b.s) > 1 && !b.dyn:
			default:
				ops = append(ops, b)
			}
		}
		if !force || len(ops) < 2 {
			return nil, false, false
		}
		return ops[:len(ops)-1], false, true
	}
	return nil, false, false
}

// remoteOverwrite holds an upload whose content is nothing.
func (w *walker) remoteOverwrite(c *call, in input) {
	srcs, stdin, ok := uploadSources(c)
	if !ok {
		return
	}
	if stdin {
		srcs = append(srcs, arg{s: "-"})
	}
	for _, s := range srcs {
		if what, empty := w.nothingIn(s, in); empty {
			w.add("cloud.overwrite-with-nothing", destructive, c.name+" stores "+what+" over the destination: the object it replaces is emptied")
			return
		}
	}
}

// nothingIn reports whether an upload's source holds no data, and what it is.
func (w *walker) nothingIn(s arg, in input) (string, bool) {
	if s.dyn {
		return "", false
	}
	p := s.s
	if strings.HasPrefix(p, "/") {
		p = path.Clean(p) // //dev/null, /dev/./null, /dev/../dev/null
	}
	if strings.ContainsAny(p, "*?[") {
		for _, d := range junkDevices {
			if globMatch(p, d) {
				p = d
			}
		}
	}
	switch {
	case slices.Contains(stdinPaths, p):
		if !in.present {
			return "standard input, which nothing feeds", true
		}
		if in.known && strings.TrimSpace(in.text) == "" {
			return "empty standard input (from " + in.from + ")", true
		}
		return "", false
	case slices.Contains(junkDevices, p):
		return p, true
	}
	if text, st := w.readScript(s.s); st == fileKnown && strings.TrimSpace(text) == "" {
		return "the empty file " + s.s, true
	}
	return "", false
}
