package shell

import "testing"

// CamelCase API actions, deep subcommands, and settings read by their
// names and values whatever the program.
func TestSettingsAndActionsReadByName(t *testing.T) {
	check(t, []want{
		{"aliyun ecs DeleteInstance --InstanceId i-1 --Force true", destructive, "cli.destructive-verb"},
		{"tccli cvm TerminateInstances --InstanceIds x", destructive, "cli.destructive-verb"},
		{"aliyun kms ScheduleKeyDeletion --KeyId k", destructive, "cli.destructive-verb"},
		{"tccli cdb IsolateDBInstance --InstanceId x", destructive, "cli.destructive-verb"},
		{"aliyun ecs ResetDisk --DiskId d", destructive, "cli.destructive-verb"},
		{"hcloud server rebuild s --image ubuntu-22.04", destructive, "cli.destructive-verb"},
		{"doctl compute domain records delete example.com 123 --force", destructive, "cli.destructive-verb"},
		{"etcdctl compaction 99", destructive, "cli.destructive-verb"},
		{"nodetool clearsnapshot --all", destructive, "cli.destructive-verb"},
		{"aliyun kms GetSecretValue --SecretName db", credential, "creds.cli-credential"},
		{"tccli ssm GetSecretValue --SecretName x", credential, "creds.cli-credential"},
		{"aws dynamodb update-continuous-backups --table-name t --point-in-time-recovery-specification PointInTimeRecoveryEnabled=false", destructive, "ops.protection-off"},
		{"az backup vault backup-properties set -n v -g rg --soft-delete-feature-state Disable", destructive, "ops.protection-off"},
		{"az storage account blob-service-properties update --account-name sa --enable-versioning false", destructive, "ops.protection-off"},
		{"aliyun ecs ModifyInstanceAttribute --InstanceId i --DeletionProtection false", destructive, "ops.protection-off"},
		{"aws eks update-nodegroup-config --cluster-name c --nodegroup-name n --scaling-config minSize=0,maxSize=0,desiredSize=0", destructive, "ops.scale-to-zero"},
		{"eksctl scale nodegroup --cluster prod --name ng --nodes 0", destructive, "ops.scale-to-zero"},
		{"kubectl autoscale deploy api --min=0 --max=0", destructive, "ops.scale-to-zero"},
		{"helm upgrade api ./chart --set replicaCount=0", destructive, "ops.scale-to-zero"},
		{"kubectl expose deploy db --type=LoadBalancer --port 5432", destructive, "ops.expose"},
		{"kubectl create service nodeport db --tcp=5432:5432", destructive, "ops.expose"},
		{`kubectl patch svc db -p '{"spec":{"type":"LoadBalancer"}}'`, destructive, "ops.expose"},
		{"kubectl port-forward --address 0.0.0.0 svc/db 5432", destructive, "ops.expose"},
		{"aws rds modify-db-instance --db-instance-identifier d --publicly-accessible", destructive, "ops.expose"},
		{"az storage account update -n sa -g rg --default-action Allow", destructive, "ops.expose"},
		{`kubectl patch pvc data -p '{"metadata":{"finalizers":null}}'`, destructive, "k8s.finalizers"},
		{`kubectl patch pv pv1 --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]'`, destructive, "k8s.finalizers"},
		{"kubectl annotate pvc data helm.sh/resource-policy-", destructive, "k8s.finalizers"},
		{"argocd admin export -n argocd", credential, "creds.cli-credential"},
		{"argocd app set prod --sync-policy automated --auto-prune", destructive, "ops.prune"},
		{`aws route53 change-resource-record-sets --hosted-zone-id Z --change-batch '{"Changes":[{"Action":"DELETE","ResourceRecordSet":{"Name":"a"}}]}'`, destructive, "cloud.dns-delete"},
		{"gcloud pubsub subscriptions seek s --time=2099-01-01T00:00:00Z", destructive, "ops.seek"},
		{"gcloud sql instances patch prod --retained-backups-count=1", destructive, "data.retention-cut"},
		{`mysql -e "SET GLOBAL binlog_expire_logs_seconds=1"`, destructive, "keyword.sql-log-retention"},
		{`mysql -e "PURGE BINARY LOGS BEFORE NOW()"`, destructive, "keyword.sql-log-retention"},
		{`mongosh --eval "db.adminCommand({replSetResizeOplog:1, size:990})"`, destructive, "mongo.destructive"},
		// What stays a write or a read.
		{"aliyun ecs DescribeInstances", write, ""},
		{"aliyun ecs CreateInstance", write, ""},
		{"aliyun kms Encrypt --KeyId k", write, ""},
		{"electron-rebuild", write, ""},
		{"aws eks update-nodegroup-config --cluster-name c --nodegroup-name n --scaling-config minSize=0,maxSize=3,desiredSize=2", write, ""},
		{"az storage account blob-service-properties update --account-name sa --enable-versioning true", write, ""},
		{"az vm update -g rg -n vm --size Standard_D2s_v3", write, ""},
		{"helm upgrade api ./chart --set replicaCount=3", write, ""},
		{"kubectl expose deploy web --port 80", write, ""},
		{"kubectl port-forward svc/db 5432", write, ""},
		{`aws route53 change-resource-record-sets --hosted-zone-id Z --change-batch '{"Changes":[{"Action":"UPSERT"}]}'`, write, ""},
		{"gcloud sql instances patch prod --retained-backups-count=14", write, ""},
		{`mysql -e "SET GLOBAL max_connections=500"`, write, ""},
	})
}

// A plan shows what an apply would change and changes nothing: the values
// it is given are a question. A plan saved for a later apply is judged as
// that apply.
func TestPlansAreQuestionsUnlessSaved(t *testing.T) {
	check(t, []want{
		{"terraform plan -var deletion_protection=false", read, ""},
		{"terraform -chdir=infra plan -var enable_backups=false", read, ""},
		{"tofu plan -var 'versioning=disabled'", read, ""},
		{"pulumi preview --config db:deletionProtection=false", read, ""},
		{"terraform plan -var deletion_protection=false -out tfplan", destructive, "ops.protection-off"},
		{"terraform plan -var deletion_protection=false -out=tfplan", destructive, "ops.protection-off"},
		{"pulumi preview --config db:deletionProtection=false --save-plan p.json", destructive, "ops.protection-off"},
		{"terraform apply -var deletion_protection=false", destructive, "ops.protection-off"},
		{"pulumi up --config db:deletionProtection=false", destructive, "ops.protection-off"},
		{"terraform plan -destroy -out p && terraform apply p", destructive, ""},
	})
}
