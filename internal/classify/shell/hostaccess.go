package shell

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// A container or namespace given the host's powers is the host: a
// privileged container mounts any disk, one given the runtime's socket
// starts another with / mounted, and nsenter into PID 1 leaves whatever
// confinement the agent runs in. None of it says "delete", and everything
// after it is out of the guard's sight, so each is held.

// hostAccess is asked before runners and wrappers take the command they
// run: nsenter and kubectl debug are both.
func (w *walker) hostAccess(name string, rest []arg) {
	switch name {
	case "nsenter", "kubectl", "oc", "kubecolor", "lxc", "incus", "ctr", "docker", "podman", "nerdctl":
	default:
		return
	}
	if givesHost(parseCall(name, rest)) {
		w.add("host.escape", destructive, "gives a container or shell the host's powers (its namespaces, disks, the container runtime or a privileged mode): what then runs is out of Chaperone's sight")
	}
}

func givesHost(c *call) bool {
	switch c.name {
	case "nsenter":
		// Entering another process's namespaces: PID 1's are the host's.
		return c.has("-t", "--target", "-a", "--all") || slices.ContainsFunc(c.args, func(a arg) bool { return strings.Contains(a.s, "/proc/") })
	case "kubectl", "oc", "kubecolor":
		if c.sub("debug") {
			p, _ := c.flagValue("--profile")
			return slices.ContainsFunc(c.pos, func(p positional) bool { return strings.HasPrefix(p.s, "node/") || strings.HasPrefix(p.s, "nodes/") }) ||
				p == "sysadmin" || p == "netadmin"
		}
		if c.sub("run") || c.sub("debug") {
			for _, v := range optionValues(c, "--overrides") {
				if hostSpec.MatchString(v.s) {
					return true
				}
			}
		}
		return c.name == "oc" && c.sub("debug") && slices.ContainsFunc(c.pos, func(p positional) bool { return strings.HasPrefix(p.s, "node/") })
	case "lxc", "incus":
		// security.privileged, or a disk device whose source is the host's.
		if c.sub("config", "set") || c.sub("config", "device", "add") || c.sub("launch") || c.sub("init") {
			for _, a := range c.args {
				k, v, _ := strings.Cut(a.s, "=")
				switch {
				case (k == "security.privileged" || k == "security.nesting") && v == "true":
					return true
				case k == "source" && (holdsHostSecrets(v) || hostDevice(v) || runtimeSocket(v)):
					return true
				}
			}
			return c.sub("config", "set") && slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "security.privileged" }) &&
				slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "true" })
		}
	case "ctr":
		return (c.sub("run") || c.sub("container", "create") || c.sub("c", "create")) && (c.has("--privileged") ||
			slices.ContainsFunc(optionValues(c, "--mount"), func(v arg) bool { return hostSource(mountSource(v.s)) }))
	case "docker", "podman", "nerdctl":
		if (c.sub("volume", "create") || c.sub("volume", "c")) && slices.ContainsFunc(optionValues(c, "-o", "--opt"), func(v arg) bool { return strings.Contains(v.s, "bind") }) {
			for _, v := range optionValues(c, "-o", "--opt") {
				if d, ok := strings.CutPrefix(v.s, "device="); ok && hostSource(d) {
					return true
				}
			}
		}
	}
	return false
}

// hostSpec: a pod spec (JSON or YAML) that asks for the host.
var hostSpec = regexp.MustCompile(`["']?(?:privileged|hostPID|hostIPC|hostNetwork)["']?\s*:\s*["']?true|["']?hostPath["']?\s*:`)

// containerHost judges what a docker-like run, create or exec is given of
// the host: the options before the image (after it come the container's
// own command's words).
func (w *walker) containerHost(name string, args []arg) {
	opts := containerOptions(args)
	if opts == nil {
		return
	}
	escape := func(why string) {
		w.add("host.escape", destructive, name+" "+why+": the container can act as the host, out of Chaperone's sight")
	}
	for i := 0; i < len(opts); i++ {
		o := opts[i].s
		val := func() string {
			if _, v, ok := strings.Cut(o, "="); ok {
				return v
			}
			if i+1 < len(opts) {
				return opts[i+1].s
			}
			return ""
		}
		flag, _, _ := strings.Cut(o, "=")
		switch flag {
		case "--privileged":
			if v := val(); !strings.Contains(o, "=") || v != "false" {
				escape("runs it privileged")
			}
		case "--pid", "--userns", "--cgroupns":
			if val() == "host" && flag == "--pid" {
				escape("shares the host's processes")
			}
		case "--cap-add":
			for _, cp := range strings.Split(strings.ToUpper(val()), ",") {
				switch strings.TrimPrefix(cp, "CAP_") {
				case "ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "DAC_READ_SEARCH", "BPF", "PERFMON":
					escape("adds the capability " + cp)
				}
			}
		case "--device":
			if d, _, _ := strings.Cut(val(), ":"); hostDevice(d) {
				escape("gives it the device " + d)
			}
		case "-v", "--volume", "--mount":
			if s := mountSource(val()); runtimeSocket(s) || hostDevice(s) || path.Clean(s) == "/dev" {
				escape("mounts " + s)
			}
		}
		if strings.HasPrefix(o, "-v") && len(o) > 2 && !strings.HasPrefix(o, "--") {
			if s := mountSource(o[2:]); runtimeSocket(s) || hostDevice(s) {
				escape("mounts " + s)
			}
		}
	}
}

// containerOptions: the options of a docker-like run, create or exec,
// up to the image or container they start; nil for other subcommands.
func containerOptions(args []arg) []arg {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i].s, "-") {
		i++ // global options (--context x takes a value, but the subcommand word is what is looked for)
	}
	for i < len(args) && args[i].s != "run" && args[i].s != "create" && args[i].s != "exec" {
		if args[i].s != "container" && !strings.HasPrefix(args[i].s, "-") && i > 0 && !strings.HasPrefix(args[i-1].s, "-") {
			return nil
		}
		i++
	}
	if i == len(args) {
		return nil
	}
	start := i + 1
	for j := start; j < len(args); j++ {
		a := args[j].s
		if !strings.HasPrefix(a, "-") {
			return args[start:j]
		}
		if !strings.Contains(a, "=") && !slices.Contains(dockerBool, a) && j+1 < len(args) {
			j++ // its value
		}
	}
	return args[start:]
}

// mountSource: the host side of -v SRC:DST or --mount type=bind,src=SRC.
func mountSource(v string) string {
	if strings.Contains(v, "source=") || strings.Contains(v, "src=") {
		for _, kv := range strings.Split(v, ",") {
			if k, val, _ := strings.Cut(kv, "="); k == "source" || k == "src" {
				return val
			}
		}
	}
	s, _, _ := strings.Cut(v, ":")
	return s
}

// hostSource: a host path that holds credentials, devices or the runtime.
func hostSource(s string) bool {
	return holdsHostSecrets(s) || isSecretPath(s) || isSecretDir(s) || runtimeSocket(s) || hostDevice(s) || path.Clean(s) == "/dev"
}

// runtimeSocket: a container runtime's API socket, which starts any
// container with any mount.
func runtimeSocket(s string) bool {
	switch path.Base(s) {
	case "docker.sock", "containerd.sock", "podman.sock", "crio.sock", "cri-dockerd.sock", "buildkitd.sock", "dockershim.sock", "incus.sock", "lxd.sock", "unix.socket":
		return true
	}
	c := path.Clean(s)
	return c == "/run/containerd" || c == "/run/docker" || c == "/var/run/docker" || c == "/run/podman" || c == "/var/lib/lxd" || c == "/var/lib/incus"
}

// hostDevice: a host block device or memory.
func hostDevice(s string) bool {
	c := path.Clean(s)
	for _, p := range []string{"/dev/sd", "/dev/nvme", "/dev/vd", "/dev/xvd", "/dev/hd", "/dev/dm-", "/dev/mapper/", "/dev/disk/", "/dev/md", "/dev/mmcblk", "/dev/loop", "/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg"} {
		if strings.HasPrefix(c, p) {
			return true
		}
	}
	return false
}

// imageTools: images whose entrypoint is a tool the guard has rules for:
// `docker run bitnami/kubectl delete ns prod` runs `kubectl delete ns prod`.
var imageTools = map[string]string{"kubectl": "kubectl", "helm": "helm", "terraform": "terraform", "tofu": "tofu", "opentofu": "tofu",
	"pulumi": "pulumi", "rclone": "rclone", "restic": "restic", "aws-cli": "aws", "awscli": "aws", "cloud-sdk": "gcloud",
	"google-cloud-cli": "gcloud", "azure-cli": "az", "mc": "mc", "flyctl": "flyctl", "doctl": "doctl", "vault": "vault", "consul": "consul",
	"kopia": "kopia", "velero": "velero", "argocd": "argocd", "gh": "gh", "git": "git", "s3cmd": "s3cmd", "azcopy": "azcopy",
	"terragrunt": "terragrunt", "eksctl": "eksctl", "etcdctl": "etcdctl", "nomad": "nomad", "k9s": "kubectl", "wrangler": "wrangler",
	"supabase": "supabase", "heroku": "heroku", "railway": "railway", "borg": "borg", "borgmatic": "borg", "redis-cli": "redis-cli",
	"helmfile": "helmfile", "kustomize": "kustomize", "crane": "crane", "skopeo": "skopeo", "gsutil": "gsutil", "psql": "psql", "mongosh": "mongosh"}

// imageEntrypoint judges what a container runs when its image's
// entrypoint is a tool and the line gives only its arguments.
func (w *walker) imageEntrypoint(name string, args []arg, depth int) {
	opts := containerOptions(args)
	if opts == nil || slices.ContainsFunc(opts, func(a arg) bool { return a.s == "--entrypoint" || strings.HasPrefix(a.s, "--entrypoint=") }) {
		return
	}
	// The image follows the options (and the subcommand words before them).
	at := -1
	for i := range args {
		if len(opts) > 0 && &args[i] == &opts[len(opts)-1] {
			at = i + 1
		}
	}
	if at < 0 {
		for i, a := range args {
			if a.s == "run" || a.s == "create" {
				at = i + 1
				break
			}
		}
	}
	if at < 0 || at >= len(args) || args[at].dyn {
		return
	}
	tool, ok := imageTool(args[at].s)
	rest := args[at+1:]
	if !ok || len(rest) == 0 || baseName(rest[0].s) == tool {
		return
	}
	w.command(append([]arg{{s: tool}}, rest...), input{}, depth+1)
}

// imageTool names the tool an image's entrypoint is: by its name without
// registry, tag or digest, or by a word of it (lachlanevenson/k8s-kubectl,
// alpine/terraform-cli, helmfile/helmfile).
func imageTool(ref string) (string, bool) {
	image := ref
	if i := strings.LastIndexByte(image, '/'); i >= 0 {
		image = image[i+1:]
	}
	image, _, _ = strings.Cut(image, "@")
	image, _, _ = strings.Cut(image, ":")
	image = strings.ToLower(image)
	if tool, ok := imageTools[image]; ok {
		return tool, true
	}
	for _, word := range strings.FieldsFunc(image, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		if tool, ok := imageTools[word]; ok {
			return tool, true
		}
	}
	return "", false
}

// kubeRunImage judges kubectl run's arguments after "--" as the image's
// entrypoint gets them, when that entrypoint is a tool and --command does
// not replace it: `kubectl run x --image=bitnami/kubectl -- delete ns
// prod` runs `kubectl delete ns prod` in the cluster.
func (w *walker) kubeRunImage(name string, args []arg, depth int) {
	c := parseCall(name, args)
	if c.sub("run") || c.sub("debug") {
		// Whatever it runs, it starts a pod (or a container in one).
		w.add("k8s.run", write, name+" "+c.subAt(0)+" starts a container in the cluster")
		w.kubePatches(c, depth) // --overrides
		w.accessGrants(c)       // --privileged
	}
	if !c.sub("run") || c.has("--command") {
		return
	}
	image := ""
	for i, a := range args {
		if v, ok := strings.CutPrefix(a.s, "--image="); ok {
			image = v
		} else if a.s == "--image" && i+1 < len(args) {
			image = args[i+1].s
		}
		if a.s == "--" {
			tool, ok := imageTool(image)
			rest := args[i+1:]
			if ok && len(rest) > 0 && baseName(rest[0].s) != tool {
				w.command(append([]arg{{s: tool}}, rest...), input{}, depth+1)
			}
			return
		}
	}
}
