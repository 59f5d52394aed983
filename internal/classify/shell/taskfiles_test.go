package shell

import (
	"os"
	"path/filepath"
	"testing"
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
