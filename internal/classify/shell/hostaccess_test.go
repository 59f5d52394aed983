package shell

import (
	"os"
	"path/filepath"
	"testing"
)

// A container or namespace given the host's powers is held whatever it
// then runs; ordinary containers are not.
func TestHostPowersGivenToContainers(t *testing.T) {
	check(t, []want{
		{"docker run --privileged alpine sh", destructive, "host.escape"},
		{"docker --context prod run --privileged=true alpine sh", destructive, "host.escape"},
		{"podman run --pid=host alpine ps", destructive, "host.escape"},
		{"docker run --pid host alpine ps", destructive, "host.escape"},
		{"docker run --cap-add=SYS_ADMIN alpine mount /dev/sda1 /m", destructive, "host.escape"},
		{"docker run --cap-add cap_sys_module,NET_ADMIN alpine", destructive, "host.escape"},
		{"docker run --device /dev/nvme0n1 alpine dd of=/dev/nvme0n1", destructive, "host.escape"},
		{"docker run -v /var/run/docker.sock:/var/run/docker.sock docker:cli docker ps", destructive, "host.escape"},
		{"nerdctl run --mount type=bind,src=/run/containerd/containerd.sock,dst=/s alpine", destructive, "host.escape"},
		{"docker exec --privileged web sh", destructive, "host.escape"},
		{"docker volume create --opt type=none --opt o=bind --opt device=/ root", destructive, "host.escape"},
		{"docker volume create -o o=bind -o device=/var/run/docker.sock s", destructive, "host.escape"},
		{"ctr run --privileged docker.io/library/alpine:latest x sh", destructive, "host.escape"},
		{"nsenter -t 1 -m -u -n -i sh", destructive, "host.escape"},
		{"nsenter --mount=/proc/1/ns/mnt ls", destructive, "host.escape"},
		{"kubectl debug node/worker-1 -it --image=busybox", destructive, "host.escape"},
		{"kubectl debug web-0 -it --profile=sysadmin --image=busybox", destructive, "host.escape"},
		{`kubectl run x --image=alpine --overrides='{"spec":{"hostPID":true}}'`, destructive, "host.escape"},
		{`kubectl run x --image=alpine --overrides='{"spec":{"volumes":[{"name":"h","hostPath":{"path":"/"}}]}}'`, destructive, "host.escape"},
		{"oc debug node/n1", destructive, "host.escape"},
		{"lxc config set c1 security.privileged true", destructive, "host.escape"},
		{"incus config device add c1 h disk source=/ path=/host", destructive, "host.escape"},
		// The container's own command's words are not the runtime's options.
		{"docker run --rm alpine sh -c 'echo --privileged'", read, ""},
		{"docker run --privileged=false alpine true", read, ""},
		{"docker run --rm -v \"$PWD\":/src -w /src golang:1.26 go vet ./...", write, ""},
		{"docker volume create data", write, ""},
		{"kubectl debug -it web-0 --image=busybox --target=app", write, ""},
		{"unshare -r id", read, ""},
	})
}

func TestHostMountsInJSONManifests(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pod.json", `{"kind":"Pod","spec":{"volumes":[{"name":"h","hostPath":{"path":"/"}}]}}`)
	write("priv.json", `{"kind":"Pod","spec":{"containers":[{"name":"a","securityContext":{"privileged": true}}]}}`)
	write("long.yaml", "services:\n  a:\n    image: x\n    volumes:\n      - type: bind\n        source: /\n        target: /host\n")
	write("caps.yaml", "services:\n  a:\n    image: x\n    cap_add: [SYS_ADMIN]\n")
	write("ok.yaml", "services:\n  a:\n    image: x\n    volumes:\n      - ./src:/src\n")
	checkIn(t, dir, []want{
		{"kubectl apply -f pod.json", unknown, "file.host-mount"},
		{"kubectl apply -f priv.json", unknown, "file.host-mount"},
		{"docker compose -f long.yaml up -d", unknown, "file.host-mount"},
		{"docker compose -f caps.yaml up -d", unknown, "file.host-mount"},
	})
}

// Whole-cluster dumps carry the accounts' password hashes.
func TestDumpsThatCarryPasswordHashes(t *testing.T) {
	check(t, []want{
		{"pg_dumpall > all.sql", credential, "creds.dump-hashes"},
		{"pg_dumpall --roles-only", credential, "creds.dump-hashes"},
		{"pg_dumpall -g -h db", credential, "creds.dump-hashes"},
		{"mysqldump --all-databases > all.sql", credential, "creds.dump-hashes"},
		{"mysqldump -u root mysql > m.sql", credential, "creds.dump-hashes"},
		{"mysqldump mysql user", credential, "creds.dump-hashes"},
		{"mysqldump -B app mysql", credential, "creds.dump-hashes"},
		{"mariadb-dump --system=users", credential, "creds.dump-hashes"},
		{"mysqlpump --users", credential, "creds.dump-hashes"},
		{"mongodump", credential, "creds.dump-hashes"},
		{"mongodump --db admin", credential, "creds.dump-hashes"},
		{"mongodump --nsInclude '*.users'", credential, "creds.dump-hashes"},
		{"mysql -D mysql -e 'SELECT * FROM user'", credential, "keyword.sql-read-credentials"},
		{"mysql -u root mysql -e 'TABLE global_priv'", credential, "keyword.sql-read-credentials"},
		{"mysql -e 'USE mysql; SELECT host, authentication_string FROM user'", credential, "keyword.sql-read-credentials"},
		{"pg_dumpall --no-role-passwords", read, ""},
		{"pg_dumpall --data-only", read, ""},
		{"mysqldump app users", write, ""},
		{"mysqldump -B app shop", write, ""},
		{"mongodump --db app", write, ""},
		{"mongodump --nsInclude 'app.*'", write, ""},
		{"mysql -D app -e 'SELECT * FROM user'", read, ""},
		{"mysql -D mysql -e 'SELECT * FROM time_zone'", read, ""},
	})
}

// An image whose entrypoint is a tool runs that tool with the line's words.
func TestImagesWhoseEntrypointIsATool(t *testing.T) {
	check(t, []want{
		{"docker run --rm bitnami/kubectl delete ns prod", destructive, "k8s.delete"},
		{"docker run --rm -v $PWD:/w hashicorp/terraform:1.9 destroy -auto-approve", destructive, "iac.destroy"},
		{"podman run --rm rclone/rclone purge remote:bucket", destructive, "cloud.rclone-sync"},
		{"docker run --rm amazon/aws-cli s3 rb s3://prod --force", destructive, "cloud.s3-remove-bucket"},
		{"docker run --rm bitnami/kubectl get pods", write, ""},
		// An image named by a word of its name, and kubectl run's
		// arguments given to the image's entrypoint.
		{"docker run --rm lachlanevenson/k8s-kubectl delete ns prod", destructive, "k8s.delete"},
		{"docker run --rm ghcr.io/helmfile/helmfile:v0.160 destroy", destructive, ""},
		{"kubectl run x --rm -it --image=bitnami/kubectl:1.29 --restart=Never -- delete ns prod", destructive, "k8s.delete"},
		{"oc run x --image bitnami/kubectl -- delete ns prod", destructive, "k8s.delete"},
		{"kubectl run x --image=bitnami/kubectl -- get pods", write, ""},
		{"kubectl run x --image=bitnami/kubectl --command -- kubectl version", write, "k8s.run"},
		{"kubectl run x --image=nginx -- sleep 1", write, "k8s.run"},
	})
}

// Commands given as argument vectors in manifests, CI workflows run by
// hand, compose services run one at a time, manifests applied by
// directory.
func TestCommandsInManifestsAndWorkflows(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"k8s/job.yaml":                  "kind: Job\nspec:\n  template:\n    spec:\n      containers:\n      - name: w\n        image: postgres\n        command: [\"psql\",\"-h\",\"prod\",\"-c\",\"DROP DATABASE app\"]\n",
		"compose.prod.yaml":             "services:\n  wipe:\n    image: postgres\n    command: [\"psql\",\"-h\",\"prod\",\"-c\",\"DROP DATABASE app\"]\n",
		".github/workflows/destroy.yml": "on: workflow_dispatch\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - run: terraform destroy -auto-approve\n",
		".gitlab-ci.yml":                "wipe:\n  script:\n    - dropdb prod\n",
		// Commands spelt over several lines, and workflows in JSON.
		"wf/block.yml":  "on: workflow_dispatch\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n          echo start\n          rm -rf /var/lib/postgresql\n",
		"wf/folded.yml": "jobs:\n  a:\n    steps:\n      - name: wipe\n        run: >-\n          psql -h prod\n          -c 'DROP DATABASE app'\n",
		"wf/quoted.yml": "jobs:\n  a:\n    steps:\n      - run: \"echo a &&\n          dropdb prod\"\n",
		"wf/ci.json":    `{"on":"workflow_dispatch","jobs":{"a":{"runs-on":"x","steps":[{"run":"terraform destroy -auto-approve"}]}}}`,
		"wf/safe.yml":   "jobs:\n  a:\n    steps:\n      - run: |\n          go test ./...\n          go vet ./...\n",
		"k8s2/job.json": `{"kind":"Job","spec":{"template":{"spec":{"containers":[{"name":"w","image":"postgres","command":["dropdb","-h","prod","app"]}]}}}}`,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkIn(t, dir, []want{
		{"kubectl apply -f k8s/job.yaml", destructive, ""},
		{"kubectl apply -f k8s", destructive, ""},
		{"docker compose -f compose.prod.yaml run wipe", destructive, ""},
		{"gh workflow run destroy.yml", destructive, "iac.destroy"},
		{"act -j d", destructive, "iac.destroy"},
		{"glab ci run", destructive, "db.dropdb"},
		{"gh workflow list", write, ""},
		// act lists or rehearses the workflows without running a step.
		{"act -l", write, ""},
		{"act --list", write, ""},
		{"act -n -j d", write, ""},
		{"act --dryrun", read, "shell.dry-run"},
		{"act -W wf/block.yml", destructive, "fs.rm-recursive"},
		{"act -W wf/folded.yml", destructive, ""},
		{"act -W wf/quoted.yml", destructive, "db.dropdb"},
		{"act -W wf/ci.json", destructive, "iac.destroy"},
		{"act -W wf/safe.yml", write, ""},
		{"kubectl apply -f k8s2/job.json", destructive, "db.dropdb"},
	})
}

// Every word after the image is the entrypoint's when one is given.
func TestEntrypointTakesTheWordsAfterTheImage(t *testing.T) {
	check(t, []want{
		{`docker run --rm --entrypoint sh alpine -c "rm -rf /host/etc"`, destructive, "fs.rm-recursive"},
		{`docker run --rm --entrypoint=/bin/sh alpine -c "aws s3 rm s3://prod-backups --recursive"`, destructive, ""},
		{`podman run --rm --entrypoint sh alpine -ec "rm -rf /host/etc"`, destructive, "fs.rm-recursive"},
		{`docker run --rm --entrypoint sh alpine -c "echo hi"`, read, ""},
	})
}
