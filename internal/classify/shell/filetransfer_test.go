package shell

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileTransferScriptsAreRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cmds.txt"), []byte("cd /www\n-rm index.html\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "get.txt"), []byte("cd /www\nget index.html\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkIn(t, dir, []want{
		{"echo 'rm x' | sftp host", destructive, "ftp.remote-delete"},
		{"sftp -b cmds.txt host", destructive, "ftp.remote-delete"},
		{"sftp -b - host <<< 'rmdir /srv/app'", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h; rm -r /www'", destructive, "ftp.remote-delete"},
		{"lftp -e 'mirror -R --delete . /www; quit' ftp.example.com", destructive, "ftp.remote-delete"},
		{"lftp -e 'glob rm *.sql; quit' h", destructive, "ftp.remote-delete"},
		{"smbclient //h/share -c 'deltree data'", destructive, "ftp.remote-delete"},
		{"ftp -n h <<< 'mdelete *'", destructive, "ftp.remote-delete"},
		{"sftp h <<< '!rm -rf ~'", destructive, "fs.rm-recursive"},
		{"lftp -c 'source more.lftp'", unknown, "shell.program-code"},
		{"sftp -b missing.txt host", unknown, "shell.program-code"},
		{"cat list | sftp h", unknown, "shell.program-code"},
		{"sftp -b get.txt host", write, ""},
		{"lftp -c 'open h; ls'", write, ""},
		{"sftp h <<< 'get db.dump'", write, ""},
		{"smbclient //h/share -c 'ls'", write, ""},
	})
}

// Other spellings of a delete in these shells: chained, aliased, evaluated,
// sent raw, or a transfer that deletes its source.
func TestTransferShellSpellings(t *testing.T) {
	check(t, []want{
		{"lftp -c 'open h && rm -r /data'", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h || rm f'", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h; alias x rm; x f'", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h; eval rm f'", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h; quote DELE f'", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h; site RMD d'", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h; repeat -d 5 rm f'", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h; get -E f'", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h; mirror --Remove-source-files /d ./d'", destructive, "ftp.remote-delete"},
		{"smbclient //s/x -c 'rd dir'", destructive, "ftp.remote-delete"},
		{"smbclient //s/x -c 'posix_unlink f'", destructive, "ftp.remote-delete"},
		{"smbclient //s/x -Tx backup.tar", destructive, "ftp.remote-delete"},
		{"lftp -c 'open h; get f; ls; mirror /d ./d'", write, ""},
		{"smbclient //s/x -Tc backup.tar", write, ""},
		{"lftp -c 'open h; cls -la'", write, ""},
	})
}
