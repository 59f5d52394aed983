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
