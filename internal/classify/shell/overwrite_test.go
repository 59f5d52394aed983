package shell

import (
	"os"
	"path/filepath"
	"testing"
)

// Whatever carries an upload, nothing stored over an object empties it.
func TestNothingUploadedOverStoredData(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "empty.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.db"), []byte("rows\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkIn(t, dir, []want{
		// Standard input that carries nothing.
		{"aws s3 cp - s3://b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"echo -n | aws s3 cp - s3://b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"printf '' | gsutil cp - gs://b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"cat /dev/null | gcloud storage cp - gs://b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"rclone rcat remote:b/app.db < /dev/null", destructive, "cloud.overwrite-with-nothing"},
		{"echo | mc pipe s3/b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"mc pipe s3/b/app.db <<< ''", destructive, "cloud.overwrite-with-nothing"},
		{"true | wrangler r2 object put b/app.db --pipe", destructive, "cloud.overwrite-with-nothing"},
		{"hdfs dfs -put -f - /data/app.db < /dev/null", destructive, "cloud.overwrite-with-nothing"},
		// Devices.
		{"aws s3 mv /dev/zero s3://b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"s3cmd put /dev/null s3://b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"azcopy copy /dev/null https://acct.blob.core.windows.net/c/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"curl -T /dev/null https://b.s3.amazonaws.com/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"az storage blob upload --data '' -c c -n app.db --overwrite", destructive, "cloud.overwrite-with-nothing"},
		{"oci os object put -bn b --name app.db --file /dev/null --force", destructive, "cloud.overwrite-with-nothing"},
		{"scp /dev/null db1:/var/lib/app/app.db", destructive, ""},
		// An empty file: on disk, or emptied or created by the line.
		{"aws s3 cp empty.db s3://b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{": > data.db && aws s3 cp data.db s3://b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"> data.db; gsutil cp data.db gs://b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"truncate -s0 data.db && rclone copyto data.db r:b/app.db", destructive, "cloud.overwrite-with-nothing"},
		{"touch new.db; b2 upload-file b new.db app.db", destructive, "cloud.overwrite-with-nothing"},
		{"echo '' > x && rsync x db1:/srv/app.db", destructive, "cloud.overwrite-with-nothing"},
		// Data, which a deploy or a backup uploads.
		{"aws s3 cp data.db s3://b/app.db", write, ""},
		{"pg_dump app | aws s3 cp - s3://b/app.dump", write, ""},
		{"echo '{\"v\":2}' | aws s3 cp - s3://b/flag.json", write, ""},
		{"hdfs dfs -put /dev/null /data/new", write, ""},
		{"aws s3 cp s3://b/app.db ./empty.db", write, ""},
		{"touch data.db; aws s3 cp data.db s3://b/app.db", write, ""},
	})
}

// Producers known to print nothing, mktemp's new empty file, and an empty
// PUT to an object store.
func TestEmptyContentFromGeneratorsAndRequests(t *testing.T) {
	check(t, []want{
		{"head -c0 /etc/hosts | aws s3 cp - s3://b/k", destructive, "cloud.overwrite-with-nothing"},
		{"yes | head -n0 | aws s3 cp - s3://b/k", destructive, "cloud.overwrite-with-nothing"},
		{"cat big.sql | tail --lines=0 | gsutil cp - gs://b/k", destructive, "cloud.overwrite-with-nothing"},
		{"jq -n empty | aws s3 cp - s3://b/k", destructive, "cloud.overwrite-with-nothing"},
		{"sleep 1 | rclone rcat r:b/k", destructive, "cloud.overwrite-with-nothing"},
		{"grep nomatch /dev/null | aws s3 cp - s3://b/k", destructive, "cloud.overwrite-with-nothing"},
		{"printf '' | sort | aws s3 cp - s3://b/k", destructive, "cloud.overwrite-with-nothing"},
		{"aws s3 cp $(mktemp) s3://b/k", destructive, "cloud.overwrite-with-nothing"},
		{"F=$(mktemp /tmp/x.XXXX); aws s3 cp $F s3://b/k", destructive, "cloud.overwrite-with-nothing"},
		{"curl -X PUT -d '' https://bucket.s3.amazonaws.com/k", destructive, "cloud.overwrite-with-nothing"},
		{"curl -X PUT --data-binary @/dev/null https://b.s3.us-east-1.amazonaws.com/k", destructive, "cloud.overwrite-with-nothing"},
		{"http PUT https://storage.googleapis.com/b/k < /dev/null", destructive, "cloud.overwrite-with-nothing"},
		{"curl -X PUT -H 'x-ms-blob-type: BlockBlob' https://acct.blob.core.windows.net/c/b", destructive, "cloud.overwrite-with-nothing"},
		{"pg_dump db | aws s3 cp - s3://b/k", write, ""},
		{"F=$(mktemp); pg_dump db > $F; aws s3 cp $F s3://b/k", write, ""},
		{"head -n 5 f | aws s3 cp - s3://b/k", write, ""},
		{"tail -n +0 f | aws s3 cp - s3://b/k", write, ""},
		{"curl -X PUT --data-binary @build.tar https://b.s3.amazonaws.com/k", write, ""},
		{"curl -X PUT -d '{}' https://api.example.com/x", write, ""},
		{"curl -X POST -d @/dev/null https://api.example.com/x", write, ""},
	})
}
