package shell

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAccessOpenedToEveryoneOrDenied(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"deny.json":  `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`,
		"open.json":  `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*"}]}`,
		"allow.json": `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/ci"},"Action":"s3:GetObject","Resource":"*"}]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkIn(t, dir, []want{
		{"aws rds modify-db-snapshot-attribute --db-snapshot-identifier s --attribute-name restore --values-to-add all", destructive, "ops.expose"},
		{"aws ec2 modify-snapshot-attribute --snapshot-id s --attribute createVolumePermission --operation-type add --group-names all", destructive, "ops.expose"},
		{`aws ec2 modify-image-attribute --image-id i --launch-permission "Add=[{Group=all}]"`, destructive, "ops.expose"},
		{"aws s3api put-bucket-acl --bucket b --acl public-read", destructive, "ops.expose"},
		{"aws s3api put-object-acl --bucket b --key k --grant-read uri=http://acs.amazonaws.com/groups/global/AllUsers", destructive, "ops.expose"},
		{"aws s3api put-public-access-block --bucket b --public-access-block-configuration BlockPublicAcls=false,RestrictPublicBuckets=false", destructive, "ops.expose"},
		{"aws s3api put-bucket-policy --bucket b --policy file://open.json", destructive, "ops.expose"},
		{"aws s3 cp s3://b/db.dump s3://b/db.dump --acl public-read", destructive, "ops.expose"},
		{"aws ec2 authorize-security-group-ingress --group-id sg --protocol tcp --port 5432 --cidr 0.0.0.0/0", destructive, "ops.expose"},
		{`aws lambda add-permission --function-name f --principal "*" --action lambda:InvokeFunction --statement-id s`, destructive, "ops.expose"},
		{"gsutil iam ch allUsers:objectViewer gs://b", destructive, "ops.expose"},
		{"gcloud storage buckets add-iam-policy-binding gs://b --member=allAuthenticatedUsers --role=roles/storage.objectViewer", destructive, "ops.expose"},
		{"az storage container set-permission -n c --public-access blob", destructive, "ops.expose"},
		{"az postgres flexible-server firewall-rule create -n r --start-ip-address 0.0.0.0 --end-ip-address 255.255.255.255", destructive, "ops.expose"},
		{`aws iam put-user-policy --user-name admin --policy-name p --policy-document '{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'`, destructive, "cloud.lockout"},
		{"aws s3api put-bucket-policy --bucket b --policy file://deny.json", destructive, "cloud.lockout"},
		{"aws kms put-key-policy --key-id k --policy-name default --policy file://allow.json", destructive, "cloud.lockout"},
		{"aws iam update-assume-role-policy --role-name r --policy-document file://allow.json", destructive, "cloud.lockout"},
		{"gcloud projects set-iam-policy proj policy.json", destructive, "cloud.lockout"},
		{"gsutil iam set policy.json gs://b", destructive, "cloud.lockout"},
		// Reads, ordinary grants, web ports and the workspace's own site.
		{"aws s3api get-bucket-acl --bucket b", read, ""},
		{"aws iam put-role-policy --role-name r --policy-name p --policy-document file://allow.json", write, ""},
		{"aws ec2 authorize-security-group-ingress --group-id sg --protocol tcp --port 443 --cidr 0.0.0.0/0", write, ""},
		{"aws ec2 authorize-security-group-egress --group-id sg --protocol -1 --cidr 0.0.0.0/0", write, ""},
		{"aws s3 sync ./site s3://b --acl public-read", write, ""},
	})
}

// Other tools' spellings of "everyone" and of a denying policy.
func TestOtherPublicAndDenyingForms(t *testing.T) {
	check(t, []want{
		{"mc anonymous set public myminio/bucket", destructive, "ops.expose"},
		{"mc anonymous set download myminio/bucket", destructive, "ops.expose"},
		{"mc policy set public myminio/b", destructive, "ops.expose"},
		{"s3cmd setacl --acl-public --recursive s3://b", destructive, "ops.expose"},
		{"s3cmd sync --acl-public s3://a s3://b", destructive, "ops.expose"},
		{"oci os bucket update --name b --public-access-type ObjectRead", destructive, "ops.expose"},
		{"b2 update-bucket b allPublic", destructive, "ops.expose"},
		{"rclone copy s3:private s3:b --s3-acl public-read", destructive, "ops.expose"},
		{`az network nsg rule create -g rg --nsg-name n -n r --priority 100 --source-address-prefixes "*" --destination-port-ranges 22`, destructive, "ops.expose"},
		{"az network nsg rule create -g rg --nsg-name n -n r --priority 100 --source-address-prefixes Internet --destination-port-ranges 5432", destructive, "ops.expose"},
		{"aws iam attach-role-policy --role-name app --policy-arn arn:aws:iam::aws:policy/AWSDenyAll", destructive, "cloud.lockout"},
		{"aws iam put-role-permissions-boundary --role-name app --permissions-boundary arn:aws:iam::aws:policy/AWSDenyAll", destructive, "cloud.lockout"},
		{"aws organizations attach-policy --policy-id p-123 --target-id r-abc", destructive, "cloud.lockout"},
		{"gcloud iam policies create deny-all --attachment-point=x --kind=denypolicies --policy-file=p.json", destructive, "cloud.lockout"},
		{"mc anonymous set none myminio/bucket", write, ""},
		{"s3cmd put --acl-public site/index.html s3://b/index.html", write, ""},
		{"rclone copy ./site s3:b --s3-acl public-read", write, ""},
		{"oci os bucket update --name b --public-access-type NoPublicAccess", write, ""},
		{"aws iam attach-role-policy --role-name app --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess", write, ""},
		{"az network nsg rule create -g rg --nsg-name n -n r --priority 100 --source-address-prefixes Internet --destination-port-ranges 443", write, ""},
		{"az network nsg rule create -g rg --nsg-name n -n r --priority 100 --source-address-prefixes 10.0.0.0/8 --destination-port-ranges 22", write, ""},
	})
}
