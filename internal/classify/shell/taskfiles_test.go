package shell

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
)

// A task runner runs what its file says for the task asked (and its
// dependencies), not what the task's name suggests.
func TestTaskRunnersRunTheirFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"justfile":       "alias f := fmt\n\ndefault: test\n\ntest:\n\tgo test ./...\n\nbuild: fmt\n\tgo build ./...\n\nfmt:\n\t@dropdb prod\n\nnuke:\n\t#!/usr/bin/env bash\n\trm -rf /srv/data\n",
		"Taskfile.yml":   "version: '3'\ntasks:\n  test:\n    cmds:\n      - go test ./...\n  build:\n    deps: [fmt]\n    cmds:\n      - go build ./...\n  fmt:\n    cmds:\n      - cmd: dropdb prod\n",
		"deno.json":      `{"tasks": {"test": "deno test", "fmt": {"command": "dropdb prod"}}} // jsonc`,
		"composer.json":  `{"scripts": {"test": "phpunit", "fmt": ["@clean", "php-cs-fixer fix"], "clean": "rm -rf /var/www/uploads"}}`,
		"mise.toml":      "[tasks.test]\nrun = \"go test ./...\"\n[tasks.fmt]\nrun = \"dropdb prod\"\n[tasks.build]\ndepends = [\"fmt\"]\nrun = \"go build\"\n",
		"pyproject.toml": "[tool.poe.tasks]\ntest = \"pytest\"\nfmt = { shell = \"dropdb prod\" }\n[tool.pdm.scripts]\ntest = \"pytest\"\nfmt = \"dropdb prod\"\n[tool.hatch.envs.default.scripts]\ntest = \"pytest\"\nfmt = [\"dropdb prod\"]\n",
		"Makefile.toml":  "[tasks.test]\ncommand = \"cargo\"\nargs = [\"test\"]\n[tasks.fmt]\nscript = \"dropdb prod\"\n",
		"Rakefile":       "task :fmt do\n  sh \"dropdb prod\"\nend\n",
		"tasks.py":       "from invoke import task\n@task\ndef fmt(c):\n    c.run(\"dropdb prod\")\n",
		"Procfile":       "web: dropdb prod\n",
		"tox.ini":        "[tox]\nenvlist = py3\n[testenv]\ncommands =\n    pytest\n    dropdb prod\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkIn(t, dir, []want{
		{"just fmt", destructive, "db.dropdb"},
		{"just f", destructive, "db.dropdb"},
		{"just build", destructive, "db.dropdb"},
		{"just nuke", destructive, "fs.rm-recursive"},
		{"task build", destructive, "db.dropdb"},
		{"go-task fmt", destructive, "db.dropdb"},
		{"deno task fmt", destructive, "db.dropdb"},
		{"composer fmt", destructive, "fs.rm-recursive"},
		{"composer run-script fmt", destructive, "fs.rm-recursive"},
		{"mise run build", destructive, "db.dropdb"},
		{"poe fmt", destructive, "db.dropdb"},
		{"pdm run fmt", destructive, "db.dropdb"},
		{"hatch run fmt", destructive, "db.dropdb"},
		{"cargo make fmt", destructive, "db.dropdb"},
		{"rake fmt", destructive, "db.dropdb"},
		{"foreman start", destructive, "db.dropdb"},
		{"tox", destructive, "db.dropdb"},
		// Other tasks of the same files are judged for what they run.
		{"just test", write, ""},
		{"just", write, ""},
		{"task test", write, ""},
		{"deno task test", write, ""},
		{"composer test", write, ""},
		{"mise run test", write, ""},
		{"poe test", write, ""},
		{"cargo make test", write, ""},
	})
}

func TestTaskFileThatDoesNotParseIsUnknown(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Taskfile.yml"), []byte("tasks: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkIn(t, dir, []want{{"task build", unknown, "shell.task-unknown"}})
}

// The runners' own ways to name a task: aliases, lists of other tasks,
// references, hooks, file tasks, shorthands; a task the reading cannot
// find has every task of the file judged, and an include it does not
// follow is unknown.
func TestTaskRunnersOwnReferences(t *testing.T) {
	put := func(dir, name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wipe := "aws s3 rm s3://prod-backups --recursive"
	cases := []struct {
		files map[string]string
		cmd   string
		class action.Class
	}{
		{map[string]string{"Taskfile.yml": "version: '3'\ntasks:\n  deploy:\n    aliases: [d]\n    cmds:\n      - " + wipe + "\n"}, "task d", destructive},
		{map[string]string{"Taskfile.yml": "version: '3'\nincludes:\n  ops: ./ops.yml\ntasks:\n  build:\n    cmds: [echo hi]\n"}, "task ops:deploy", unknown},
		{map[string]string{"justfile": "import 'ops.just'\n\nbuild:\n\techo hi\n"}, "just deploy", unknown},
		{map[string]string{"mise.toml": "[tasks.deploy]\nalias = \"d\"\nrun = \"" + wipe + "\"\n"}, "mise run d", destructive},
		{map[string]string{"mise.toml": "[tasks.deploy]\ndepends = [\"clean\"]\nrun = \"echo\"\n[tasks.clean]\nrun = \"" + wipe + "\"\n"}, "mise deploy", destructive},
		{map[string]string{".mise/tasks/deploy": "#!/usr/bin/env bash\n" + wipe + "\n"}, "mise run deploy", destructive},
		{map[string]string{"pyproject.toml": "[tool.poe.tasks]\nclean = \"" + wipe + "\"\ndeploy = [\"clean\"]\n"}, "poe deploy", destructive},
		{map[string]string{"pyproject.toml": "[tool.poe.tasks.clean]\ncmd = \"" + wipe + "\"\n[tool.poe.tasks.deploy]\nref = \"clean\"\n"}, "poe deploy", destructive},
		{map[string]string{"pyproject.toml": "[tool.pdm.scripts]\npre_build = \"" + wipe + "\"\nbuild = \"echo hi\"\n"}, "pdm run build", destructive},
		{map[string]string{"pyproject.toml": "[tool.hatch.envs.default.scripts]\nclean = \"" + wipe + "\"\ndeploy = [\"clean\", \"echo hi\"]\n"}, "hatch run deploy", destructive},
		{map[string]string{"pixi.toml": "[tasks]\ndeploy = \"" + wipe + "\"\n"}, "pixi run deploy", destructive},
		{map[string]string{"pyproject.toml": "[tool.rye.scripts]\ndeploy = \"" + wipe + "\"\n"}, "rye run deploy", destructive},
		{map[string]string{"devbox.json": `{"shell": {"scripts": {"deploy": "` + wipe + `"}}}`}, "devbox run deploy", destructive},
		{map[string]string{"composer.json": `{"scripts": {"deploy": "` + wipe + `"}, "scripts-aliases": {"deploy": ["d"]}}`}, "composer d", destructive},
		{map[string]string{"justfile": "deploy:\n\t" + wipe + "\n"}, "just --list", read},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		for n, b := range tc.files {
			put(dir, n, b)
		}
		w := []want{{tc.cmd, tc.class, ""}}
		if tc.class == read {
			w[0].class = write // just --list runs nothing but is itself a program run
		}
		checkIn(t, dir, w)
	}
}
