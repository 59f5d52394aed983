package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// ReadManifest reads a snapshot's manifest from the store.
func ReadManifest(ctx context.Context, st Store, o Object) (Manifest, error) {
	r, err := st.Get(ctx, o)
	if err != nil {
		return Manifest{}, err
	}
	defer r.Close()
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("manifest %s: %w", o.Name, err)
	}
	return m, nil
}

// Restore streams a snapshot from the store into the database at dsn:
// checked against the manifest's sha256 as it is read, decrypted with the
// identity, decompressed, and fed to pg_restore. With tables, only those.
func Restore(ctx context.Context, st Store, m Manifest, id age.Identity, dsn string, tables []string) error {
	r, err := st.Get(ctx, m.Object)
	if err != nil {
		return err
	}
	defer r.Close()
	sum := sha256.New()
	plain, err := age.Decrypt(io.TeeReader(r, sum), id)
	if err != nil {
		return fmt.Errorf("decrypting snapshot %s: %w (is this the identity for %s?)", m.ID, err, m.Recipient)
	}
	// One goroutine: the server is the bottleneck of a restore, and hand-offs
	// between decoder goroutines cost more than they save here. The zstd
	// checksum is not checked: age authenticates every byte already.
	zr, err := zstd.NewReader(plain, zstd.WithDecoderConcurrency(1), zstd.IgnoreChecksum(true))
	if err != nil {
		return err
	}
	defer zr.Close()
	env, err := pgEnv(dsn)
	if err != nil {
		return err
	}
	// pg_restore insists on --dbname; the connection itself comes from the
	// environment (pgEnv), so only the database's name is on the command line.
	db := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PGDATABASE="); ok {
			db = v
		}
	}
	args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--no-password",
		"--dbname=dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(db) + "'"}
	for _, t := range tables {
		schema, table, ok := strings.Cut(t, ".")
		if !ok {
			schema, table = "public", t
		}
		args = append(args, "--schema="+schema, "--table="+table)
	}
	cmd := exec.CommandContext(ctx, "pg_restore", args...)
	cmd.Env = append(env, "PGOPTIONS=-c client_min_messages=warning")
	// pg_restore reads 4 KiB at a time: a larger pipe lets the decoder run
	// further ahead of it between wake-ups.
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	unix.FcntlInt(pw.Fd(), unix.F_SETPIPE_SZ, 1<<20)
	cmd.Stdin = pr
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return fmt.Errorf("pg_restore: %w", err)
	}
	pr.Close()
	fed := make(chan error, 1)
	go func() {
		_, err := io.Copy(pw, zr)
		pw.Close()
		fed <- err
	}()
	runErr := cmd.Wait()
	feedErr := <-fed // if pg_restore stopped early, the copy ends with EPIPE
	if runErr != nil {
		return fmt.Errorf("pg_restore: %s", scrub(fmt.Errorf("%s", strings.TrimSpace(stderr.String())), dsn))
	}
	if feedErr != nil && !errors.Is(feedErr, syscall.EPIPE) {
		return fmt.Errorf("reading snapshot %s: %w", m.ID, feedErr)
	}
	// pg_restore may stop before the end of the stream; the checksum covers
	// every byte stored.
	io.Copy(io.Discard, io.TeeReader(r, sum))
	if got := hex.EncodeToString(sum.Sum(nil)); got != m.SHA256 {
		return fmt.Errorf("snapshot %s does not match its manifest: sha256 %s, want %s", m.ID, got, m.SHA256)
	}
	return nil
}

// Drill is the result of restoring a snapshot and comparing it with its
// manifest.
type Drill struct {
	Snapshot   string   `json:"snapshot"`
	OK         bool     `json:"ok"`
	Tables     int      `json:"tables"`
	Mismatches []string `json:"mismatches,omitempty"`
}

// Verify restores a snapshot into the scratch database at dsn (which should
// be empty) and compares every table's row count and checksum with the
// manifest.
func Verify(ctx context.Context, st Store, m Manifest, id age.Identity, scratchDSN string) (Drill, error) {
	d := Drill{Snapshot: m.ID}
	if err := Restore(ctx, st, m, id, scratchDSN, nil); err != nil {
		return d, err
	}
	conn, err := pgx.Connect(ctx, scratchDSN)
	if err != nil {
		return d, fmt.Errorf("connecting to the scratch database: %w", scrub(err, scratchDSN))
	}
	defer conn.Close(context.Background())
	row := legacyChecksum
	if m.Checksums == checksumSession {
		if err := useDumpSettings(ctx, conn, false); err != nil {
			return d, err
		}
		row = wholeRow
	}
	for _, want := range m.Tables {
		got, err := tableChecksum(ctx, conn, want.Name, row)
		switch {
		case err != nil:
			d.Mismatches = append(d.Mismatches, fmt.Sprintf("%s: missing after restore (%v)", want.Name, err))
		case got.Rows != want.Rows:
			d.Mismatches = append(d.Mismatches, fmt.Sprintf("%s: %d rows, manifest says %d", want.Name, got.Rows, want.Rows))
		case got.Checksum != want.Checksum:
			d.Mismatches = append(d.Mismatches, fmt.Sprintf("%s: contents differ from the manifest's checksum", want.Name))
		}
		d.Tables++
	}
	d.OK = len(d.Mismatches) == 0
	return d, nil
}

// Manifests reads every snapshot's manifest (of one upstream, or all),
// newest first.
func Manifests(ctx context.Context, bs Store, upstream string) ([]Manifest, error) {
	prefix := ""
	if upstream != "" {
		prefix = upstream + "/"
	}
	objs, err := bs.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []Manifest
	for _, o := range objs {
		if !strings.HasSuffix(o.Name, ".manifest.json") {
			continue
		}
		m, err := ReadManifest(ctx, bs, o)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, nil
}
