package shell

import (
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// runner describes a command that runs another command line: in a
// container, a pod, a remote machine, a new session, later. Whatever it
// runs is classified as if typed directly.
type runner struct {
	sub       []string // subcommand words leading to the run ("exec", "compose exec")
	valueOpts []string // options known to take a value
	boolOpts  []string // options known to take none; others may take one
	skip      int      // positionals before the command (container, image, pod)
	dashdash  bool     // the command follows "--" when one is given
	shellOpts []string // options whose value is a shell command line (-C, --command)
	shellArgs bool     // each remaining argument is a shell command line
	joined    bool     // the remaining arguments are joined into one shell command line
	stdin     bool     // without a command, it runs what standard input holds
	entry     string   // option that replaces the command's first word (--entrypoint)
	anywhere  bool     // its own options are taken from anywhere before "--" (heroku run bash -a app)
}

var (
	dockerBool = strings.Fields("-i -t -d -it -ti -dit -itd --rm --privileged --init -P --read-only --interactive --tty --detach --no-healthcheck --oom-kill-disable --publish-all -q --quiet --disable-content-trust -T --no-TTY --no-deps --service-ports --use-aliases --build --quiet-pull --remove-orphans --no-log-prefix")
	dockerExec = runner{boolOpts: dockerBool, skip: 1, entry: "--entrypoint"}
	kubeValue  = strings.Fields("-n --namespace -c --container --context --kubeconfig --cluster --user -f --filename --pod-running-timeout --image --image-pull-policy --restart --env --labels -l --overrides --port --profile --target --copy-to --as --as-group -s --server --token --request-timeout")
	kubeExec   = runner{valueOpts: kubeValue, boolOpts: strings.Fields("-i -t -it -ti -q --stdin --tty --quiet --rm --attach --command --share-processes --same-node --replace --keep-init-containers"), skip: 1, dashdash: true}
	// A fresh session or a later one runs the same commands.
	runners = map[string][]runner{
		"docker": {
			{sub: []string{"exec"}, boolOpts: dockerBool, skip: 1},
			{sub: []string{"container", "exec"}, boolOpts: dockerBool, skip: 1},
			{sub: []string{"run"}, boolOpts: dockerBool, skip: 1, entry: "--entrypoint"},
			{sub: []string{"container", "run"}, boolOpts: dockerBool, skip: 1, entry: "--entrypoint"},
			{sub: []string{"create"}, boolOpts: dockerBool, skip: 1, entry: "--entrypoint"},
			{sub: []string{"compose", "exec"}, boolOpts: dockerBool, skip: 1},
			{sub: []string{"compose", "run"}, boolOpts: dockerBool, skip: 1, entry: "--entrypoint"},
		},
		"docker-compose": {{sub: []string{"exec"}, boolOpts: dockerBool, skip: 1}, {sub: []string{"run"}, boolOpts: dockerBool, skip: 1, entry: "--entrypoint"}},
		"podman-compose": {{sub: []string{"exec"}, boolOpts: dockerBool, skip: 1}, {sub: []string{"run"}, boolOpts: dockerBool, skip: 1, entry: "--entrypoint"}},
		"kubectl": {
			withSub(kubeExec, "exec"), withSub(kubeExec, "debug"), withSub(kubeExec, "run"),
		},
		"oc":        {withSub(kubeExec, "exec"), withSub(kubeExec, "debug"), withSub(kubeExec, "run"), withSub(kubeExec, "rsh")},
		"kubecolor": {withSub(kubeExec, "exec"), withSub(kubeExec, "debug"), withSub(kubeExec, "run")},
		"flyctl":    nil, // the same CLI as fly
		"podman":    nil, // docker's command line
		"nerdctl":   nil,
		"fly":       {{sub: []string{"ssh", "console"}, shellOpts: []string{"-C", "--command"}, valueOpts: strings.Fields("-a --app -s --select -u --user -r --region --machine --process-group --pty -A --address")}, {sub: []string{"console"}, shellOpts: []string{"-C", "--command"}}, {sub: []string{"machine", "exec"}, skip: 1, joined: true, valueOpts: strings.Fields("-a --app --timeout")}, {sub: []string{"machines", "exec"}, skip: 1, joined: true, valueOpts: strings.Fields("-a --app --timeout")}},
		"heroku":    {{sub: []string{"run"}, valueOpts: strings.Fields("-a --app -r --remote -s --size -e --env --type"), boolOpts: strings.Fields("-x --exit-code --no-tty --no-notify"), joined: true, anywhere: true}, {sub: []string{"run:detached"}, valueOpts: strings.Fields("-a --app -r --remote -s --size -e --env --type"), joined: true, anywhere: true}, {sub: []string{"ps:exec"}, shellOpts: []string{"--command"}}},
		"railway":   {{sub: []string{"run"}, valueOpts: strings.Fields("-s --service -e --environment -p --project")}, {sub: []string{"ssh"}, valueOpts: strings.Fields("-s --service -e --environment -p --project -d --deployment-instance"), joined: true}, {sub: []string{"shell"}, valueOpts: strings.Fields("-s --service")}},
		"doppler":   {{sub: []string{"run"}, valueOpts: strings.Fields("-p --project -c --config --token --name-transformer --mount --mount-format --fallback --scope"), shellOpts: []string{"--command"}, boolOpts: strings.Fields("--preserve-env --forward-signals --no-fallback")}},
		"op":        {{sub: []string{"run"}, valueOpts: strings.Fields("--env-file --account"), boolOpts: strings.Fields("--no-masking")}},
		"infisical": {{sub: []string{"run"}, valueOpts: strings.Fields("--env --path --projectId --token"), shellOpts: []string{"--command"}}},
		"aws-vault": {{sub: []string{"exec"}, skip: 1, valueOpts: strings.Fields("-d --duration -t --mfa-token --region")}},
		"chamber":   {{sub: []string{"exec"}, dashdash: true, skip: 99}},
		"dotenvx":   {{sub: []string{"run"}, valueOpts: strings.Fields("-f --env-file -e --env")}},
		"sops":      {{sub: []string{"exec-env"}, skip: 1, joined: true}, {sub: []string{"exec-file"}, skip: 1, joined: true}},
		// npm explore PKG -- CMD runs CMD in the package's directory.
		"npm":     {{sub: []string{"explore"}, skip: 1, dashdash: true, joined: true}},
		"vagrant": {{sub: []string{"ssh"}, shellOpts: []string{"-c", "--command"}}},
		"gcloud":  {{sub: []string{"compute", "ssh"}, shellOpts: []string{"--command"}, skip: 1, dashdash: true, joined: true}, {sub: []string{"cloud-shell", "ssh"}, shellOpts: []string{"--command"}}},
		"aws":     {{sub: []string{"ecs", "execute-command"}, shellOpts: []string{"--command"}}},
		"az": {{sub: []string{"vm", "run-command", "invoke"}, shellOpts: []string{"--scripts"}}, {sub: []string{"ssh", "vm"}, dashdash: true, skip: 99},
			{sub: []string{"vm", "run-command", "create"}, shellOpts: []string{"--script"}}, {sub: []string{"vm", "run-command", "update"}, shellOpts: []string{"--script"}},
			{sub: []string{"vmss", "run-command", "invoke"}, shellOpts: []string{"--scripts"}},
			{sub: []string{"container", "exec"}, shellOpts: []string{"--exec-command"}}, {sub: []string{"containerapp", "exec"}, shellOpts: []string{"--command"}},
			{sub: []string{"aks", "command", "invoke"}, shellOpts: []string{"--command", "-c"}}, {sub: []string{"webapp", "ssh"}}},
		"render":    {{sub: []string{"jobs", "create"}, shellOpts: []string{"--start-command"}}},
		"lxc":       {{sub: []string{"exec"}, skip: 1, dashdash: true}},
		"incus":     {{sub: []string{"exec"}, skip: 1, dashdash: true}},
		"multipass": {{sub: []string{"exec"}, skip: 1, dashdash: true}},
		"limactl":   {{sub: []string{"shell"}, skip: 1}},
		"colima":    {{sub: []string{"ssh"}, dashdash: true, skip: 99}},
		"distrobox": {{sub: []string{"enter"}, skip: 1, dashdash: true, valueOpts: []string{"-n", "--name"}}},
		"toolbox":   {{sub: []string{"run"}, valueOpts: []string{"-c", "--container"}}},
		"wsl":       {{valueOpts: strings.Fields("-d --distribution -u --user --cd"), boolOpts: []string{"-e", "--exec", "--"}}},
		"tmux": {
			{sub: []string{"new-session"}, shellArgs: true, valueOpts: strings.Fields("-s -n -c -t -x -y -e -F")},
			{sub: []string{"new"}, shellArgs: true, valueOpts: strings.Fields("-s -n -c -t -x -y -e -F")},
			{sub: []string{"new-window"}, shellArgs: true, valueOpts: strings.Fields("-n -c -t -e -F")},
			{sub: []string{"neww"}, shellArgs: true, valueOpts: strings.Fields("-n -c -t -e -F")},
			{sub: []string{"split-window"}, shellArgs: true, valueOpts: strings.Fields("-c -t -l -p -e -F")},
			{sub: []string{"splitw"}, shellArgs: true, valueOpts: strings.Fields("-c -t -l -p -e -F")},
			{sub: []string{"respawn-pane"}, shellArgs: true, valueOpts: strings.Fields("-c -t -e")},
			{sub: []string{"run-shell"}, shellArgs: true, valueOpts: strings.Fields("-t -d -c")},
			{sub: []string{"run"}, shellArgs: true, valueOpts: strings.Fields("-t -d -c")},
			{sub: []string{"pipe-pane"}, shellArgs: true, valueOpts: strings.Fields("-t")},
			{sub: []string{"pipep"}, shellArgs: true, valueOpts: strings.Fields("-t")},
			{sub: []string{"respawn-window"}, shellArgs: true, valueOpts: strings.Fields("-c -t -e")},
			{sub: []string{"respawnw"}, shellArgs: true, valueOpts: strings.Fields("-c -t -e")},
			{sub: []string{"respawnp"}, shellArgs: true, valueOpts: strings.Fields("-c -t -e")},
			{sub: []string{"display-popup"}, shellArgs: true, valueOpts: strings.Fields("-c -d -e -h -s -S -t -T -w -x -y -b")},
			{sub: []string{"popup"}, shellArgs: true, valueOpts: strings.Fields("-c -d -e -h -s -S -t -T -w -x -y -b")},
			{sub: []string{"if-shell"}, shellArgs: true, valueOpts: strings.Fields("-t")},
			{sub: []string{"if"}, shellArgs: true, valueOpts: strings.Fields("-t")},
			{sub: []string{"send-keys"}, valueOpts: strings.Fields("-t -N"), joined: true},
			{sub: []string{"send"}, valueOpts: strings.Fields("-t -N"), joined: true},
		},
		"screen":       {{valueOpts: strings.Fields("-S -c -e -h -p -T -t -L -Logfile"), boolOpts: strings.Fields("-d -m -dm -dmS -D -R -r -x -q -A -a -U -l -ln -O -wipe")}},
		"hyperfine":    {{shellArgs: true, valueOpts: strings.Fields("-w --warmup -r --runs -m --min-runs -M --max-runs -p --prepare -c --cleanup -s --setup -n --command-name --export-json --export-markdown --export-csv -S --shell -u --time-unit"), shellOpts: strings.Fields("-p --prepare -c --cleanup -s --setup")}},
		"concurrently": {{shellArgs: true, valueOpts: strings.Fields("-n --names -c --prefix-colors -p --prefix -k --kill-others -s --success --max-processes")}},
		"nodemon":      {{shellOpts: []string{"-x", "--exec"}}},
		"watchexec":    {{dashdash: true, skip: 99, valueOpts: strings.Fields("-w --watch -e --exts -f --filter -i --ignore -d --debounce -s --signal")}},
		"entr":         {{shellOpts: []string{"-s"}}},
		"direnv":       {{sub: []string{"exec"}, skip: 1}},
		// gpg-agent --daemon CMD runs CMD under the agent.
		"gpg-agent": {{boolOpts: strings.Fields("--daemon --server --supervised -v -q --verbose --quiet --batch --enable-ssh-support --no-detach -s -c --sh --csh"),
			valueOpts: strings.Fields("--homedir --options --log-file --debug-level --default-cache-ttl --max-cache-ttl --pinentry-program")}},
		"cross-env": {{}},
		// Deploy tools that run a command line on the servers they deploy to.
		"kamal": {
			{sub: []string{"app", "exec"}, joined: true, valueOpts: kamalValue, boolOpts: kamalBool},
			{sub: []string{"server", "exec"}, joined: true, valueOpts: kamalValue, boolOpts: kamalBool},
			{sub: []string{"accessory", "exec"}, skip: 1, joined: true, valueOpts: kamalValue, boolOpts: kamalBool},
		},
		// Keys typed into a terminal: the shell there runs them.
		"xdotool": {{sub: []string{"type"}, joined: true, valueOpts: strings.Fields("--window --delay --clearmodifiers --file")}},
		"kitty":   {{sub: []string{"@", "send-text"}, joined: true, valueOpts: strings.Fields("-m --match -t --match-tab --to --from-file")}},
		"kitten":  {{sub: []string{"@", "send-text"}, joined: true, valueOpts: strings.Fields("-m --match -t --match-tab --to --from-file")}},
		"wezterm": {{sub: []string{"cli", "send-text"}, joined: true, valueOpts: strings.Fields("--pane-id")}},
		"zellij":  {{sub: []string{"action", "write-chars"}, joined: true}, {sub: []string{"run"}, dashdash: true, skip: 99}},
	}
)

var (
	kamalValue = strings.Fields("-d --destination -r --roles -h --hosts -c --config-file --version --skip-hooks")
	kamalBool  = strings.Fields("-i --interactive --reuse -q --quiet -v --verbose -p --primary")
)

func withSub(r runner, sub ...string) runner { r.sub = sub; return r }

// wrappersToo are wrappers with a fixed number of positionals before the
// command, or options of their own.
var moreWrappers = map[string]wrapper{
	"chroot":           {valueOpts: strings.Fields("--userspec --groups"), skip: 1},
	"runuser":          {valueOpts: strings.Fields("-u -g -G --user --group --supp-group -s --shell -w --whitelist-environment")},
	"systemd-run":      {valueOpts: strings.Fields("-u --unit -p --property -E --setenv --uid --gid -M --machine --on-active --on-boot --on-startup --on-unit-active --on-unit-inactive --on-calendar --on-clock-change --on-timezone-change --path-property --socket-property --timer-property --description --slice -H --host --working-directory -D --nice")},
	"unshare":          {valueOpts: strings.Fields("--map-user --map-group --setuid --setgid --root --wd --propagation -S -G -R -w")},
	"nsenter":          {valueOpts: strings.Fields("-t --target -S --setuid -G --setgid -r --root -w --wd")},
	"pkexec":           {valueOpts: []string{"--user"}},
	"run0":             {valueOpts: strings.Fields("-u --user -g --group -D --chdir --setenv --unit --property --description --slice --nice")},
	"prlimit":          {valueOpts: []string{"-p", "--pid"}},
	"numactl":          {valueOpts: strings.Fields("-C -N -m -p -i --cpunodebind --membind --preferred --interleave --physcpubind")},
	"cpulimit":         {valueOpts: strings.Fields("-l --limit -p --pid -e --exe")},
	"cgexec":           {valueOpts: []string{"-g"}},
	"fakeroot":         {valueOpts: []string{"-l", "-s", "-i"}},
	"eatmydata":        {},
	"firejail":         {},
	"xvfb-run":         {valueOpts: strings.Fields("-n -s -f -e -p --server-num --server-args --auth-file --error-file")},
	"dbus-run-session": {},
	"systemd-inhibit":  {valueOpts: strings.Fields("--what --who --why --mode")},
	"rlwrap":           {},
	"sshpass":          {valueOpts: []string{"-p", "-f", "-d", "-e"}},
	"gdb":              {valueOpts: strings.Fields("-ex --ex -eval-command --eval-command -iex --init-eval-command -x --command -ix -p --pid -cd --cd -d --directory -s --symbols -e --exec -c --core")},
	"valgrind":         {},
	"tsp":              {},
	"nq":               {},
	"envchain":         {skip: 1},
	"dotenv":           {valueOpts: []string{"-e", "-v", "-f"}},
	"with-contenv":     {},
	"sem":              {},
	"disown":           {},
	"mosh":             {},
	"flatpak-spawn":    {},
	"doppler-run":      {},
	"setpriv":          {valueOpts: strings.Fields("--reuid --regid --groups --inh-caps --bounding-set --securebits --selinux-label --apparmor-profile")},
	"sg":               {skip: 1},
	"newgrp":           {skip: 1},
}

func init() {
	runners["flyctl"] = runners["fly"]
	runners["podman"] = runners["docker"]
	runners["nerdctl"] = runners["docker"]
	for k, v := range moreWrappers {
		if _, ok := wrappers[k]; !ok {
			wrappers[k] = v
		}
	}
}

// runs classifies what a runner would run; it reports whether name is one.
func (w *walker) runs(name string, args []arg, in input, depth int) bool {
	switch name {
	case "script", "sg", "runuser":
		if name == "script" {
			// script [-c CMD] [FILE] writes the session's log to FILE.
			c := parseCall(name, args)
			for _, p := range c.pos {
				if !p.afterFlag || p.flag != "-c" && p.flag != "--command" && p.flag != "-T" && p.flag != "-I" && p.flag != "-O" && p.flag != "-B" {
					w.overwritesOutput(c, p.arg)
				}
			}
		}
		// script -c CMD, sg GROUP -c CMD, runuser -c CMD run CMD through a shell.
		for i, a := range args {
			if (a.s == "-c" || a.s == "--command" || len(a.s) > 2 && a.s[0] == '-' && a.s[1] != '-' && isLetters(a.s[1:]) && a.s[len(a.s)-1] == 'c') && i+1 < len(args) {
				w.shellString(args[i+1], depth)
				return true
			}
			if v, ok := strings.CutPrefix(a.s, "--command="); ok {
				w.shellString(arg{s: v, dyn: a.dyn}, depth)
				return true
			}
		}
		if name == "script" {
			// The shell it records reads what script is fed.
			w.stdinProgram("the shell script records", in, depth, func(text string) { w.script(text, depth+1) })
			return true
		}
		return false
	case "at", "batch":
		w.at(args, in, depth)
		return true
	case "crontab":
		w.crontab(args, in, depth)
		return true
	case "trap":
		w.trap(args, depth)
		return true
	case "screen":
		if w.screen(args, depth) {
			return true
		}
	case "alias":
		w.alias(args, depth)
		return true
	case "pm2":
		return w.pm2(args, depth)
	case "docker", "podman", "nerdctl":
		// Its mounts are judged whatever the container runs.
		w.containerMounts(parseCall(name, args))
		w.containerHost(name, args)
		w.imageEntrypoint(name, args, depth)
	case "kubectl", "oc", "kubecolor":
		w.kubeRunImage(name, args, depth)
	}
	specs, ok := runners[name]
	if !ok {
		return false
	}
	c := parseCall(name, args)
	for _, r := range specs {
		if len(r.sub) > 0 && !c.sub(r.sub...) {
			continue
		}
		w.runSpec(name, r, args, in, depth)
		return true
	}
	return false
}

// runSpec finds the command a runner runs. Options it does not know may or
// may not take a value; both readings are classified.
func (w *walker) runSpec(name string, r runner, args []arg, in input, depth int) {
	// Drop the subcommand words and the options before them.
	i, j := 0, 0
	for i < len(args) && j < len(r.sub) {
		if strings.EqualFold(args[i].s, r.sub[j]) && !args[i].dyn {
			j++
		}
		i++
	}
	rest := args[i:]
	if r.anywhere {
		rest = ownOptionsOut(rest, r)
	}
	for k, a := range rest {
		for _, o := range r.shellOpts {
			if a.s == o && k+1 < len(rest) {
				w.shellString(rest[k+1], depth)
				return
			}
			if v, ok := strings.CutPrefix(a.s, o+"="); ok && strings.HasPrefix(o, "--") {
				w.shellString(arg{s: v, dyn: a.dyn}, depth)
				return
			}
		}
	}
	if r.dashdash {
		for k, a := range rest {
			if a.s == "--" && !a.dyn {
				w.runArgv(name, r, rest[k+1:], in, depth)
				return
			}
		}
	}
	seen := 0
	for _, cand := range commandCandidates(rest, r, 0, 0, nil) {
		seen++
		if seen > 8 {
			break
		}
		w.runArgv(name, r, cand, in, depth)
	}
}

// ownOptionsOut moves a runner's known options (and their values) that
// follow its command to the front, where the command's parsing skips them.
func ownOptionsOut(args []arg, r runner) []arg {
	var own, other []arg
	for k := 0; k < len(args); k++ {
		a := args[k]
		if a.s == "--" && !a.dyn {
			other = append(other, args[k:]...)
			break
		}
		name, _, _ := strings.Cut(a.s, "=")
		switch {
		case a.dyn:
			other = append(other, a)
		case takesValue(r.valueOpts, a.s) && k+1 < len(args):
			own = append(own, a, args[k+1])
			k++
		case takesValue(r.valueOpts, name) || takesValue(r.boolOpts, a.s):
			own = append(own, a)
		default:
			other = append(other, a)
		}
	}
	return append(own, other...)
}

func (w *walker) runArgv(name string, r runner, argv []arg, in input, depth int) {
	if len(argv) == 0 {
		if r.stdin || in.present {
			w.stdinProgram(name, in, depth, func(text string) { w.script(text, depth+1) })
			return
		}
		w.add("shell.run", write, "runs "+name)
		return
	}
	switch {
	case r.shellArgs:
		for _, a := range argv {
			w.shellString(a, depth)
		}
	case r.joined:
		w.joinedScript(argv, depth, "shell.dynamic-script", name+" runs a command only known at run time", false)
	default:
		w.command(argv, in, depth+1)
	}
}

// commandCandidates lists the possible command lines after the runner's
// options and positionals. An option not known either way yields both
// readings.
func commandCandidates(args []arg, r runner, i, skipped int, entry []arg) [][]arg {
	for i < len(args) {
		a := args[i]
		if a.dyn || !strings.HasPrefix(a.s, "-") || a.s == "-" {
			if skipped < r.skip {
				skipped++
				i++
				if skipped == r.skip && len(entry) > 0 {
					// --entrypoint sh IMAGE -c "...": every word after the
					// image is the entrypoint's, dashes included.
					return [][]arg{append(append([]arg{}, entry...), args[i:]...)}
				}
				continue
			}
			return [][]arg{append(append([]arg{}, entry...), args[i:]...)}
		}
		if a.s == "--" {
			i++
			if r.skip == 99 {
				return [][]arg{append(append([]arg{}, entry...), tail(args, i)...)}
			}
			continue
		}
		flag, v, hasV := strings.Cut(a.s, "=")
		if r.entry != "" && flag == r.entry {
			if hasV {
				entry = []arg{{s: v, dyn: a.dyn}}
			} else if i+1 < len(args) {
				entry = []arg{args[i+1]}
				i++
			}
			i++
			continue
		}
		switch {
		case hasV || takesValue(r.boolOpts, a.s) || !strings.HasPrefix(a.s, "--") && len(a.s) > 2 && !takesValue(r.valueOpts, a.s) && isLetters(a.s[1:]) && allBool(a.s, r.boolOpts):
			i++
		case takesValue(r.valueOpts, a.s):
			i += 2
		default:
			with := commandCandidates(args, r, i+2, skipped, entry)
			without := commandCandidates(args, r, i+1, skipped, entry)
			return append(without, with...)
		}
	}
	if len(entry) > 0 {
		return [][]arg{entry}
	}
	return [][]arg{{}}
}

// allBool: a cluster like -it is boolean when each of its letters is.
func allBool(flag string, boolOpts []string) bool {
	for _, c := range flag[1:] {
		if !slices.Contains(boolOpts, "-"+string(c)) {
			return false
		}
	}
	return true
}

// shellString classifies one argument that a program runs through a shell.
func (w *walker) shellString(a arg, depth int) {
	if a.dyn {
		w.add("shell.dynamic-script", unknown, "runs a command only known at run time: "+a.s)
		return
	}
	w.script(a.s, depth+1)
}

// at and batch read the commands to run later from standard input or -f.
func (w *walker) at(args []arg, in input, depth int) {
	c := parseCall("at", args)
	if c.has("-l", "-c", "-r", "-d") || c.has("--list") {
		w.add("shell.run", write, "manages queued jobs")
		if c.has("-r", "-d") {
			w.add("shell.run", write, "removes queued jobs")
		}
		return
	}
	if f, ok := c.flagValue("-f"); ok {
		w.scriptFile(f, "at -f", depth)
		return
	}
	w.stdinProgram("at", in, depth, func(text string) { w.script(text, depth+1) })
}

// crontab installs a table of commands to run on a schedule, from a file
// or standard input ("-").
func (w *walker) crontab(args []arg, in input, depth int) {
	c := parseCall("crontab", args)
	switch {
	case c.has("-r"):
		w.add("cron.remove", destructive, "crontab -r deletes every scheduled job")
		return
	case c.has("-l"):
		w.add("cron.read", read, "lists scheduled jobs")
		return
	case c.has("-e"):
		w.add("shell.interactive", write, "edits scheduled jobs")
		return
	}
	var file string
	for _, p := range c.pos {
		if !p.afterFlag || p.s == "-" {
			file = p.s
		}
	}
	if file != "" || in.present {
		// What is installed replaces the whole table: echo | crontab -
		// deletes every job, as crontab -r does.
		w.add("cron.replace", destructive, "crontab installs a new table, replacing every job already scheduled")
	}
	if file == "" || file == "-" {
		switch {
		case in.present && in.known:
			w.cronTable(in.text, depth)
		case in.present:
			w.add("shell.pipe-to-shell", unknown, "crontab installs commands from "+in.from+", only known at run time")
		default:
			w.add("shell.interactive", write, "crontab reads a table from the terminal")
		}
		return
	}
	if text, ok := w.readWorkspace(file); ok {
		w.cronTable(text, depth)
		return
	}
	w.add("cron.install-unknown", unknown, "crontab installs the commands in "+file+", which Chaperone cannot read")
}

// cronTable classifies each job's command: the line after five time fields
// (or one @keyword).
func (w *walker) cronTable(text string, depth int) {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		n := 5
		if strings.HasPrefix(f[0], "@") {
			n = 1
		} else if isAssignment(line) && !strings.Contains(f[0], "*") {
			continue // NAME=value
		}
		if len(f) <= n {
			continue
		}
		cmd := line
		for k := 0; k < n; k++ {
			cmd = strings.TrimSpace(cmd)
			cmd = cmd[strings.IndexAny(cmd, " \t"):]
		}
		w.script(strings.TrimSpace(cmd), depth+1)
	}
}

// trap ACTION SIGNAL... runs ACTION in this shell when the signal comes.
func (w *walker) trap(args []arg, depth int) {
	for len(args) > 0 && strings.HasPrefix(args[0].s, "-") && args[0].s != "-" && !args[0].dyn {
		if args[0].s == "--" {
			args = args[1:]
			break
		}
		args = args[1:]
	}
	if len(args) < 2 || args[0].s == "-" || args[0].s == "" {
		return
	}
	if args[0].dyn {
		w.add("shell.dynamic-eval", unknown, "trap runs text only known at run time")
		return
	}
	w.scriptSame(args[0].s, depth+1)
}

// alias NAME=VALUE: VALUE runs wherever NAME is typed as a command.
func (w *walker) alias(args []arg, depth int) {
	for _, a := range args {
		k, v, ok := strings.Cut(a.s, "=")
		if !ok {
			continue
		}
		if a.dyn {
			w.add("shell.dynamic-alias", unknown, "alias "+k+" runs text only known at run time")
			continue
		}
		w.scope.aliases[k] = v
		w.scriptSame(v, depth+1)
	}
}

// expandAlias runs an alias's text with the arguments appended.
func (w *walker) expandAlias(value string, rest []arg, depth int) {
	text := value
	for _, a := range rest {
		if a.dyn {
			text += ` "$__chaperone_unknown"`
			continue
		}
		q, err := syntax.Quote(a.s, syntax.LangBash)
		if err != nil {
			text += ` "$__chaperone_unknown"`
			continue
		}
		text += " " + q
	}
	w.scriptSame(text, depth+1)
}

// subscriptBuiltins take variable names whose subscripts bash evaluates
// (unset 'a[$(cmd)]', printf -v 'a[$(cmd)]', read, test -v).
var subscriptBuiltins = []string{"unset", "read", "printf", "test", "[", "declare", "typeset", "local", "export", "readonly", "mapfile", "readarray", "let", "getopts", "wait", "eval"}

func (w *walker) builtinSubscripts(name string, args []arg, depth int) {
	if !slices.Contains(subscriptBuiltins, name) || name == "eval" {
		return
	}
	for _, a := range args {
		if a.dyn {
			continue
		}
		if name == "let" {
			w.document(a.s, depth)
			continue
		}
		if i := strings.Index(a.s, "["); i > 0 && isName(a.s[:i]) {
			w.document(a.s[i:], depth)
		}
	}
}

// readValues judges what read, mapfile and readarray are given, when it is
// known, as an assignment's value is judged, and notes the variables they
// (and printf -v) fill with a credential file's place or a credential.
func (w *walker) readValues(name string, rest []arg, in input, depth int) {
	if name == "printf" {
		w.printfVar(rest)
		return
	}
	if (name != "read" && name != "mapfile" && name != "readarray") || !in.present {
		return
	}
	place := secretListed(in.paths)
	if in.known {
		w.numericValue(in.text, depth)
		place = secretListed(strings.Fields(in.text))
	}
	for _, v := range readNames(name, rest) {
		w.holds(v, place, in.secret)
	}
}

// readNames lists the variables read or mapfile sets: its operands, read's
// -a array, or the default (REPLY, MAPFILE).
func readNames(name string, rest []arg) []string {
	valued, def := "dinNptu", "REPLY" // read's options that take a value
	if name != "read" {
		valued, def = "dnOsuCc", "MAPFILE"
	}
	var names []string
	for i := 0; i < len(rest); i++ {
		a := rest[i].s
		if len(a) < 2 || a[0] != '-' {
			names = append(names, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			if !strings.ContainsRune(valued, rune(a[j])) && !(name == "read" && a[j] == 'a') {
				continue
			}
			v := a[j+1:]
			if v == "" && i+1 < len(rest) {
				i++
				v = rest[i].s
			}
			if a[j] == 'a' {
				names = append(names, v)
			}
			break
		}
	}
	if len(names) == 0 {
		names = []string{def}
	}
	return names
}

// printfVar: printf -v p %s ~/.aws/credentials puts the place in p.
func (w *walker) printfVar(rest []arg) {
	for i, a := range rest {
		v := ""
		switch {
		case a.s == "-v" && i+1 < len(rest):
			v = rest[i+1].s
			rest = rest[i+2:]
		case strings.HasPrefix(a.s, "-v") && len(a.s) > 2:
			v = a.s[2:]
			rest = rest[i+1:]
		default:
			continue
		}
		var fields []string
		secret := false
		for _, r := range rest {
			fields = append(fields, strings.Fields(r.s)...)
			secret = secret || slices.ContainsFunc(r.vars, w.secretVar)
		}
		w.holds(v, secretListed(fields), secret)
		return
	}
}

// holds notes that variable v holds a credential file's place (when place
// is not "") or a credential itself.
func (w *walker) holds(v, place string, secret bool) {
	v, _, _ = strings.Cut(v, "[")
	if place != "" {
		if w.secretVars == nil {
			w.secretVars = map[string]string{}
		}
		w.secretVars[v] = place
	}
	if secret {
		if w.secretCopies == nil {
			w.secretCopies = map[string]bool{}
		}
		w.secretCopies[v] = true
	}
}

// numericValue judges a variable's known value for what it runs when read:
// a value like a[$(cmd)] runs cmd wherever bash reads it as a number or a
// variable's name ([[ $x -eq 0 ]], ${y:x}, declare -i, unset "$x", read
// "$x", ${!x}...). Judged where the value is given, once, whichever use
// comes.
func (w *walker) numericValue(v string, depth int) {
	if strings.Contains(v, "[") && (strings.Contains(v, "$(") || strings.Contains(v, "`")) {
		w.document(v, depth)
	}
}

// screen -X stuff TEXT types TEXT into a session's shell; -X exec runs a
// command there.
func (w *walker) screen(args []arg, depth int) bool {
	for i, a := range args {
		if a.s != "-X" || i+1 >= len(args) {
			continue
		}
		rest := args[i+2:]
		switch args[i+1].s {
		case "stuff":
			for _, r := range rest {
				w.shellString(arg{s: strings.NewReplacer("^M", "\n", "\\r", "\n", "\\n", "\n").Replace(r.s), dyn: r.dyn}, depth)
			}
		case "exec", "screen":
			w.command(rest, input{}, depth+1)
		default:
			w.add("shell.run", write, "sends a command to a screen session")
		}
		return true
	}
	return false
}

// pm2Values: pm2 start's options that take a value.
var pm2Values = strings.Fields("-n --name -i --instances -x --interpreter --interpreter-args --node-args --cwd -o --output -e --error -l --log " +
	"-p --pid --max-memory-restart --cron --cron-restart --env --namespace --log-date-format --restart-delay --exp-backoff-restart-delay " +
	"--max-restarts --min-uptime --kill-timeout --listen-timeout --wait-ready --watch-delay --ignore-watch --uid --gid --time")

// pm2 start SCRIPT [-- ARGS]: pm2 runs SCRIPT, a program or, when it holds
// a space, a command line, and keeps running it. pm2 kill stops every
// process pm2 runs.
func (w *walker) pm2(args []arg, depth int) bool {
	c := parseCall("pm2", args)
	switch {
	case c.sub("kill") || c.sub("stop", "all") || c.sub("delete", "all") || c.sub("del", "all"):
		w.add("host.service-stop", destructive, "pm2 "+c.subAt(0)+" stops every process pm2 runs")
		return false
	case !c.sub("start") && !c.sub("restart") && !c.sub("reload"):
		return false
	}
	var script *arg
	var after []arg
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a.s == "--" && !a.dyn:
			after = args[i+1:]
			i = len(args)
		case slices.Contains(pm2Values, a.s):
			i++
		case strings.HasPrefix(a.s, "-") && !a.dyn:
		case script == nil && a.s != "start" && a.s != "restart" && a.s != "reload":
			script = &args[i]
		}
	}
	if script == nil {
		return false
	}
	if v, ok := c.flagValue("-x", "--interpreter"); ok && v != "none" {
		w.command(append([]arg{{s: v}, *script}, after...), input{}, depth+1)
		return true
	}
	if script.dyn || strings.ContainsAny(script.s, " \t;|&") {
		w.shellString(*script, depth)
		return true
	}
	w.command(append([]arg{*script}, after...), input{}, depth+1)
	return true
}
