package shell

import (
	"os"
	"path/filepath"
	"testing"
)

// Secret stores and platforms beyond the big clouds, Salt's functions,
// and the places orchestrators mount secrets.
func TestOtherStoresPlatformsAndMounts(t *testing.T) {
	check(t, []want{
		{"glab variable get DB_PASS", credential, "creds.secret-store-read"},
		{"glab api projects/1/variables/DB_PASS", credential, "creds.secret-store-read"},
		{"cf env myapp", credential, "creds.secret-store-read"},
		{"conjur variable get -i prod/db/password", credential, "creds.secret-store-read"},
		{"azd env get-values", credential, "creds.secret-store-read"},
		{"git-crypt export-key /tmp/k", credential, "creds.secret-store-read"},
		{"blackbox_cat secrets.gpg", credential, "creds.secret-store-read"},
		{"berglas access sm://p/db", credential, "creds.secret-store-read"},
		{"aws lightsail get-instance-access-details --instance-name x", credential, "creds.secret-store-read"},
		{"gcloud run services describe api --format=yaml", credential, "creds.secret-store-read"},
		{"airflow connections export conns.json", credential, "creds.secret-store-read"},
		{"dokku config:show app", credential, "creds.secret-store-read"},
		{"firebase auth:export users.json", credential, "creds.secret-store-read"},
		{"salt '*' pillar.items", credential, "creds.secret-store-read"},
		{"salt '*' file.remove /srv", destructive, "salt.destructive"},
		{"salt-call postgres.db_remove prod", destructive, "salt.destructive"},
		{"salt -G 'os:Ubuntu' service.stop postgresql", destructive, "salt.destructive"},
		{"glab repo edit --visibility public", destructive, "ops.expose"},
		{"npm access public pkg", destructive, "ops.expose"},
		{"aws rds backtrack-db-cluster --db-cluster-identifier prod --backtrack-to 2020-01-01T00:00:00Z", destructive, "state.restore"},
		{"wrangler d1 time-travel restore db --timestamp 2020-01-01", destructive, "state.restore"},
		{"tarsnap -d -f archive", destructive, "backup.delete"},
		{"rpk group seek g --to end", destructive, "ops.seek"},
		{"aws iam deactivate-mfa-device --user-name admin --serial-number s", destructive, "cloud.lockout"},
		{"rabbitmqctl change_password admin x", destructive, "cloud.lockout"},
		{"cat /etc/secrets/db", credential, "creds.read-secret-file"},
		{"cat /mnt/secrets-store/db-password", credential, "creds.read-secret-file"},
		{"cat /vault/secrets/database", credential, "creds.read-secret-file"},
		{"cat /secrets/db", credential, "creds.read-secret-file"},
		{"cat /var/lib/docker/containers/*/config.v2.json", credential, "creds.read-secret-file"},
		{"kubectl exec api -- cat /etc/secrets/db", credential, "creds.read-secret-file"},
		{"salt '*' test.ping", write, ""},
		{"salt '*' pkg.install vim", write, ""},
		{"glab mr list", write, ""},
		{"gcloud run services list", read, ""},
		{"tarsnap -c -f a .", write, ""},
		{"cat src/secrets/handler.go", read, ""},
	})
}

// A recursive search over a tree that holds a credential file, for a
// secret's name in any case, prints the credential's value.
func TestSecretNamesSearchedWhereCredentialFilesAre(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("DB_PASSWORD=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	checkIn(t, dir, []want{
		{"grep -r password .", credential, ""},
		{"grep -ri secret .", credential, ""},
		{"rg -i --hidden password", credential, ""},
		{"grep -rn password src/", read, ""},
		{"rg -i password", read, ""},
		{"grep -r TODO .", read, ""},
		{"grep -r password --exclude=.env .", read, ""},
	})
}

// More of the same round: roles a playbook names, retention given inline,
// DNS tools, forced detaches, job queues emptied, deletion policies.
func TestPlaybookRolesAndOtherForms(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"site.yml":                     "- hosts: all\n  roles:\n    - web\n    - role: cleanup\n",
		"web.yml":                      "- hosts: all\n  roles:\n    - web\n",
		"roles/cleanup/tasks/main.yml": "- name: drop\n  shell: dropdb prod\n",
		"roles/web/tasks/main.yml":     "- name: ok\n  shell: echo hi\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkIn(t, dir, []want{
		{"ansible-playbook -i prod site.yml", destructive, "db.dropdb"},
		{"ansible-playbook -i prod web.yml", write, ""},
	})
	check(t, []want{
		{"kopia policy set --global --keep-latest 1 --keep-daily 0", destructive, "data.retention-cut"},
		{"aws rds modify-db-cluster --db-cluster-identifier prod --backtrack-window 0", destructive, "data.retention-cut"},
		{`b2 bucket update --lifecycle-rule '{"daysFromUploadingToHiding":1,"fileNamePrefix":""}' b`, destructive, "data.retention-cut"},
		{`aws backup update-backup-plan --backup-plan-id p --backup-plan '{"Rules":[{"RuleName":"r","Lifecycle":{"DeleteAfterDays":1}}]}'`, destructive, "data.retention-cut"},
		{"airflow db clean --clean-before-timestamp 2030-01-01 -y", destructive, "db.clean"},
		{"cli53 rrdelete example.com api A", destructive, "cloud.dns-delete"},
		{"octodns-sync --config-file c.yaml --doit", destructive, "cloud.dns-delete"},
		{"aws ec2 detach-volume --volume-id vol-1 --force", destructive, "cloud.detach-force"},
		{"bundle exec rails runner 'Sidekiq::Queue.all.each(&:clear)'", destructive, "inline.destructive-call"},
		{`python3 -c "from rq import Queue; from redis import Redis; Queue(connection=Redis()).empty()"`, destructive, "inline.destructive-call"},
		{`kubectl patch composite x --type merge -p '{"spec":{"deletionPolicy":"Delete"}}'`, destructive, "k8s.finalizers"},
		{`aws dynamodb batch-write-item --request-items '{"t":[{"DeleteRequest":{"Key":{"id":{"S":"1"}}}}]}'`, destructive, "cloud.delete"},
		{"kopia policy set --global --keep-latest 10 --keep-daily 7", write, ""},
		{`b2 update-bucket --lifecycle-rules '[{"daysFromHidingToDeleting":30,"fileNamePrefix":""}]' b allPrivate`, write, ""},
		{"airflow dags list", write, ""},
		{"bundle exec rails runner 'puts Sidekiq::Queue.new.size'", write, ""},
	})
}

// Vault's minting paths, tunnels from the internet, backups stopped.
func TestVaultMintsTunnelsAndBackupsStopped(t *testing.T) {
	check(t, []want{
		{"vault write auth/token/create policies=admin", credential, "creds.secret-store-read"},
		{"vault write -f auth/approle/role/x/secret-id", credential, "creds.secret-store-read"},
		{"vault write pki/root/generate/exported common_name=x", credential, "creds.secret-store-read"},
		{"vault write database/rotate-root/db", destructive, "cloud.lockout"},
		{"vault write auth/userpass/users/admin password=x", destructive, "cloud.lockout"},
		{"vault write sys/mounts/secret/tune max_versions=1", destructive, "data.retention-cut"},
		{"vault kv metadata put -delete-version-after=1s secret/app", destructive, "data.retention-cut"},
		{"ngrok tcp 5432", destructive, "ops.expose"},
		// The file system or a local socket served to the internet, and
		// socat listening on every interface for a shell, a socket or a
		// database.
		{"ngrok http file:///", destructive, "ops.expose"},
		{"ngrok http unix:///var/run/docker.sock", destructive, "ops.expose"},
		{"cloudflared tunnel --url file:///etc", destructive, "ops.expose"},
		{"socat TCP-LISTEN:2375,fork UNIX-CONNECT:/var/run/docker.sock", destructive, "ops.expose"},
		{"socat TCP4-LISTEN:4444,reuseaddr,fork EXEC:/bin/bash", destructive, "ops.expose"},
		{"socat TCP-LISTEN:15432,fork TCP:db:5432", destructive, "ops.expose"},
		{"socat TCP-LISTEN:2375,bind=127.0.0.1,fork UNIX-CONNECT:/var/run/docker.sock", write, ""},
		{"socat TCP-LISTEN:8080,fork TCP:localhost:3000", write, ""},
		{"cloudflared tunnel --url tcp://localhost:5432", destructive, "ops.expose"},
		{"tailscale funnel 8080", destructive, "ops.expose"},
		{"systemctl mask backup.timer", destructive, "backup.stop"},
		{"velero schedule pause daily", destructive, "backup.stop"},
		{`kubectl patch cronjob db-backup -p '{"spec":{"suspend":true}}'`, destructive, "backup.stop"},
		{"pgbackrest --stanza=main expire --repo1-retention-full=1", destructive, "backup.stop"},
		{"pg_archivecleanup /var/lib/pgsql/wal 000000010000000000000010", destructive, "backup.stop"},
		{"heroku pg:backups:unschedule DATABASE_URL", destructive, "backup.stop"},
		{"vault write secret/app foo=bar", write, ""},
		{"vault kv metadata put -max-versions=10 secret/app", write, ""},
		{"ngrok http 3000", write, ""},
		{"cloudflared tunnel --url http://localhost:8080", write, ""},
		{"tailscale funnel status", write, ""},
		{"pgbackrest --stanza=main backup", write, ""},
		{"systemctl status backup.timer", write, ""},
	})
}

// Backend-as-a-service CLIs: restores, exposure, secrets, lockouts, and
// security rules that let anyone in.
func TestBackendServiceCLIs(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"firebase.json":   `{"firestore":{"rules":"firestore.rules"}}`,
		"firestore.rules": "service cloud.firestore {\n  match /databases/{database}/documents {\n    match /{document=**} { allow read, write: if true; }\n  }\n}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkIn(t, dir, []want{
		{"firebase deploy --only firestore:rules", destructive, "ops.expose"},
		{"firebase database:set / empty.json -f", destructive, "state.restore"},
		{"supabase backups restore --timestamp 1", destructive, "state.restore"},
		{"neonctl branches restore main ^self@2024-01-01", destructive, "state.restore"},
		{"pscale database restore-dump db main --dir d", destructive, "state.restore"},
		{"supabase network-restrictions update --db-allow-cidr 0.0.0.0/0", destructive, "ops.expose"},
		{"neonctl ip-allow add 0.0.0.0/0", destructive, "ops.expose"},
		{"npx convex env get SECRET", credential, "creds.secret-store-read"},
		{"turso db tokens invalidate db", destructive, "cloud.lockout"},
		{"neonctl branches list", read, ""},
	})
	safe := t.TempDir()
	if err := os.WriteFile(filepath.Join(safe, "firebase.json"), []byte(`{"firestore":{"rules":"firestore.rules"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(safe, "firestore.rules"), []byte("match /{d=**} { allow read: if request.auth != null; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkIn(t, safe, []want{{"firebase deploy --only firestore:rules", write, ""}})
}

// Puppet manifests, MySQL told to refuse writes, passwords changed.
func TestPuppetOutagesAndPasswords(t *testing.T) {
	check(t, []want{
		{`puppet apply -e 'file { "/srv": ensure => absent, force => true }'`, destructive, "config.absent"},
		{`puppet apply -e 'exec { "x": command => "dropdb prod" }'`, destructive, "db.dropdb"},
		{`mysql -e "SET GLOBAL read_only=ON"`, destructive, "keyword.sql-outage"},
		{`mysql -e "SET GLOBAL offline_mode=ON"`, destructive, "keyword.sql-outage"},
		{"pam-auth-update --disable unix", destructive, "host.lockout"},
		{"sudo passwd root", destructive, "host.lockout"},
		{`puppet apply -e 'package { "vim": ensure => installed }'`, write, ""},
		{"puppet apply --noop site.pp", write, ""},
		{`mysql -e "SET GLOBAL read_only=OFF"`, write, ""},
		{"passwd -S root", write, ""},
	})
}

// Secret scanners print what they find unless told to redact it.
func TestSecretScannersThatPrintSecrets(t *testing.T) {
	check(t, []want{
		{"gitleaks detect -v", credential, "creds.secret-store-read"},
		{"trufflehog filesystem .", credential, "creds.secret-store-read"},
		{"gitleaks detect", write, ""},
		{"gitleaks detect -v --redact", write, ""},
	})
}

// Salt's cmd.* functions run their argument; more functions that remove,
// lock out or unmount.
func TestSaltFunctionsThatRunOrRemove(t *testing.T) {
	check(t, []want{
		{"salt '*' cmd.run_all 'rm -rf /data'", destructive, "fs.rm-recursive"},
		{"salt '*' cmd.exec_code bash 'rm -rf /data'", destructive, "fs.rm-recursive"},
		{"salt '*' cmd.run cmd='rm -rf /data'", destructive, "fs.rm-recursive"},
		{"salt '*' lvm.lvremove lv vg", destructive, "salt.destructive"},
		{"salt '*' shadow.set_password root x", destructive, "salt.destructive"},
		{"salt '*' cmd.run 'uptime'", write, ""},
		{"salt '*' grains.items", write, ""},
	})
}

// Tunnels by SSH to public relays or every interface, and other tunnel
// tools.
func TestMoreTunnels(t *testing.T) {
	check(t, []want{
		{"tailscale funnel --bg 5432", destructive, "ops.expose"},
		{"ssh -R 0:localhost:5432 serveo.net", destructive, "ops.expose"},
		{"ssh -fNR 0.0.0.0:5432:localhost:5432 user@vps", destructive, "ops.expose"},
		{"lt --port 5432", destructive, "ops.expose"},
		{"zrok share public localhost:5432", destructive, "ops.expose"},
		{"devtunnel host -p 8080 --allow-anonymous", destructive, "ops.expose"},
		{"ssh -R 9000:localhost:9000 user@vps", write, ""},
	})
}
