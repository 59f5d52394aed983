package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/klauspost/compress/zstd"
)

// Manifest describes one snapshot. It is stored, locked, beside the dump,
// and is what a restore drill checks the restored database against.
type Manifest struct {
	ID            string    `json:"id"`
	Upstream      string    `json:"upstream"`
	Env           string    `json:"env"`
	Time          time.Time `json:"time"`
	Reason        string    `json:"reason"`
	ServerVersion string    `json:"server_version"`
	// Tables are the tables snapshotted: all of the database's, or the
	// ones named for a pre-destruction snapshot.
	Tables      []Table `json:"tables"`
	WholeDB     bool    `json:"whole_database"`
	DumpBytes   int64   `json:"dump_bytes"`   // the archive, before compression
	StoredBytes int64   `json:"stored_bytes"` // compressed and encrypted
	SHA256      string  `json:"sha256"`       // of the stored object
	Object      Object  `json:"object"`
	Recipient   string  `json:"recipient"` // the age public key it is encrypted to
	// Checksums names the session settings the tables' checksums were
	// taken under (checksumSession): pg_dump's own, so that they can be
	// worked out from the rows it streams. Empty in older manifests,
	// taken under the server's defaults.
	Checksums string `json:"checksums,omitempty"`
}

// checksumSession is the Checksums value of a manifest whose checksums
// were taken under dumpSettings.
const checksumSession = "pg_dump-v1"

// dumpSettings are the settings that decide how values are written out in
// pg_dump's session: the ones it sets itself (DateStyle, IntervalStyle,
// extra_float_digits, search_path) and the ones it is given here
// (TimeZone, bytea_output). A checksum over row::text taken under them
// equals one worked out from the dump's COPY rows.
var dumpSettings = [][2]string{{"DateStyle", "ISO"}, {"IntervalStyle", "postgres"}, {"extra_float_digits", "3"},
	{"search_path", ""}, {"TimeZone", "UTC"}, {"bytea_output", "hex"}}

// useDumpSettings sets dumpSettings on q (for the transaction only, when
// local).
func useDumpSettings(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, local bool) error {
	for _, kv := range dumpSettings {
		if _, err := q.Exec(ctx, "SELECT pg_catalog.set_config($1, $2, $3)", kv[0], kv[1], local); err != nil {
			return fmt.Errorf("setting %s: %w", kv[0], err)
		}
	}
	return nil
}

// Table is one table's row count and an order-independent checksum of its
// rows, taken in the same snapshot as the dump.
type Table struct {
	Name     string `json:"name"` // schema.table
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

// Snapshot is what to back up, and where.
type Snapshot struct {
	Upstream string
	Env      string
	DSN      string // Chaperone's credential; never logged
	Tables   []string
	Reason   string
	// Recipient is the age public key (age1...) the dump is encrypted to:
	// backing up needs no private key.
	Recipient string
	Store     Store
	Retain    time.Duration
	Now       func() time.Time
	// LockWait bounds how long the snapshot waits for a table lock another
	// session holds (0: as long as it takes). Before destruction it is
	// short: the session waiting for the snapshot may be the one holding
	// the lock, and would wait forever.
	LockWait time.Duration
	// Progress, when set, is told of the dump bytes read so far and of
	// the size of what is dumped (on-disk size: pg_dump's output is
	// usually smaller, so it is an upper bound).
	Progress func(dumped, estimate int64)
}

// Run dumps the upstream in one consistent snapshot (pg_dump on an
// exported snapshot, with the manifest's counts taken in the same one),
// compresses with zstd, encrypts to the recipient, and writes the object and
// its manifest to the store, both locked until the retention ends.
func (s Snapshot) Run(ctx context.Context) (Manifest, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	recipient, err := age.ParseX25519Recipient(s.Recipient)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup recipient: %w", err)
	}
	conn, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		return Manifest{}, fmt.Errorf("connecting to upstream %s: %w", s.Upstream, scrub(err, s.DSN))
	}
	defer conn.Close(context.Background())
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return Manifest{}, err
	}
	defer tx.Rollback(context.Background())
	var snapshotID, version string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot(), current_setting('server_version')").Scan(&snapshotID, &version); err != nil {
		return Manifest{}, err
	}
	if s.LockWait > 0 {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", s.LockWait.Milliseconds())); err != nil {
			return Manifest{}, err
		}
	}
	if err := useDumpSettings(ctx, tx, true); err != nil {
		return Manifest{}, err
	}
	start := now().UTC()
	m := Manifest{ID: start.Format("20060102T150405Z") + "-" + randomSuffix(), Upstream: s.Upstream, Env: s.Env, Time: start,
		Reason: s.Reason, ServerVersion: version, WholeDB: len(s.Tables) == 0, Recipient: s.Recipient, Checksums: checksumSession}
	names, err := tableNames(ctx, tx, s.Tables)
	if err != nil {
		return Manifest{}, err
	}
	streamed, err := streamableTables(ctx, tx, names)
	if err != nil {
		return Manifest{}, err
	}
	var estimate int64
	for _, n := range names {
		var size int64
		// An error here aborts the transaction the rest needs (a lock wait
		// that ran out, say): it is the snapshot's error.
		if err := tx.QueryRow(ctx, "SELECT coalesce(pg_total_relation_size(to_regclass($1)), 0)", quoteQualified(n)).Scan(&size); err != nil {
			return Manifest{}, fmt.Errorf("sizing %s: %w", n, err)
		}
		estimate += size
	}

	args := []string{"--format=custom", "--compress=0", "--snapshot=" + snapshotID, "--no-password"}
	if s.LockWait > 0 {
		args = append(args, fmt.Sprintf("--lock-wait-timeout=%dms", s.LockWait.Milliseconds()))
	}
	for _, n := range names {
		if !m.WholeDB {
			args = append(args, "--table="+quoteQualified(n))
		}
	}
	env, err := pgEnv(s.DSN)
	if err != nil {
		return Manifest{}, err
	}
	// The dump is killed whenever the pipeline behind it stops reading, so
	// that a failed write never leaves pg_dump blocked on a full pipe.
	dumpCtx, kill := context.WithCancel(ctx)
	defer kill()
	cmd := exec.CommandContext(dumpCtx, "pg_dump", args...)
	cmd.Env = append(dumpEnv(env), "PGOPTIONS=-c TimeZone=UTC -c bytea_output=hex")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dump, err := cmd.StdoutPipe()
	if err != nil {
		return Manifest{}, err
	}
	pipe := 0
	if f, ok := dump.(*os.File); ok {
		// pg_dump writes 4 KiB at a time: the reads of its pipe are
		// paced (pace.go).
		pipe = growPipe(f)
	}
	if err := cmd.Start(); err != nil {
		return Manifest{}, fmt.Errorf("pg_dump: %w", err)
	}

	// pg_dump -> count -> zstd -> age -> sha256 and size -> store
	pr, pw := io.Pipe()
	sum := sha256.New()
	stored := &countingWriter{}
	dumped := &countingReader{r: dump}
	if s.Progress != nil {
		dumped.progress = func(n int64) { s.Progress(n, estimate) }
	}
	// The tables' counts and checksums are worked out from the rows the
	// dump streams past (archive.go), instead of a second scan.
	var sums map[string]*tableSum
	archived := &countingWriter{}
	encoded := make(chan error, 1)
	ahead := newReadAhead(dumped, pipe)
	defer ahead.close()
	go func() {
		var err error
		sums, err = encode(ahead, archived, io.MultiWriter(pw, sum, stored), recipient)
		pw.CloseWithError(err)
		encoded <- err
	}()
	name := s.Upstream + "/" + m.ID + ".dump.zst.age"
	until := start.Add(s.Retain)
	type putResult struct {
		obj Object
		err error
	}
	put := make(chan putResult, 1)
	go func() {
		obj, err := s.Store.Put(ctx, name, pr, until)
		if err != nil {
			pr.CloseWithError(err) // stops the encoder
			kill()
		}
		put <- putResult{obj, err}
	}()
	// Tables whose checksum the dump's rows cannot give are scanned while
	// pg_dump copies the rest: the same snapshot, on other cores.
	tables := map[string]Table{}
	var statsErr error
	scan := func(n string) {
		t, err := TableChecksum(ctx, tx, n)
		if err != nil {
			statsErr = err
			kill()
		}
		tables[n] = t
	}
	for _, n := range names {
		if _, ok := streamed[n]; !ok && statsErr == nil {
			scan(n)
		}
	}
	pres := <-put
	obj, putErr := pres.obj, pres.err
	encErr := <-encoded
	if encErr != nil {
		kill()
	}
	waitErr := cmd.Wait()
	for _, n := range names {
		key, ok := streamed[n]
		if !ok || statsErr != nil {
			continue
		}
		if t, ok := sums[key]; ok {
			tables[n] = Table{Name: n, Rows: t.rows, Checksum: t.checksum()}
		} else if encErr == nil && putErr == nil && waitErr == nil {
			scan(n) // not in an archive this reader knows
		}
	}
	dumpFailed := fmt.Errorf("pg_dump failed: %s", scrub(fmt.Errorf("%s", strings.TrimSpace(stderr.String())), s.DSN))
	if waitErr != nil && strings.TrimSpace(stderr.String()) != "" {
		// pg_dump said why it stopped: that is the cause, and the
		// truncated archive behind it only a consequence.
		return Manifest{}, dumpFailed
	}
	if statsErr != nil {
		return Manifest{}, statsErr
	}
	for _, n := range names {
		m.Tables = append(m.Tables, tables[n])
	}
	if putErr != nil {
		return Manifest{}, putErr
	}
	if waitErr != nil {
		return Manifest{}, dumpFailed
	}
	if encErr != nil {
		return Manifest{}, fmt.Errorf("compressing and encrypting the dump: %w", encErr)
	}
	m.Object, m.DumpBytes, m.StoredBytes, m.SHA256 = obj, archived.n, stored.n, hex.EncodeToString(sum.Sum(nil))
	if err := s.verifyStored(ctx, m); err != nil {
		return Manifest{}, err
	}
	body, _ := json.MarshalIndent(m, "", "  ")
	if _, err := s.Store.Put(ctx, s.Upstream+"/"+m.ID+".manifest.json", bytes.NewReader(body), until); err != nil {
		return Manifest{}, fmt.Errorf("writing the manifest: %w", err)
	}
	return m, nil
}

// verifyStored reads the object back from the store and checks its sha256:
// a snapshot counts only once the store demonstrably holds it.
func (s Snapshot) verifyStored(ctx context.Context, m Manifest) error {
	r, err := s.Store.Get(ctx, m.Object)
	if err != nil {
		return fmt.Errorf("reading the snapshot back: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("reading the snapshot back: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 {
		return fmt.Errorf("the stored snapshot's sha256 is %s, not %s as written", got, m.SHA256)
	}
	return nil
}

// encode rewrites pg_dump's archive (rewriteArchive), counting its bytes
// in archived, compresses it with zstd (all cores) and encrypts it to the
// recipient; sums are the tables' counts and checksums, nil if the archive
// is not one it reads.
func encode(src io.Reader, archived *countingWriter, dst io.Writer, to age.Recipient) (sums map[string]*tableSum, err error) {
	enc, err := age.Encrypt(dst, to)
	if err != nil {
		return nil, err
	}
	// No zstd checksum: age authenticates every byte, and the stored
	// object's sha256 is checked as it is read back.
	zw, err := zstd.NewWriter(enc, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false))
	if err != nil {
		return nil, err
	}
	if sums, err = rewriteArchive(src, io.MultiWriter(zw, archived)); err != nil {
		zw.Close()
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return sums, enc.Close()
}

// tableNames lists the tables to snapshot: names as given, or every
// ordinary table outside the system schemas.
func tableNames(ctx context.Context, tx pgx.Tx, names []string) ([]string, error) {
	if len(names) > 0 {
		return names, nil
	}
	// schema.table, as quoted SQL when the schema's name holds a dot
	// (quoteQualified leaves that form alone).
	rows, err := tx.Query(ctx, `SELECT CASE WHEN strpos(n.nspname, '.') > 0 THEN quote_ident(n.nspname) || '.' || quote_ident(c.relname)
		ELSE n.nspname || '.' || c.relname END
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// dumpEnv is env without the variables that would change how pg_dump's
// session writes values out, which the checksums worked out from its rows
// depend on: the dump is in the database's own encoding (as the server
// hashes rows), with dumpSettings.
func dumpEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PGCLIENTENCODING", "PGTZ", "PGDATESTYLE", "PGOPTIONS":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// streamableTables maps each of names whose checksum the dump's rows give
// to the key the archive names its data by (archiveKey): an ordinary table
// with at least one column (a row of none is an empty line, as is a row of
// one empty string), no generated column (pg_dump leaves those out of its
// rows) and no inheritance children (a scan of it reads theirs too). Names that do not
// resolve are left to the scan, to fail there.
func streamableTables(ctx context.Context, tx pgx.Tx, names []string) (map[string]string, error) {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = quoteQualified(n)
	}
	rows, err := tx.Query(ctx, `SELECT q.i, n.nspname, c.relname
		FROM unnest($1::text[]) WITH ORDINALITY AS q(name, i)
		JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(q.name)
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r'
		AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits h WHERE h.inhparent = c.oid)
		AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
			AND NOT a.attisdropped AND a.attgenerated <> '')
		AND EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)`, quoted)
	if err != nil {
		return nil, fmt.Errorf("listing the tables' columns: %w", err)
	}
	out := map[string]string{}
	for rows.Next() {
		var i int
		var schema, table string
		if err := rows.Scan(&i, &schema, &table); err != nil {
			return nil, err
		}
		out[names[i-1]] = archiveKey(schema, table)
	}
	return out, rows.Err()
}

// Querier is what TableChecksum needs: a connection or a transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// TableChecksum counts a table's rows and sums a 64-bit hash of each row's
// text (hashtextextended, PostgreSQL's stable hash, the one hash
// partitioning relies on): independent of row order and of physical layout,
// so a restored table matches its original exactly when its contents do.
func TableChecksum(ctx context.Context, q Querier, name string) (Table, error) {
	return tableChecksum(ctx, q, name, wholeRow)
}

// wholeRow is the row of the table aliased t, whatever its columns are
// called.
const wholeRow = "ROW(t.*)"

// legacyChecksum is how manifests without Checksums wrote a row: t::text,
// which names the column t instead of the row when the table has one.
const legacyChecksum = "t"

// tableChecksum is TableChecksum with row as the expression for the row
// of the table aliased t.
func tableChecksum(ctx context.Context, q Querier, name, row string) (Table, error) {
	t := Table{Name: name}
	qn := quoteQualified(name)
	err := q.QueryRow(ctx, `SELECT count(*), coalesce(pg_catalog.sum(pg_catalog.hashtextextended(`+row+`::text, 0)), 0)::text
		FROM `+qn+` t`).Scan(&t.Rows, &t.Checksum)
	if err != nil {
		return t, fmt.Errorf("counting %s: %w", name, err)
	}
	return t, nil
}

// quoteQualified quotes schema.table (a name without a schema is public).
func quoteQualified(name string) string {
	if strings.HasPrefix(name, `"`) {
		return name // quoted already
	}
	schema, table, ok := strings.Cut(name, ".")
	if !ok {
		schema, table = "public", name
	}
	return pgx.Identifier{schema, table}.Sanitize()
}

// scrub removes a DSN (and so its password) from an error message.
func scrub(err error, dsn string) error {
	msg := err.Error()
	if dsn != "" {
		msg = strings.ReplaceAll(msg, dsn, "[upstream]")
	}
	return fmt.Errorf("%s", msg)
}

type countingReader struct {
	r        io.Reader
	n        int64
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(c.n)
	}
	return n, err
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func randomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// pgEnv passes a DSN to PostgreSQL's own tools through their environment,
// which only the same user can read, never through argv, which anyone can.
func pgEnv(dsn string) ([]string, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("the upstream DSN does not parse")
	}
	// Never weaker than the DSN asked for: verified TLS stays verified.
	ssl := "disable"
	switch {
	case cfg.TLSConfig != nil && cfg.TLSConfig.InsecureSkipVerify:
		ssl = "require"
	case cfg.TLSConfig != nil:
		ssl = "verify-full"
	}
	return append(os.Environ(), "PGHOST="+cfg.Host, fmt.Sprintf("PGPORT=%d", cfg.Port), "PGUSER="+cfg.User,
		"PGPASSWORD="+cfg.Password, "PGDATABASE="+cfg.Database, "PGSSLMODE="+ssl, "PGCONNECT_TIMEOUT=10"), nil
}

// AffectedTables turns a destructive statement's targets into the tables a
// snapshot must hold. Only when every target is an existing table is the
// snapshot limited to them; anything else (a schema, an index, a function,
// a column, a database, a name that does not resolve) takes the whole
// database, since the damage cannot be bounded by table.
func AffectedTables(ctx context.Context, dsn string, targets []string) (tables []string, whole bool, err error) {
	if len(targets) == 0 {
		return nil, true, nil
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, false, fmt.Errorf("connecting to the upstream: %w", scrub(err, dsn))
	}
	defer conn.Close(context.Background())
	for _, t := range targets {
		var name *string
		err := conn.QueryRow(ctx, `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`, t).Scan(&name)
		if err == pgx.ErrNoRows || (err == nil && name == nil) {
			return nil, true, nil
		}
		if err != nil {
			// to_regclass rejects malformed names: not a table either.
			return nil, true, nil
		}
		tables = append(tables, *name)
	}
	return tables, false, nil
}
