package shell

import "strings"

func init() { register(downloadsPack) }

// downloadsPack: tools that copy from elsewhere (another host, a
// container, a pod, a bucket, a release) or render into a local file named
// last on their command line, or by an option: outside the workspace they
// overwrite what is there (scp host:x ~/.bashrc, aws s3 cp s3://b/x
// /etc/hosts).
var downloadsPack = &Pack{Name: "downloads", Commands: []string{"scp", "docker", "podman", "kubectl", "oc", "aws", "gsutil",
	"gh", "ffmpeg", "convert", "magick", "rsync"}, Rules: []Rule{
	{ID: "fs.overwrite-outside-workspace", When: func(c *call) bool {
		for _, d := range downloadDests(c) {
			if c.lands(d) {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "writes a copied or rendered file over one outside the workspace"},
}}

// downloadDests are the local files or directories a command writes.
func downloadDests(c *call) []arg {
	last := func() []arg {
		if len(c.pos) < 2 {
			return nil
		}
		return []arg{c.pos[len(c.pos)-1].arg}
	}
	remote := func(a arg) bool {
		return strings.Contains(a.s, ":") && !strings.HasPrefix(a.s, "/") && !strings.HasPrefix(a.s, ".")
	}
	switch c.name {
	case "scp", "rsync":
		// A local destination is written whether the source is remote or
		// local (rsync -a src/x /etc/passwd), as by cp; a dry run writes
		// nothing.
		if c.name == "rsync" && c.has("-n", "--dry-run") { // -avn too
			return nil
		}
		if d := last(); d != nil && !remote(d[0]) {
			return d
		}
	case "docker", "podman", "kubectl", "oc":
		if c.sub("cp") || c.sub("container", "cp") {
			if d := last(); d != nil && !remote(d[0]) {
				return d
			}
		}
	case "aws":
		if (c.sub("s3", "cp") || c.sub("s3", "mv") || c.sub("s3", "sync")) && len(c.pos) >= 4 {
			if d := c.pos[len(c.pos)-1].arg; !strings.HasPrefix(d.s, "s3://") && d.s != "-" {
				return []arg{d}
			}
		}
	case "gsutil":
		if (c.sub("cp") || c.sub("mv") || c.sub("rsync") || c.sub("-m", "cp")) && len(c.pos) >= 3 {
			if d := c.pos[len(c.pos)-1].arg; !strings.HasPrefix(d.s, "gs://") && d.s != "-" {
				return []arg{d}
			}
		}
	case "gh":
		if c.sub("release", "download") || c.sub("run", "download") {
			return append(optionValues(c, "-O", "--output"), optionValues(c, "-D", "--dir")...)
		}
	case "ffmpeg":
		if d := last(); d != nil && d[0].s != "-" && !strings.HasPrefix(d[0].s, "pipe:") {
			return d
		}
	case "convert", "magick":
		return last()
	}
	return nil
}
