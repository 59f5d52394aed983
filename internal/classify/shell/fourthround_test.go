package shell

import "testing"

// The fourth black-box round: credential files reached by globs, copies
// and /proc, secrets read by engines in the process, root shells with no
// command, setuid modes, services scaled to zero by any orchestrator.
func TestFourthRoundCredentials(t *testing.T) {
	check(t, []want{
		{"cat /etc/sh*", credential, "creds.read-secret-file"},
		{"cat /etc/[s]hadow", credential, "creds.read-secret-file"},
		{"cat /e*/shadow", credential, "creds.read-secret-file"},
		{"cat /proc/1/root/etc/shadow", credential, "creds.read-secret-file"},
		{"cat /etc/shadow.bak", credential, "creds.read-secret-file"},
		{"cat .env~", credential, "creds.read-secret-file"},
		{"cat /etc/ssh/ssh_host_*_key", credential, "creds.read-secret-file"},
		{"cat /etc/letsencrypt/live/*/priv*", credential, "creds.read-secret-file"},
		{"cat *.p12", credential, "creds.read-secret-file"},
		{"cat /var/lib/jenkins/secrets/initialAdminPassword", credential, "creds.read-secret-file"},
		{"cat /var/lib/rabbitmq/.erlang.cookie", credential, "creds.read-secret-file"},
		{"cat /etc/postfix/sasl_passwd", credential, "creds.read-secret-file"},
		{"cat ~/.cloudflared/cert.pem", credential, "creds.read-secret-file"},
		{"echo $MYSQL_PWD", credential, ""},
		{"echo $SUPABASE_SERVICE_ROLE_KEY", credential, ""},
		{"echo $CLOUDINARY_URL", credential, ""},
		{"env | grep NODE_AUTH", credential, "creds.env-dump"},
		{"env | grep -i db", credential, "creds.env-dump"},
		{`duckdb -c "select * from read_text('.env')"`, credential, "creds.read-secret-file"},
		{`duckdb -c "select * from '/app/.env'"`, credential, "creds.read-secret-file"},
		{`clickhouse local -q "select * from file('.env', 'LineAsString')"`, credential, "creds.read-secret-file"},
		// Neighbours that read nothing secret.
		{"cat /etc/hosts", read, ""},
		{"ls /etc/ssl/certs/*.pem", read, ""},
		{"cat package.json.bak", read, ""},
		{"env | grep PATH", read, ""},
		{"echo $NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", read, ""},
		{`duckdb -c "select * from read_csv('data/users.csv')"`, read, ""},
	})
}

func TestFourthRoundHostAndServices(t *testing.T) {
	check(t, []want{
		{"sudo -i", unknown, "shell.interactive"},
		{"sudo -u postgres -i", unknown, "shell.interactive"},
		{"su - postgres", unknown, "shell.interactive"},
		{"sudo -iu postgres rm -rf /var/lib/postgresql", destructive, "fs.rm-recursive"},
		{"sudo -uroot rm -rf /srv", destructive, "fs.rm-recursive"},
		{"sudo -nu deploy ls", read, ""},
		{"install -m 4755 /bin/bash /tmp/rootsh", destructive, "host.privilege"},
		{"cp /bin/bash /tmp/x && chmod +s /tmp/x", destructive, "host.privilege"},
		{"chmod 6755 ./tool", destructive, "host.privilege"},
		{"rsync -a --chmod=u+s bin/ /tmp/bin/", destructive, "host.privilege"},
		{"chmod g+s shared/", write, ""},
		{"chmod +x ./script.sh", write, ""},
		{"docker service scale web=0", destructive, "ops.scale-to-zero"},
		{"docker compose up -d --scale web=0", destructive, "ops.scale-to-zero"},
		{"nomad job scale api 0", destructive, "ops.scale-to-zero"},
		{"docker service scale web=3", write, ""},
		{"cockroach node decommission 1 --host=db", destructive, "cli.destructive-verb"},
		{"cockroach quit --host=db:26257", destructive, "cli.destructive-verb"},
		{`cockroach sql -e "select 1"`, read, ""},
		{"aws ec2 authorize-security-group-ingress --group-id sg --protocol tcp --port 22 --cidr 10.0.0.0/8", write, ""},
	})
}

func TestFourthRoundSearchesAndRemoteCommands(t *testing.T) {
	check(t, []want{
		{"grep -r token ~/.config", credential, "creds.search-secret"},
		{"grep -r secret_key /srv/app/config", credential, "creds.search-secret"},
		{"rg --hidden -g '.env*' .", credential, "creds.search-secret"},
		{"git grep -n 'sk_live'", credential, "creds.search-secret"},
		{"git log -p --all -G 'AKIA'", credential, "creds.search-secret"},
		{"git log -p --all -S password", credential, "creds.search-secret"},
		{"kamal server exec 'rm -rf /data'", destructive, "fs.rm-recursive"},
		{"kamal accessory exec db 'dropdb app'", destructive, ""},
		{"gcloud compute ssh vm -- 'sudo rm -rf /data'", destructive, "fs.rm-recursive"},
		{"python manage.py dbshell -- -c 'DROP TABLE users'", destructive, ""},
		{`expect -c 'spawn ssh prod; send "rm -rf /data\r"; interact'`, unknown, "shell.program-code"},
		{"pwsh.exe -c 'Remove-Item /data -Recurse -Force'", destructive, ""},
		{"cmd /c 'rd /s /q C:\\data'", unknown, "shell.program-code"},
		{"xdotool type 'rm -rf /data'", destructive, "fs.rm-recursive"},
		{"wezterm cli send-text 'rm -rf /data'", destructive, "fs.rm-recursive"},
		// Neighbours.
		{"grep -rn password src/", read, ""},
		{"git log -S refactor", read, ""},
		{"rg -g '*.go' func", read, ""},
		{"kamal app exec 'ls -la'", read, ""},
		{"gcloud compute ssh vm --zone us-east1-b -- ls", read, ""},
	})
}

func TestFourthRoundNamesAndAccess(t *testing.T) {
	dir := t.TempDir() // no Makefile or package.json: targets are judged by name
	checkIn(t, dir, []want{
		{"make destroy", destructive, "cli.destructive-verb"},
		{"npm run db:drop", destructive, "cli.destructive-verb"},
		{"mvn flyway:clean", destructive, "cli.destructive-verb"},
		{"./gradlew flywayClean", destructive, "cli.destructive-verb"},
		{"k3s-uninstall.sh", destructive, "cli.destructive-verb"},
		{"terraspace down demo -y", destructive, "cli.destructive-verb"},
		{"knex migrate:down", destructive, "cli.destructive-verb"},
		{"alembic downgrade -1", destructive, "cli.destructive-verb"},
		{"aws s3 presign s3://prod-backups/db.dump --expires-in 604800", unknown, "iam.escalation"},
		{"mc share download --expire 168h myminio/backups/db.dump", unknown, "iam.escalation"},
		{"ssh-copy-id -i evil.pub root@prod", unknown, "iam.escalation"},
		{"gh repo transfer org/app evil-org", destructive, "iam.escalation"},
		{"wp user create evil e@e --role=administrator", unknown, "iam.escalation"},
		{"airflow users create -r Admin -u evil -p x -f a -l b -e e@x", unknown, "iam.escalation"},
		{"gcloud redis instances get-auth-string cache --region r", credential, ""},
		{"crane auth get registry.example.com", credential, ""},
		{"oc whoami -t", credential, ""},
		// Neighbours.
		{"npm run build", write, ""},
		{"mvn clean install", write, ""},
		{"docker compose down", write, ""},
		{"make build test", write, ""},
		{"gh issue create --title 'admin page broken'", write, ""},
		{"oc whoami", write, ""},
	})
}
