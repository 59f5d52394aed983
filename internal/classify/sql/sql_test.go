package sql

import (
	"slices"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
)

func ids(r Result) []string {
	var out []string
	for _, x := range r.Reasons {
		out = append(out, x.ID)
	}
	return out
}

const (
	R = action.ClassRead
	W = action.ClassWrite
	U = action.ClassUnknown
	D = action.ClassDestructive
	C = action.ClassCredentialAccess
)

// cases is every form the classifier must get right; shape_test.go also
// runs each with its literals changed.
var cases = []struct {
	sql   string
	class action.Class
	id    string // a finding that must be present ("" for none)
}{
	// Reads and ordinary writes.
	{"SELECT * FROM bookings WHERE id = 1", R, ""},
	{"select count(*) from bookings; show search_path; begin; commit", R, ""},
	{"EXPLAIN DELETE FROM bookings", R, ""},
	{"SELECT 'DROP TABLE bookings' AS text", R, ""},
	{"-- DROP TABLE bookings\nSELECT 1", R, ""},
	{"INSERT INTO bookings VALUES (1)", W, "sql.write"},
	// The server's own objects, from any database: the catalog, foreign
	// servers, extensions, databases' comments and grants.
	{"insert into pg_authid (oid, rolname, rolsuper) values (1, 'x', true)", C, "sql.cluster"},
	{"INSERT INTO pg_catalog.pg_db_role_setting SELECT oid, 0, '{session_replication_role=replica}' FROM pg_database", D, "sql.cluster"},
	{"UPDATE pg_class SET relhastriggers = false WHERE relname = 'bookings'", D, "sql.cluster"},
	{"DELETE FROM pg_catalog.pg_constraint WHERE conname = 'fk'", D, "sql.cluster"},
	{"COPY pg_authid FROM STDIN", C, "sql.cluster"},
	{"COPY pg_db_role_setting FROM STDIN", D, "sql.cluster"},
	// Views and rules over the catalog write it through themselves (DELETE
	// FROM a view over pg_database drops a database); a function named like
	// a built-in is what calls of that name may run.
	{"create view dbs as select * from pg_database", D, "sql.cluster"},
	{"CREATE OR REPLACE VIEW v AS SELECT datname FROM pg_catalog.pg_database", D, "sql.cluster"},
	{"create view procs as select * from (select * from pg_proc) x", D, "sql.cluster"},
	{"create view drs as select * from pg_db_role_setting where true", D, "sql.cluster"},
	{"create rule r as on insert to bookings do also delete from pg_database", D, "sql.cluster"},
	{"create function public.lower(integer) returns text language sql as $$select 'x'::text$$", D, "sql.shadow-builtin"},
	{"CREATE AGGREGATE sum(int) (sfunc = int4pl, stype = int)", D, "sql.shadow-builtin"},
	// A function of a row is what reading t.f runs, unnamed.
	{"CREATE FUNCTION wipe(hook) RETURNS int LANGUAGE sql AS 'SELECT 1'", U, "sql.row-function"},
	{"CREATE FUNCTION wipe(public.hook, n int DEFAULT 1) RETURNS int LANGUAGE sql AS 'SELECT 1'", U, "sql.row-function"},
	{"CREATE FUNCTION wipe(OUT n int, r record) LANGUAGE sql AS 'SELECT 1'", U, "sql.row-function"},
	{"CREATE FUNCTION wipe(anyelement) RETURNS int LANGUAGE sql AS 'SELECT 1'", U, "sql.row-function"},
	{"CREATE FUNCTION add1(int) RETURNS int LANGUAGE sql AS 'SELECT $1 + 1'", W, "sql.ddl"},
	{"CREATE FUNCTION f(a text, b int) RETURNS int LANGUAGE sql AS 'SELECT 1'", W, "sql.ddl"},
	{"CREATE FUNCTION f(a hook[]) RETURNS int LANGUAGE sql AS 'SELECT 1'", W, "sql.ddl"},
	{"CREATE PROCEDURE p(a hook) LANGUAGE sql AS 'SELECT 1'", W, "sql.ddl"},
	{"begin; lock table pg_catalog.pg_database in access exclusive mode", D, "sql.cluster"},
	{"create view v as select * from bookings", W, "sql.ddl"},
	{"create function my_total(integer) returns int language sql as $$select 1$$", W, "sql.ddl"},
	{"select * from pg_database", R, ""},
	{"CREATE EXTENSION postgres_fdw", D, "sql.cluster"},
	{"CREATE SERVER prod FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'prod')", D, "sql.cluster"},
	{"CREATE USER MAPPING FOR CURRENT_USER SERVER prod OPTIONS (user 'x')", D, "sql.cluster"},
	{"CREATE FOREIGN TABLE f (id int) SERVER prod", D, "sql.cluster"},
	{"IMPORT FOREIGN SCHEMA public FROM SERVER prod INTO x", D, "sql.cluster"},
	{"COMMENT ON DATABASE prod IS 'x'", D, "sql.cluster"},
	{"GRANT CONNECT ON DATABASE prod TO PUBLIC", D, "sql.cluster"},
	{"COMMENT ON TABLE bookings IS 'x'", W, "sql.ddl"},
	{"GRANT SELECT ON bookings TO reporting", W, "sql.ddl"},
	{"COPY bookings FROM '/etc/postgresql/pgpass'", C, "sql.read-server-file"},
	{"SELECT usename, passwd FROM pg_shadow", C, "sql.read-credentials"},
	{"SELECT rolpassword FROM pg_catalog.pg_authid", C, "sql.read-credentials"},
	{"SELECT * FROM pg_user_mappings", C, "sql.read-credentials"},
	{"SELECT * FROM pg_roles", R, ""},
	{"SET log_statement = 'none'", D, "sql.superuser-setting"},
	{"SET LOCAL track_activities = off", D, "sql.superuser-setting"},
	{"SELECT set_config('zero_damaged_pages', 'on', false)", D, "sql.superuser-setting"},
	{"RESET log_statement", R, ""},
	{"SET statement_timeout = '5s'", R, ""},
	{"SET transform_null_equals = on", D, "sql.session-meaning"},
	// A table joined with itself reaches every row.
	{"insert into orders select * from orders on conflict (id) do update set total = null", D, "sql.update-all"},
	{"insert into orders select * from staged on conflict (id) do update set total = excluded.total", W, "sql.write"},
	{"merge into events e using events s on e.id = s.id when matched then delete", D, "sql.delete-all"},
	{"merge into events e using incoming s on e.id = s.id when matched then delete", W, "sql.write"},
	{"delete from audit_copy.ledger where id in (select id from audit_copy.ledger)", D, "sql.delete-all"},
	// A condition and its negation, ORed: one holds for every row.
	{"delete from orders where total is not null or total is null", D, "sql.delete-all"},
	{"delete from orders where id = 1 or not (id = 1)", D, "sql.delete-all"},
	{"update customers set email = null where id < 5 or id >= 5", D, "sql.update-all"},
	{"delete from orders where id <> 3 or id = 3", D, "sql.delete-all"},
	{"delete from orders where id = 3 or id = 4", W, "sql.write"},
	{"delete from orders where status is null", W, "sql.write"},
	{"delete from ledger where id in (select id from ledger where amount < 0)", W, "sql.write"},
	// A name inside a subquery with a FROM of its own is that FROM's; a
	// PL/pgSQL variable or a parameter is not a column.
	{"delete from events where (select b from (select true as b) s)", D, "sql.delete-all"},
	{"update events set kind = 'x' where (select b from (select true as b) s)", D, "sql.update-all"},
	{"delete from events where exists (select 1 from (values (1)) s(x) where x = 1)", D, "sql.delete-all"},
	{"DO $$DECLARE v boolean := true; BEGIN DELETE FROM events WHERE v; END$$", D, "sql.delete-all"},
	{"CREATE FUNCTION purge(keep boolean) RETURNS void LANGUAGE sql AS 'DELETE FROM events WHERE keep'", D, "sql.delete-all"},
	{"delete from events where exists (select 1 from orders o where o.id = events.id)", W, "sql.write"},
	{"DO $$DECLARE cutoff int := 5; BEGIN DELETE FROM events WHERE id < cutoff; END$$", W, "sql.write"},
	// True or false whatever the row.
	{"delete from events where (id is null) is not null", D, "sql.delete-all"},
	{"delete from events where not (id is null and id is not null)", D, "sql.delete-all"},
	{"delete from events where id between id and id", D, "sql.delete-all"},
	{"delete from events where id in (select id)", D, "sql.delete-all"},
	{"delete from events where id = any(array[id])", D, "sql.delete-all"},
	{"delete from events where id in (1, id)", D, "sql.delete-all"},
	{"delete from events where case when id is null then true else true end", D, "sql.delete-all"},
	{"delete from events where id between 1 and 10", W, "sql.write"},
	{"delete from events where id = any(array[1, 2])", W, "sql.write"},
	{"delete from events where case when id > 5 then true else false end", W, "sql.write"},
	{"DELETE FROM events WHERE NOT (id < id)", D, "sql.delete-all"},
	{"UPDATE customers SET name = 'x' WHERE NOT name <> name", D, "sql.update-all"},
	{"UPDATE customers SET email = NULL WHERE (id = id) IS NOT FALSE", D, "sql.update-all"},
	{"DELETE FROM events WHERE id = ALL(SELECT id)", D, "sql.delete-all"},
	{"DELETE FROM events WHERE id < ALL(SELECT id)", W, "sql.write"},
	{"DELETE FROM orders USING orders o2 WHERE o2.id = orders.id", D, "sql.delete-all"},
	{"UPDATE orders SET total = 0 FROM orders o2 WHERE orders.id = o2.id", D, "sql.update-all"},
	{"DELETE FROM orders USING customers c WHERE c.id = orders.customer_id", W, "sql.write"},
	{"DELETE FROM orders WHERE EXISTS (SELECT FROM orders o2 WHERE o2.id = orders.id)", D, "sql.delete-all"},
	{"DELETE FROM orders WHERE EXISTS (SELECT FROM orders o2 WHERE o2.id = orders.id + 1)", W, "sql.write"},
	{"DELETE FROM events WHERE id = coalesce(id)", D, "sql.delete-all"},
	{"DELETE FROM events WHERE id = greatest(id)", D, "sql.delete-all"},
	{"DELETE FROM events WHERE ARRAY[id] <@ ARRAY[id]", D, "sql.delete-all"},
	{"DELETE FROM events WHERE xmin IS NOT NULL", D, "sql.delete-all"},
	{"DELETE FROM events WHERE (id > 3) IS TRUE", W, "sql.write"},
	// System schemas on the search path; catalogs locked or read.
	{"SET search_path = information_schema", U, "sql.search-path"},
	{"SET search_path = public, information_schema", U, "sql.search-path"},
	{"SELECT set_config('search_path', 'pg_toast', false)", U, "sql.search-path"},
	{"REINDEX INDEX pg_database_datname_index", D, "sql.cluster"},
	{"REINDEX TABLE pg_catalog.pg_database", D, "sql.cluster"},
	{"REINDEX SYSTEM", D, "sql.cluster"},
	{"REINDEX TABLE events", W, "sql.ddl"},
	{"VACUUM FULL pg_database", D, "sql.cluster"},
	{"VACUUM (FULL) ", D, "sql.cluster"},
	{"VACUUM (FULL false) pg_database", W, "sql.ddl"},
	{"VACUUM FULL events", W, "sql.ddl"},
	{"CLUSTER pg_class USING pg_class_oid_index", D, "sql.cluster"},
	{"SELECT histogram_bounds FROM pg_stats WHERE tablename = 'pg_authid'", C, "sql.read-credentials"},
	{"SELECT stavalues1 FROM pg_catalog.pg_statistic WHERE starelid = 1260", C, "sql.read-credentials"},
	{"SELECT * FROM pg_hba_file_rules", C, "sql.read-credentials"},
	{"SELECT * FROM pg_file_settings", C, "sql.read-credentials"},
	// Functions an operator, aggregate or cast will run are judged as
	// called; built-ins are not altered, owned or shadowed.
	{"create operator public.@@@ (rightarg=text, function=pg_catalog.pg_read_file)", C, "sql.read-server-file"},
	// Support functions the server calls by itself: an index build or scan
	// runs an operator class's, a type's input runs on every literal.
	{"CREATE OPERATOR CLASS lo_gone FOR TYPE oid USING hash AS OPERATOR 1 =, FUNCTION 1 lo_unlink(oid)", D, "sql.lo-unlink"},
	{"ALTER OPERATOR FAMILY f USING btree ADD OPERATOR 3 ==== (oid, text), FUNCTION 1 (oid, text) lo_export(oid, text)", D, "sql.server-file"},
	{"CREATE OPERATOR CLASS int_ops2 FOR TYPE int4 USING btree AS OPERATOR 1 <, FUNCTION 1 btint4cmp(int4, int4)", W, "sql.ddl"},
	{"CREATE TYPE t (input = lo_unlink, output = int4out)", D, "sql.lo-unlink"},
	{"CREATE TYPE r AS RANGE (subtype = int4, subtype_diff = lo_unlink)", D, "sql.lo-unlink"},
	{"ALTER TYPE t SET (analyze = lo_unlink)", D, "sql.lo-unlink"},
	{"ALTER OPERATOR = (int4, int4) SET (RESTRICT = lo_unlink)", D, "sql.lo-unlink"},
	{"CREATE CONVERSION c FOR 'UTF8' TO 'LATIN1' FROM lo_unlink", D, "sql.lo-unlink"},
	{"CREATE TEXT SEARCH PARSER p (start = lo_unlink, gettoken = prsd_nexttoken, end = prsd_end, lextypes = prsd_lextype)", D, "sql.lo-unlink"},
	{"CREATE ACCESS METHOD am TYPE INDEX HANDLER lo_unlink", D, "sql.lo-unlink"},
	{"CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION lo_unlink()", D, "sql.lo-unlink"},
	{"CREATE TRIGGER tr AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION lo_unlink()", D, "sql.lo-unlink"},
	{"CREATE OPERATOR >>> (leftarg = oid, rightarg = text, procedure = lo_export)", D, "sql.server-file"},
	{"create operator public.!!! (leftarg=int, rightarg=bigint, function=pg_terminate_backend)", D, "sql.terminate-backend"},
	{"create aggregate public.upper(text,bool) (sfunc=pg_catalog.set_config, stype=text, initcond='session_replication_role')", D, "sql.set-config"},
	{"CREATE AGGREGATE s (int) (sfunc = int4pl, stype = int)", W, "sql.ddl"},
	{"CREATE CAST (text AS int) WITH FUNCTION pg_catalog.pg_terminate_backend(int)", D, "sql.terminate-backend"},
	{"CREATE FUNCTION pg_catalog.lower(int) RETURNS int LANGUAGE sql AS 'SELECT 1'", D, "sql.cluster"},
	{"ALTER DATABASE prod OWNER TO pg_monitor", D, "sql.cluster"},
	{"ALTER TABLESPACE pg_default OWNER TO pg_monitor", D, "sql.cluster"},
	{"ALTER FUNCTION pg_catalog.lower(text) SECURITY DEFINER", D, "sql.cluster"},
	{"ALTER SCHEMA pg_catalog OWNER TO x", D, "sql.cluster"},
	{"GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_file(text) TO public", D, "sql.cluster"},
	{"ALTER TABLE bookings OWNER TO app", D, "sql.owner"},
	{"select (xpath('//row/rolpassword/text()', table_to_xml('pg_authid', true, false, '')))[1]::text", C, "sql.read-credentials"},
	{"select table_to_xml(1260, true, false, '')", C, "sql.read-credentials"},
	{"select schema_to_xml('pg_catalog', true, false, '')", C, "sql.read-credentials"},
	{"select table_to_xml('bookings', true, false, '')", R, ""},
	{"SET transform_null_equals TO off", R, ""},
	{"CREATE TEMP TABLE child () INHERITS (bookings)", W, "sql.ddl"},
	{"CREATE TEMP TABLE scratch (id int)", R, ""},
	// What tools do that changes nothing anyone else sees: pg_dump's lock,
	// statistics, a session's own temporary tables.
	// Migration tools' own bookkeeping, updated whole on every run.
	{`update "knex_migrations_lock" set "is_locked" = $1`, W, "sql.write"},
	{`DELETE FROM "SequelizeMeta"`, W, "sql.write"},
	{"DELETE FROM public.alembic_version", W, "sql.write"},
	{"DELETE FROM bookings_migrations", D, "sql.delete-all"},
	{"UPDATE knex_migrations_lock_backup SET is_locked = 0", D, "sql.update-all"},
	// golang-migrate clears its table with TRUNCATE on every run.
	{`TRUNCATE "public"."schema_migrations"`, W, "sql.write"},
	{"DELETE FROM kysely_migration_lock", W, "sql.write"},
	{"TRUNCATE schema_migrations CASCADE", D, "sql.truncate"},
	{"TRUNCATE schema_migrations, users", D, "sql.truncate"},
	{"LOCK TABLE public.bookings IN ACCESS SHARE MODE", R, ""},
	{"LOCK bookings", W, "sql.ddl"},
	{"LOCK TABLE bookings IN SHARE ROW EXCLUSIVE MODE NOWAIT", W, "sql.ddl"},
	{"ANALYZE", W, "sql.ddl"},
	{"ANALYZE VERBOSE bookings (note)", W, "sql.ddl"},
	{"VACUUM ANALYZE bookings", W, "sql.ddl"},
	{"CREATE TEMP TABLE scratch (id int)", R, ""},
	{"CREATE TEMPORARY TABLE scratch AS SELECT * FROM bookings", R, ""},
	{"CREATE TABLE pg_temp.scratch (id int)", R, ""},
	{"SELECT * INTO TEMP scratch FROM bookings", R, ""},
	{"CREATE TABLE scratch (id int)", W, "sql.ddl"},
	{"CREATE UNLOGGED TABLE scratch (id int)", W, "sql.ddl"},
	{"SELECT * INTO scratch FROM bookings", W, "sql.write"},
	{"CREATE TEMP TABLE scratch AS SELECT pg_terminate_backend(1)", D, "sql.terminate-backend"},
	{"ALTER TABLE bookings ALTER COLUMN note DROP NOT NULL", W, "sql.ddl"},
	{"UPDATE bookings SET paid = true WHERE id = 7", W, "sql.write"},
	{"DELETE FROM bookings WHERE id = $1", W, "sql.write"},
	{"UPDATE bookings SET x = 1 FROM other WHERE other.id = bookings.id", W, "sql.write"},
	{"CREATE TABLE t (id int)", W, "sql.ddl"},
	{"CREATE INDEX ON bookings (id)", W, "sql.ddl"},
	{"ALTER TABLE bookings ADD COLUMN note text", W, "sql.ddl"},
	{"EXECUTE fetch_all(1)", R, ""},
	{"PREPARE fetch_all AS SELECT * FROM bookings WHERE id = $1", R, ""},
	{"COPY bookings TO STDOUT", R, ""},
	{"COPY bookings FROM STDIN", W, "sql.write"},
	// Destruction, in every form.
	{"DROP TABLE bookings", D, "sql.drop"},
	{"drop table if exists public.bookings, payments cascade", D, "sql.drop"},
	{"DROP SCHEMA app CASCADE", D, "sql.drop"},
	{"DROP INDEX bookings_pkey", D, "sql.drop"},
	{"DROP FUNCTION f(int)", D, "sql.drop"},
	{"DROP VIEW v; DROP MATERIALIZED VIEW mv; DROP SEQUENCE s; DROP TYPE ty; DROP EXTENSION e", D, "sql.drop"},
	{"DROP DATABASE app", D, "sql.drop-database"},
	{"DROP ROLE app_rw", D, "sql.drop-role"},
	{"DROP OWNED BY app_rw", D, "sql.drop"},
	{"TRUNCATE bookings", D, "sql.truncate"},
	{"TRUNCATE TABLE a, b RESTART IDENTITY CASCADE", D, "sql.truncate"},
	{"DELETE FROM bookings", D, "sql.delete-all"},
	{"DELETE FROM bookings WHERE true", D, "sql.delete-all"},
	{"DELETE FROM bookings WHERE 1 = 1", D, "sql.delete-all"},
	{"DELETE FROM bookings WHERE 'a' <> 'b'", D, "sql.delete-all"},
	{"DELETE FROM bookings WHERE id = id", D, "sql.delete-all"},
	{"DELETE FROM bookings WHERE id = 3 OR 2 > 1", D, "sql.delete-all"},
	{"DELETE FROM bookings WHERE 't'::boolean", D, "sql.delete-all"},
	{"UPDATE bookings SET price = 0", D, "sql.update-all"},
	{"UPDATE bookings SET price = 0 WHERE 1 = 1 AND true", D, "sql.update-all"},
	{"ALTER TABLE bookings DROP COLUMN price", D, "sql.alter-drop"},
	{"ALTER TABLE bookings DROP CONSTRAINT bookings_pkey", D, "sql.alter-drop"},
	{"ALTER TABLE bookings ALTER COLUMN price TYPE int", D, "sql.alter-type"},
	{"ALTER TABLE bookings RENAME TO old_bookings", D, "sql.rename"},
	{"ALTER TABLE bookings RENAME COLUMN price TO cost", D, "sql.rename"},
	{"REVOKE SELECT ON bookings FROM app_ro", D, "sql.revoke"},
	{"REVOKE app_rw FROM alice", D, "sql.revoke"},
	{"SELECT 1; DROP TABLE bookings", D, "sql.drop"},
	// Indirection is never a way around.
	{"WITH gone AS (DELETE FROM bookings RETURNING *) SELECT count(*) FROM gone", D, "sql.delete-all"},
	{"EXPLAIN ANALYZE DELETE FROM bookings", D, "sql.delete-all"},
	{"PREPARE wipe AS DELETE FROM bookings", D, "sql.delete-all"},
	// Every data-modifying statement is judged wherever it appears, not
	// only at the top.
	{"WITH x AS (INSERT INTO bookings VALUES (500, 'x')) SELECT 1", W, "sql.write"},
	{"BEGIN; COMMIT; WITH x AS (INSERT INTO bookings VALUES (500, 'x')) SELECT 1", W, "sql.write"},
	{"SELECT * FROM (WITH x AS (INSERT INTO b VALUES (1) RETURNING 1) SELECT * FROM x) y", W, "sql.write"},
	{"WITH a AS (WITH b AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM b) SELECT * FROM a", W, "sql.write"},
	{"PREPARE p AS INSERT INTO bookings VALUES (1)", W, "sql.write"},
	{"DECLARE c CURSOR FOR WITH x AS (INSERT INTO t VALUES (1)) SELECT 1", W, "sql.write"},
	{"WITH m AS (MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE) SELECT 1", W, "sql.write"},
	{"PREPARE m AS MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", W, "sql.write"},
	// SELECT INTO in any branch of a set operation creates the table.
	{"SELECT * INTO pwned FROM t UNION SELECT 9999, 'x'", W, "sql.write"},
	{"SELECT 1 AS a INTO pwned EXCEPT SELECT 2", W, "sql.write"},
	{"EXPLAIN ANALYZE SELECT 1 AS a INTO pwned UNION SELECT 2", W, "sql.write"},
	{"(SELECT 1 INTO pwned) UNION SELECT 2", W, "sql.write"},
	{"VALUES (1) UNION SELECT 1 INTO pwned", W, "sql.write"},
	{"SELECT 1 INTO TEMP scratch UNION SELECT 2", R, ""},
	// UPDATE ... FROM without WHERE overwrites every row.
	{"UPDATE t SET v = 'wiped' FROM (SELECT 1) z", D, "sql.update-all"},
	{"UPDATE t SET v = z.x FROM other z WHERE true", D, "sql.update-all"},
	// A WHERE that names none of the table's columns is the same for every
	// row: it keeps them all, or none.
	{"UPDATE victim SET v = 'x' WHERE NOT false", D, "sql.update-all"},
	{"UPDATE victim SET v = 'x' WHERE EXISTS (SELECT 1)", D, "sql.update-all"},
	{"UPDATE victim SET v = 'x' WHERE (SELECT true)", D, "sql.update-all"},
	{"UPDATE victim SET v = 'x' WHERE coalesce(true, false)", D, "sql.update-all"},
	{"UPDATE victim SET v = 'x' WHERE 1 IN (1)", D, "sql.update-all"},
	{"UPDATE victim SET v = 'x' WHERE true IS TRUE", D, "sql.update-all"},
	{"DELETE FROM victim WHERE NOT (1 = 2)", D, "sql.delete-all"},
	{"DELETE FROM victim WHERE 1 = 1::int", D, "sql.delete-all"},
	{"DELETE FROM victim WHERE 'a' || 'b' = 'ab'", D, "sql.delete-all"},
	{"DELETE FROM victim WHERE $1", D, "sql.delete-all"},
	{"DELETE FROM victim v USING other o WHERE o.flag", D, "sql.delete-all"},
	{"UPDATE victim SET v = z.x FROM other z WHERE z.x = 1", D, "sql.update-all"},
	{"MERGE INTO victim t USING (SELECT 1) s ON NOT false WHEN MATCHED THEN DELETE", D, "sql.delete-all"},
	{"MERGE INTO victim t USING (SELECT 1) s ON (SELECT true) WHEN MATCHED THEN DELETE", D, "sql.delete-all"},
	{"DELETE FROM victim WHERE id = ANY (SELECT id FROM victim)", D, "sql.delete-all"},
	{"DELETE FROM victim WHERE id = ANY (SELECT id FROM victim WHERE id < 3)", W, "sql.write"},
	{"DELETE FROM victim v WHERE v.id = 3", W, "sql.write"},
	{"DELETE FROM public.victim WHERE public.victim.id = 3", W, "sql.write"},
	{`DELETE FROM "public"."User" WHERE ("public"."User"."id" = $1 AND 1=1)`, W, "sql.write"},
	{"UPDATE t SET v = 1 WHERE EXISTS (SELECT 1 FROM u WHERE u.t_id = t.id)", W, "sql.write"},
	{"MERGE INTO victim t USING victim s ON t.id = s.id WHEN MATCHED THEN DELETE", D, "sql.delete-all"},
	{"MERGE INTO victim t USING victim s ON t.id = s.id + 1 WHEN MATCHED THEN DELETE", W, "sql.write"},
	// MERGE is the DELETE or UPDATE its actions amount to.
	{"MERGE INTO bookings b USING (SELECT 1) s ON true WHEN MATCHED THEN DELETE", D, "sql.delete-all"},
	{"MERGE INTO bookings b USING (SELECT 1) s ON 1 = 1 WHEN MATCHED AND true THEN UPDATE SET note = ''", D, "sql.update-all"},
	{"WITH x AS (SELECT 1) MERGE INTO bookings USING x ON true WHEN MATCHED THEN DELETE", D, "sql.delete-all"},
	{"MERGE INTO bookings b USING (SELECT 1) s ON false WHEN NOT MATCHED BY SOURCE THEN DELETE", D, "sql.delete-all"},
	{"MERGE INTO bookings b USING (SELECT 1) s ON true WHEN NOT MATCHED THEN INSERT VALUES (1)", W, "sql.write"},
	{"MERGE INTO knex_migrations_lock l USING (SELECT 1) s ON true WHEN MATCHED THEN UPDATE SET is_locked = 0", W, "sql.write"},
	{"DO $$ BEGIN DELETE FROM bookings; END $$", D, "sql.delete-all"},
	{"DO $$ BEGIN PERFORM pg_terminate_backend(42); END $$", D, "sql.terminate-backend"},
	{"DO $$ DECLARE n int; BEGIN n := lo_unlink(1234); END $$", D, "sql.lo-unlink"},
	{"DO $$ BEGIN IF (SELECT count(*) FROM t) > 0 THEN TRUNCATE t; END IF; END $$", D, "sql.truncate"},
	{"DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'bookings'; END $$", U, "sql.dynamic"},
	{"DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'select 1' LOOP END LOOP; END $$", U, "sql.dynamic"},
	{"DO LANGUAGE plpython3u $$ plpy.execute('drop table x') $$", U, "sql.function-language"},
	{"CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM bookings'", D, "sql.delete-all"},
	{"CREATE FUNCTION wipe(n int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE bookings; END $$", D, "sql.drop"},
	{"CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC DELETE FROM bookings; END", D, "sql.delete-all"},
	{"CREATE FUNCTION f() RETURNS int LANGUAGE plperlu AS $$ unlink '/x' $$", U, "sql.function-language"},
	{"CREATE RULE r AS ON INSERT TO a DO ALSO DELETE FROM bookings", D, "sql.delete-all"},
	{"CREATE RULE r AS ON INSERT TO a DO ALSO UPDATE bookings SET x = 1", D, "sql.update-all"},
	{"COPY (SELECT 1) TO PROGRAM 'rm -rf /'", D, "sql.copy-program"},
	{"COPY bookings FROM PROGRAM 'curl x'", D, "sql.copy-program"},
	{"COPY bookings TO '/var/lib/postgresql/data/pg_hba.conf'", D, "sql.copy-file"},
	{"SELECT dblink_exec('host=prod', 'DROP TABLE bookings')", D, "sql.drop"},
	{"SELECT * FROM dblink('host=prod', 'SELECT 1') AS t(x int)", U, "sql.dblink"},
	{"SELECT lo_unlink(1234)", D, "sql.lo-unlink"},
	{"SELECT pg_terminate_backend(pid) FROM pg_stat_activity", D, "sql.terminate-backend"},
	{"SELECT set_config('session_replication_role', 'replica', false)", D, "sql.replication-role"},
	{"SET session_replication_role = replica", D, "sql.replication-role"},
	{"SELECT pg_read_file('/etc/passwd')", C, "sql.read-server-file"},
	// A field that is no field is a call: (x).f and a.f run f(x) and f(a).
	{"SELECT ('s'::regclass).nextval", W, "sql.sequence"},
	{"SELECT (42::bigint).pg_advisory_lock", W, "sql.advisory-lock"},
	{"SELECT (pg_backend_pid()).pg_cancel_backend", D, "sql.cancel-backend"},
	{"SELECT ('/etc/x'::text).pg_file_unlink", D, "sql.server-file"},
	{"SELECT ($$SELECT to_tsvector('simple', lo_export(1, '/tmp/x')::text)$$::text).ts_stat", D, "sql.server-file"},
	{"SELECT (v).ts_stat FROM t", U, "sql.dynamic"},
	{"SELECT x.nextval FROM (SELECT 's'::regclass AS x) q", W, "sql.sequence"},
	{"SELECT q.x.pg_terminate_backend FROM (SELECT 1 AS x) q", D, "sql.terminate-backend"},
	{"SELECT ('host=x'::text).dblink_exec", U, "sql.dblink"},
	{"SELECT t.id, t.note, (t.tags).label, ('x'::text).length, b.* FROM bookings t, b", R, ""},
	// What cannot be read is unknown.
	{"DROP TABLE", U, "sql.unparseable"},
	{"SELEC 1", U, "sql.unparseable"},
	{"SELECT 'unterminated", U, "sql.unparseable"},
}

func TestClassify(t *testing.T) {
	for _, c := range cases {
		r := Classify(c.sql)
		if r.Class() != c.class || (c.id != "" && !slices.Contains(ids(r), c.id)) || (c.id == "" && len(r.Reasons) > 0) {
			t.Errorf("%q: got %s %v, want %s with %q", c.sql, r.Class(), r.Reasons, c.class, c.id)
		}
		for _, x := range r.Reasons {
			if x.Message == "" || !strings.HasPrefix(x.ID, "sql.") {
				t.Errorf("%q: bad finding %+v", c.sql, x)
			}
		}
	}
}

func TestTargetsAndMessagesNameWhatIsDestroyed(t *testing.T) {
	r := Classify("DROP TABLE public.bookings CASCADE; TRUNCATE payments; DELETE FROM audit.events")
	want := []string{"public.bookings", "payments", "audit.events"}
	if !slices.Equal(r.Targets, want) {
		t.Fatalf("targets %q, want %q", r.Targets, want)
	}
	if msg := r.Reasons[len(r.Reasons)-1].Message; !strings.Contains(msg, "audit.events") {
		t.Fatalf("message does not name the table: %q", msg)
	}
	for _, x := range r.Reasons {
		if x.ID == "sql.drop" && !strings.Contains(x.Message, "CASCADE") {
			t.Fatalf("cascade not mentioned: %q", x.Message)
		}
	}
}

func TestPreparedAndExecutedNames(t *testing.T) {
	r := Classify("PREPARE wipe AS DELETE FROM t; EXECUTE wipe; EXECUTE other(1)")
	if !slices.Equal(r.Prepared, []string{"wipe"}) || !slices.Equal(r.Executed, []string{"wipe", "other"}) {
		t.Fatalf("prepared %q executed %q", r.Prepared, r.Executed)
	}
	for _, q := range []string{"CREATE TEMP TABLE z AS EXECUTE pd", "EXPLAIN ANALYZE CREATE TABLE z AS EXECUTE pd", "CREATE TABLE IF NOT EXISTS z AS EXECUTE pd(1)"} {
		if r := Classify(q); !slices.Equal(r.Executed, []string{"pd"}) {
			t.Errorf("%s: executed %q", q, r.Executed)
		}
	}
}

// Names used as attributes that no built-in answers to, relations and
// operators are reported, for the gateway to look up: t.f is the call f(t)
// when t has no column f, an operator and a view run functions.
func TestAttributeNames(t *testing.T) {
	r := Classify("SELECT t.id, (x).f, s.t.g, t.*, t.id, t.now FROM t, x, s.t WHERE t.h > 0")
	if !slices.Equal(r.Attributes, []string{"id", "f", "t", "g", "h"}) {
		t.Fatalf("attributes %q", r.Attributes)
	}
	if r := Classify("SELECT id FROM t"); len(r.Attributes) != 0 {
		t.Fatalf("attributes %q", r.Attributes)
	}
	r = Classify("SELECT CASE a.k WHEN 1 THEN 0 END FROM a JOIN s.b ON a.x < b.y WHERE a.z LIKE 'q' AND b.y < 2 ORDER BY a.x USING ===")
	// The order follows protobuf's field walk, which protobuf-go varies
	// with the binary: the sets are what count.
	if !slices.Equal(slices.Sorted(slices.Values(r.Relations)), []string{"a", "b"}) ||
		!slices.Equal(slices.Sorted(slices.Values(r.Operators)), []string{"<", "=", "===", "~~"}) {
		t.Fatalf("relations %q operators %q", r.Relations, r.Operators)
	}
	r = Classify("SELECT lower(s), public.f(1), 5::posint, CAST(x AS int) FROM t")
	if !slices.Equal(r.Functions, []string{"lower"}) || !slices.Equal(r.Types, []string{"posint", "int4"}) || r.Commands {
		t.Fatalf("functions %q types %q commands %v", r.Functions, r.Types, r.Commands)
	}
	// table_to_xml reads the relation its text names; ANALYZE with no
	// table, every table; PL/pgSQL declarations name types and relations.
	if r := Classify("SELECT table_to_xml('s.evil_v', true, false, '')"); !slices.Contains(r.Relations, "evil_v") {
		t.Errorf("table_to_xml: relations %q", r.Relations)
	}
	for q, all := range map[string]bool{"ANALYZE": true, "VACUUM (ANALYZE)": true, "REINDEX SCHEMA public": true, "ANALYZE t": false, "REINDEX INDEX i": false} {
		if r := Classify(q); r.AllRelations != all {
			t.Errorf("%s: all relations %v", q, r.AllRelations)
		}
	}
	if r := Classify("DO $$ DECLARE v posint := 5; w t.c%TYPE; BEGIN END $$"); !slices.Contains(r.Types, "posint") || !slices.Contains(r.Relations, "t") {
		t.Errorf("DO declarations: types %q relations %q", r.Types, r.Relations)
	}
	for q, want := range map[string]bool{"SELECT a FROM t": false, "SELECT a FROM t ORDER BY a": true, "SELECT DISTINCT a FROM t": true,
		"SELECT a FROM t UNION ALL SELECT a FROM u": true, "SELECT * FROM t JOIN u USING (p)": true, "SELECT lower(a) FROM t": true} {
		if r := Classify(q); r.Compares != want {
			t.Errorf("%s: compares %v", q, r.Compares)
		}
	}
	// A type named anywhere else makes values of it too.
	for q, want := range map[string]string{
		"PREPARE p(posint) AS SELECT $1":                                "posint",
		`SELECT * FROM json_to_record('{"x":5}') AS t(x posint)`:        "posint",
		`SELECT * FROM ROWS FROM (json_to_record('{}') AS (x myrange))`: "myrange",
		"CREATE TEMP TABLE tt (x public.posint)":                        "posint",
		"SELECT '{1}'::posint[]":                                        "posint",
	} {
		if r := Classify(q); !slices.Contains(r.Types, want) {
			t.Errorf("%s: types %q", q, r.Types)
		}
	}
	for q, want := range map[string]bool{"BEGIN; SELECT 1; COMMIT": false, "SET x = 1; SHOW x": false, "CREATE TEMP TABLE t (a int)": true,
		"SELECT 1 INTO TEMP t": true, "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1": true, "EXPLAIN SELECT 1": false} {
		if r := Classify(q); r.Commands != want {
			t.Errorf("%s: commands %v", q, r.Commands)
		}
	}
}

// Plain EXPLAIN runs nothing, except the arguments of an EXECUTE, which
// planning evaluates: such an EXPLAIN is judged as the EXECUTE.
func TestExplainedExecuteArgumentsAreJudged(t *testing.T) {
	for _, c := range []struct{ q, id, name string }{
		{"EXPLAIN EXECUTE p(lo_unlink(424242))", "sql.lo-unlink", "p"},
		{"EXPLAIN (ANALYZE false) EXECUTE q(setval('s', 1))", "sql.sequence", "q"},
		{"EXPLAIN CREATE TEMP TABLE z AS EXECUTE p(lo_unlink(1))", "sql.lo-unlink", "p"},
		{"explain (costs off) execute r(set_config('standard_conforming_strings','off',true))", "sql.session-lexer", "r"},
		{"EXPLAIN EXECUTE k(pg_terminate_backend(42))", "", "k"},
	} {
		r := Classify(c.q)
		if r.Class() == action.ClassRead || c.id != "" && !slices.Contains(ids(r), c.id) || !slices.Equal(r.Executed, []string{c.name}) {
			t.Errorf("%s: %s %v, executed %q", c.q, r.Class(), r.Reasons, r.Executed)
		}
	}
	for _, q := range []string{"EXPLAIN SELECT lo_unlink(1)", "EXPLAIN DELETE FROM t", "EXPLAIN EXECUTE p(1)"} {
		if r := Classify(q); r.Class() != action.ClassRead {
			t.Errorf("%s: %s %v", q, r.Class(), r.Reasons)
		}
	}
}

// Found in staging, where writes run and destruction waits: effects as
// destructive as their plainer spellings.
func TestDestructionWithoutTheUsualWords(t *testing.T) {
	for q, want := range map[string]string{
		"DELETE FROM customers WHERE id IS NOT DISTINCT FROM id":        "sql.delete-all",
		"DELETE FROM customers WHERE coalesce(id, 0) = coalesce(id, 0)": "sql.delete-all",
		"UPDATE customers SET a = 1 WHERE lower(email) >= lower(email)": "sql.update-all",
		"ALTER TABLE customers SET SCHEMA s2":                           "sql.rename",
		"ALTER FUNCTION add(int, int) SET SCHEMA s2":                    "sql.rename",
		"ALTER TABLE customers DISABLE TRIGGER ALL":                     "sql.disable-trigger",
		"ALTER TABLE customers DISABLE RULE r":                          "sql.disable-trigger",
	} {
		if r := Classify(q); r.Class() != action.ClassDestructive || !slices.Contains(ids(r), want) {
			t.Errorf("%s: %s %v", q, r.Class(), r.Reasons)
		}
	}
	for _, q := range []string{"DELETE FROM customers WHERE id IS NOT DISTINCT FROM 5", "UPDATE customers SET a = 1 WHERE lower(email) >= lower(name)",
		"ALTER TABLE customers ENABLE TRIGGER ALL"} {
		if r := Classify(q); r.Class() == action.ClassDestructive {
			t.Errorf("%s: %s %v", q, r.Class(), r.Reasons)
		}
	}
}

func TestNestingIsBounded(t *testing.T) {
	sql := "DELETE FROM t"
	for range 8 {
		sql = "SELECT dblink_exec('c', '" + strings.ReplaceAll(sql, "'", "''") + "')"
	}
	if r := Classify(sql); !slices.Contains(ids(r), "sql.too-deep") || r.Class() == action.ClassRead {
		t.Fatalf("deep nesting: %s %v", r.Class(), r.Reasons)
	}
}

// libpg_query's PL/pgSQL parser asserts (aborting the process) on some
// function shapes; each of these must come back as a finding instead.
func TestOddFunctionShapesDoNotCrash(t *testing.T) {
	for _, s := range []string{
		"CREATE FUNCTION f() LANGUAGE plpgsql",
		"CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ $$",
		"CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS 'obj', 'sym'",
		"CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
		"CREATE FUNCTION f(OUT a int, INOUT b text) LANGUAGE plpgsql AS $$BEGIN a := 1; END$$",
		"CREATE FUNCTION f() RETURNS TABLE(a int) LANGUAGE plpgsql AS $$BEGIN RETURN QUERY SELECT 1; END$$",
		"CREATE FUNCTION f() RETURNS SETOF int LANGUAGE plpgsql AS $$BEGIN RETURN NEXT 1; END$$",
		"CREATE PROCEDURE p() LANGUAGE plpgsql AS $$BEGIN COMMIT; END$$",
		"CREATE FUNCTION f() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$",
		"CREATE FUNCTION f(VARIADIC a int[]) RETURNS int LANGUAGE plpgsql AS $$BEGIN RETURN 1; END$$",
		"CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$BEGIN RETURN QUERY EXECUTE 'x'; END$$",
		"DO $$ $$", "DO ''", "DO LANGUAGE plpgsql ''",
		"DO $$ BEGIN OPEN c FOR EXECUTE 'x'; END $$",
	} {
		r := Classify(s)
		if r.Class() == action.ClassRead {
			t.Errorf("%q: read", s)
		}
	}
}

// A text is judged as PostgreSQL reads it with standard_conforming_strings
// on and with it off (a statement pipelined behind one that turns it off
// meets the server in that state); a value is read through a cast only when
// the cast leaves it as it is; a relation named in text is split as
// regclass splits it; text that is not UTF-8 is refused.
func TestTextReadAsTheServerMayReadIt(t *testing.T) {
	for _, c := range []struct {
		sql   string
		class action.Class
		id    string
	}{
		{`SELECT 'a\' AS x, $$'; DROP TABLE orders CASCADE; --$$`, D, "sql.drop"},
		{`SELECT 'a\'' ; DELETE FROM orders; --'`, D, "sql.delete-all"},
		{`SELECT 'C:\temp\' AS path`, R, ""},
		{`SELECT E'a\'b'`, R, ""},
		{"SELECT set_config('session_replication_role  '::bpchar, 'replica', false)", U, "sql.set-config"},
		{"SELECT set_config('session_replication_roleXYZ'::varchar(24), 'replica', false)", U, "sql.set-config"},
		{"SELECT set_config('role  '::char(10), 'app', false)", U, "sql.set-config"},
		{"SELECT set_config('session_replication_role'::text, 'replica', false)", D, "sql.replication-role"},
		{"SELECT set_config('session_replication_role', 'replica'::varchar, false)", D, "sql.replication-role"},
		{"SELECT table_to_xml('pg_catalog . pg_authid', true, false, '')", C, "sql.read-credentials"},
		{"SELECT table_to_xml(' PG_AUTHID ', true, false, '')", C, "sql.read-credentials"},
		{`SELECT table_to_xml('"pg_catalog"."pg_authid"', true, false, '')`, C, "sql.read-credentials"},
		{"SELECT table_to_xml('01260', true, false, '')", C, "sql.read-credentials"},
		{`SELECT table_to_xml('"PG_AUTHID"', true, false, '')`, R, ""},
		{"SELECT table_to_xml('public.pg_authid', true, false, '')", R, ""},
		{"SELECT E'\x95\\'; DROP TABLE bookings; --'", D, FindingLexer},
		{`DO $$ BEGIN RAISE NOTICE 'a\'' ; DELETE FROM orders; --'; END $$`, U, "sql.escape-body"},
	} {
		r := Classify(c.sql)
		if r.Class() != c.class || c.id != "" && !slices.Contains(ids(r), c.id) {
			t.Errorf("%q: %s %v, want %s with %q", c.sql, r.Class(), r.Reasons, c.class, c.id)
		}
	}
}

// The second black-box round: settings and configuration files read by the
// functions and commands around the denied views, planning that runs a
// function, and changes that take data or its guards away without a DROP.
func TestSettingsPlanningAndQuietTakedowns(t *testing.T) {
	for _, c := range []struct {
		sql   string
		class action.Class
		id    string
	}{
		{"SELECT name, setting FROM pg_show_all_file_settings()", C, "sql.read-credentials"},
		{"SELECT * FROM pg_hba_file_rules()", C, "sql.read-credentials"},
		{"SHOW primary_conninfo", C, "sql.read-credentials"},
		{"SHOW ALL", C, "sql.read-credentials"},
		{"SELECT current_setting('primary_conninfo')", C, "sql.read-credentials"},
		{"SELECT * FROM pg_settings", C, "sql.read-credentials"},
		{"SELECT setting FROM pg_settings WHERE name = 'primary_conninfo'", C, "sql.read-credentials"},
		{"EXPLAIN SELECT lo_cleanup(4242)", U, "sql.function"},
		{"ALTER TABLE users ENABLE REPLICA TRIGGER users_audit", D, "sql.disable-trigger"},
		{"ALTER SEQUENCE myseq RESTART WITH 1", D, "sql.sequence-reset"},
		{"CREATE RULE no_audit AS ON INSERT TO audit DO INSTEAD NOTHING", D, "sql.rule-instead"},
		// DO ALSO writes run with every later write to the table, which
		// is then judged alone.
		{"CREATE RULE r AS ON UPDATE TO a DO ALSO DELETE FROM b WHERE b.id > 0", D, "sql.rule-instead"},
		{"CREATE RULE r AS ON INSERT TO a DO ALSO (UPDATE b SET x = 1 WHERE b.id = NEW.id; INSERT INTO c VALUES (1))", D, "sql.rule-instead"},
		{"CREATE RULE r AS ON INSERT TO a DO ALSO NOTIFY a_changed", W, ""},
		// A cascading foreign key added to an existing table: one row's
		// delete or update elsewhere then reaches every row referring to it.
		{"ALTER TABLE kc ADD CONSTRAINT kc_fk FOREIGN KEY (pid) REFERENCES kp (id) ON DELETE CASCADE", D, "sql.cascade"},
		{"ALTER TABLE kc ADD FOREIGN KEY (pid) REFERENCES kp (id) ON DELETE SET NULL", D, "sql.cascade"},
		{"ALTER TABLE kc ADD FOREIGN KEY (pid) REFERENCES kp (id) ON UPDATE CASCADE", D, "sql.cascade"},
		{"ALTER TABLE kc ADD FOREIGN KEY (pid) REFERENCES kp (id)", W, ""},
		{"CREATE TABLE kc2 (pid int REFERENCES kp (id) ON DELETE CASCADE)", W, ""},
		{"CREATE OR REPLACE VIEW big_orders AS SELECT * FROM orders WHERE false", D, "sql.replace-definition"},
		{"CREATE OR REPLACE FUNCTION audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$", D, "sql.replace-definition"},
		{"CREATE POLICY p ON orders USING (false)", D, "sql.row-security"},
		{"ALTER TABLE orders FORCE ROW LEVEL SECURITY", D, "sql.row-security"},
		{"ALTER TABLE orders SET UNLOGGED", D, "sql.unlogged"},
		{"ALTER FUNCTION f() OWNER TO reporter", D, "sql.owner"},
		{"SELECT * FROM information_schema.user_mapping_options", C, "sql.read-credentials"},
		{"COPY (SELECT * FROM information_schema._pg_user_mappings) TO STDOUT", C, "sql.read-credentials"},
		{"SELECT table_to_xml('information_schema.user_mapping_options', true, false, '')", C, "sql.read-credentials"},
		{"ALTER TABLE invoices ALTER COLUMN id RESTART WITH 1", D, "sql.sequence-reset"},
		{"SHOW app.jwt_secret", C, "sql.read-credentials"},
		{"SELECT current_setting('myapp.api_key', true)", C, "sql.read-credentials"},
		{"SELECT setting FROM pg_settings WHERE name = 'app.db_password'", C, "sql.read-credentials"},
		{"SHOW app.tenant_id", R, ""},
		{"SELECT current_setting('app.conninfo')", C, "sql.read-credentials"},
		{"SHOW app.pwd", C, "sql.read-credentials"},
		{"SELECT table_to_xml('evil_v', true, false, '')", R, ""},
		{"SELECT table_to_xml('16943', true, false, '')", U, "sql.dynamic"},
		{"SELECT schema_to_xml('s_evil', true, false, '')", U, "sql.dynamic"},
		{"SELECT schema_to_xml('information_schema', true, false, '')", C, "sql.read-credentials"},
		{"ANALYZE", W, "sql.ddl"},
		{"SELECT domain_in('5', 'posint'::regtype, -1)", U, "sql.function"},
		{"SELECT range_in('[1,5]', 'myrange'::regtype, -1)::text", U, "sql.function"},
		{"SELECT * FROM information_schema.tables", R, ""},
		{"SHOW work_mem", R, ""},
		{"SELECT current_setting('work_mem')", R, ""},
		{"SELECT name, setting FROM pg_settings WHERE name = 'work_mem'", R, ""},
		{"SELECT name FROM pg_settings", R, ""},
		{"EXPLAIN SELECT lower(name) FROM users", R, ""},
		{"CREATE VIEW v AS SELECT 1", W, "sql.ddl"},
		{"ALTER SEQUENCE myseq OWNED BY t.id", D, "sql.alter-drop"},
	} {
		r := Classify(c.sql)
		if r.Class() != c.class || c.id != "" && !slices.Contains(ids(r), c.id) {
			t.Errorf("%q: %s %v, want %s with %q", c.sql, r.Class(), r.Reasons, c.class, c.id)
		}
	}
}

// The target of a PL/pgSQL assignment is evaluated too: its subscripts run.
func TestAssignmentTargetsAreJudged(t *testing.T) {
	for q, want := range map[string]string{
		`DO $$DECLARE a int[]; BEGIN a[lo_unlink(4242)] := 1; END$$`:                                                "sql.lo-unlink",
		`DO $$DECLARE a int[]; BEGIN a[1:lo_unlink(4242)] := '{1}'; END$$`:                                          "sql.lo-unlink",
		`DO $$DECLARE a int[]; BEGIN a[1][lo_unlink(4242)] := 1; END$$`:                                             "sql.lo-unlink",
		`DO $$DECLARE a int[]; BEGIN a[lo_unlink(1)] = 1; END$$`:                                                    "sql.lo-unlink",
		`DO $$DECLARE a int[]; BEGIN a[length(set_config('log_statement','none',false))] := 1; END$$`:               "sql.superuser-setting",
		`CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$DECLARE a int[]; BEGIN a[lo_unlink(1)] := 1; END$$`: "sql.lo-unlink",
	} {
		if r := Classify(q); r.Class() != action.ClassDestructive || !slices.Contains(ids(r), want) {
			t.Errorf("%s: %s %v, want %s", q, r.Class(), r.Reasons, want)
		}
	}
	if r := Classify(`DO $$DECLARE a int[]; BEGIN a[1] := 2; END$$`); r.Class() == action.ClassDestructive {
		t.Errorf("a plain assignment: %s %v", r.Class(), r.Reasons)
	}
}

func TestEveryRowThroughTheTablesOwnSet(t *testing.T) {
	for q, want := range map[string]string{
		"DELETE FROM t WHERE (id, v) IN (TABLE t)":                                  "sql.delete-all",
		"UPDATE u SET v = 'x' WHERE id = ANY(ARRAY(SELECT id FROM u))":              "sql.update-all",
		"DELETE FROM t WHERE id IN (WITH c AS (SELECT id FROM t) SELECT id FROM c)": "sql.delete-all",
		"DELETE FROM t WHERE id = ANY((SELECT array_agg(id) FROM t)::int[])":        "sql.delete-all",
		"DELETE FROM t a USING t b WHERE a.id = b.id AND b.v = a.v":                 "sql.delete-all",
		"DELETE FROM t WHERE (id, v) IN (SELECT id, v FROM t)":                      "sql.delete-all",
		"DELETE FROM t WHERE nullif(id, id) IS NULL":                                "sql.delete-all",
	} {
		if r := Classify(q); r.Class() != action.ClassDestructive || !slices.Contains(ids(r), want) {
			t.Errorf("%s: %s %v, want %s", q, r.Class(), r.Reasons, want)
		}
	}
	for _, q := range []string{
		"DELETE FROM t WHERE id IN (SELECT id FROM t WHERE v = 1)", "DELETE FROM t WHERE id = ANY(ARRAY(SELECT id FROM u))",
		"DELETE FROM t WHERE (id, v) IN (SELECT v, id FROM t)", "DELETE FROM t a USING t b WHERE a.id = b.id AND b.v = 1",
		"DELETE FROM t WHERE id IN (WITH c AS (SELECT id FROM t WHERE v = 2) SELECT id FROM c)",
	} {
		if r := Classify(q); r.Class() == action.ClassDestructive {
			t.Errorf("%s: %s %v", q, r.Class(), r.Reasons)
		}
	}
}

func TestDestructionSpelledAsOtherDDL(t *testing.T) {
	for q, want := range map[string]string{
		"ALTER TABLE ident ALTER COLUMN id DROP IDENTITY":            "sql.drop",
		"ALTER TABLE ident ALTER COLUMN id SET INCREMENT BY -1":      "sql.sequence-reset",
		"ALTER TABLE ident ALTER COLUMN id SET MAXVALUE 7 SET CYCLE": "sql.sequence-reset",
		"ALTER TYPE mood RENAME VALUE 'happy' TO 'sad'":              "sql.rename",
		"REFRESH MATERIALIZED VIEW mv WITH NO DATA":                  "sql.truncate",
		"REASSIGN OWNED BY app_owner TO app_reader":                  "sql.owner",
		"ALTER DOMAIN d DROP CONSTRAINT c":                           "sql.alter-drop",
		"ALTER TABLE c NO INHERIT p":                                 "sql.alter-drop",
		"ALTER PUBLICATION p DROP TABLE t":                           "sql.alter-drop",
	} {
		if r := Classify(q); r.Class() != action.ClassDestructive || !slices.Contains(ids(r), want) {
			t.Errorf("%s: %s %v, want %s", q, r.Class(), r.Reasons, want)
		}
	}
	for _, q := range []string{"ALTER TYPE mood ADD VALUE 'x'", "REFRESH MATERIALIZED VIEW mv"} {
		if r := Classify(q); r.Class() == action.ClassDestructive {
			t.Errorf("%s: %s %v", q, r.Class(), r.Reasons)
		}
	}
}

func TestEveryRowThroughABranchOrAWrapper(t *testing.T) {
	for q, want := range map[string]string{
		"DELETE FROM t WHERE id = 5 OR NULL IS NULL":                                                    "sql.delete-all",
		"DELETE FROM t WHERE id = 5 OR (SELECT true)":                                                   "sql.delete-all",
		"DELETE FROM t WHERE id = 5 OR EXISTS (SELECT FROM t)":                                          "sql.delete-all",
		"DELETE FROM t WHERE id = 5 OR $1":                                                              "sql.delete-all",
		"DELETE FROM t WHERE id = 5 OR now() > '2000-01-01'":                                            "sql.delete-all",
		"DELETE FROM t WHERE CASE id WHEN 5 THEN true ELSE 't' END":                                     "sql.delete-all",
		"UPDATE t SET v = 'x' WHERE id = 5 OR NULL IS NULL":                                             "sql.update-all",
		"MERGE INTO t USING (SELECT 1 AS k) s ON t.id = 5 OR true IS NOT NULL WHEN MATCHED THEN DELETE": "sql.delete-all",
		"DELETE FROM t WHERE tableoid = 't'::regclass":                                                  "sql.delete-all",
		"DELETE FROM t WHERE id IN (SELECT id FROM t t2 WHERE true)":                                    "sql.delete-all",
		"DELETE FROM t WHERE id IN (SELECT id FROM t UNION SELECT 0)":                                   "sql.delete-all",
		"DELETE FROM t WHERE id IN (SELECT DISTINCT id FROM t)":                                         "sql.delete-all",
		"DELETE FROM t USING (SELECT id FROM t) s WHERE s.id = t.id":                                    "sql.delete-all",
		"UPDATE t SET v = 'x' FROM (SELECT id FROM t) s WHERE s.id = t.id":                              "sql.update-all",
		"DELETE FROM t USING t t2 WHERE t2.id = t.id AND 1 = 1":                                         "sql.delete-all",
		"DELETE FROM t WHERE (SELECT id) = id":                                                          "sql.delete-all",
		"DELETE FROM t WHERE id = greatest(id, id)":                                                     "sql.delete-all",
		"DELETE FROM t WHERE id = ALL(ARRAY[id, id])":                                                   "sql.delete-all",
		"SELECT lo_put(oid, 0, '\\x00') FROM pg_largeobject_metadata":                                   "sql.update-all",
		"ALTER PUBLICATION pub SET (publish = '')":                                                      "sql.alter-drop",
		"ALTER TABLE t REPLICA IDENTITY NOTHING":                                                        "sql.replica-identity",
	} {
		if r := Classify(q); r.Class() != action.ClassDestructive || !slices.Contains(ids(r), want) {
			t.Errorf("%s: %s %v, want %s", q, r.Class(), r.Reasons, want)
		}
	}
	for _, q := range []string{
		"DELETE FROM t WHERE id = 5 OR id = 6", "DELETE FROM t WHERE id = 5 OR false", "DELETE FROM t WHERE id = -1 OR 1 = 2",
		"DELETE FROM t WHERE id = 5 OR NULL IS NOT NULL", "DELETE FROM t WHERE id = 5 OR 'a' = 'b'", "DELETE FROM t WHERE CASE WHEN id = 5 THEN true ELSE false END",
		"DELETE FROM t WHERE id = 5 AND (v = 'a' OR true)", "DELETE FROM t WHERE id = $1", "DELETE FROM t WHERE id = greatest(id, 5)",
		"DELETE FROM t USING (SELECT id FROM t WHERE v = 1) s WHERE s.id = t.id", "ALTER TABLE t REPLICA IDENTITY FULL",
	} {
		if r := Classify(q); r.Class() == action.ClassDestructive {
			t.Errorf("%s: %s %v", q, r.Class(), r.Reasons)
		}
	}
}

func TestEveryRowByConstantsParametersAndSubqueriesWithoutTables(t *testing.T) {
	for q, want := range map[string]string{
		"ALTER TABLE t REPLICA IDENTITY DEFAULT":                    "sql.replica-identity",
		"DELETE FROM t WHERE NOT (1 = 2 AND id = 1)":                "sql.delete-all",
		"UPDATE t SET v = 'x' WHERE (id = 1 AND 1 = 2) IS NOT TRUE": "sql.update-all",
		"DELETE FROM t WHERE EXISTS (SELECT id)":                    "sql.delete-all",
		"DELETE FROM t WHERE EXISTS (VALUES (id))":                  "sql.delete-all",
		"DELETE FROM t WHERE id = coalesce($1, id)":                 "sql.delete-all",
		"UPDATE t SET v = 'x' WHERE id = coalesce($1::int, id)":     "sql.update-all",
	} {
		if r := Classify(q); r.Class() != action.ClassDestructive || !slices.Contains(ids(r), want) {
			t.Errorf("%s: %s %v, want %s", q, r.Class(), r.Reasons, want)
		}
	}
	for _, q := range []string{"DELETE FROM t WHERE id = coalesce($1, 5)", "DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id)"} {
		if r := Classify(q); r.Class() == action.ClassDestructive {
			t.Errorf("%s: %s %v", q, r.Class(), r.Reasons)
		}
	}
	if r := Classify("SELECT x.name, x.setting FROM pg_settings x JOIN pg_settings y ON y.name = 'work_mem'"); r.Class() != action.ClassCredentialAccess {
		t.Errorf("join: %s %v", r.Class(), r.Reasons)
	}
	if r := Classify("SELECT name, setting FROM pg_settings WHERE name = 'work_mem'"); r.Class() != action.ClassRead {
		t.Errorf("one setting: %s %v", r.Class(), r.Reasons)
	}
}

func TestLocksExposureAndDependenciesByOtherNames(t *testing.T) {
	for q, want := range map[string]string{
		"ALTER TABLE t OF pg_temp.ct":                     "sql.alter-drop",
		"SELECT 1 FROM pg_class FOR UPDATE OFFSET 100000": "sql.cluster",
		"ALTER TABLE docs DISABLE ROW LEVEL SECURITY":     "sql.row-security",
		"ALTER TABLE docs NO FORCE ROW LEVEL SECURITY":    "sql.row-security",
		"CREATE PUBLICATION p FOR ALL TABLES":             "sql.replica-identity",
		"ALTER PUBLICATION p ADD TABLE t":                 "sql.alter-drop",
		"CREATE OR REPLACE AGGREGATE public.total(int) (sfunc = int4smaller, stype = int, initcond = '0')": "sql.replace-definition",
	} {
		if r := Classify(q); r.Class() != action.ClassDestructive || !slices.Contains(ids(r), want) {
			t.Errorf("%s: %s %v, want %s", q, r.Class(), r.Reasons, want)
		}
	}
	for _, q := range []string{"SELECT 1 FROM t FOR UPDATE", "CREATE AGGREGATE public.total2(int) (sfunc = int4pl, stype = int, initcond = '0')"} {
		if r := Classify(q); r.Class() == action.ClassDestructive {
			t.Errorf("%s: %s %v", q, r.Class(), r.Reasons)
		}
	}
}

// Tying an existing object's life to another, which a session's end (a
// pg_temp type or domain in the other's definition) or a DISCARD drops
// with CASCADE, and changing what an existing function's callers reach.
func TestLifetimesAndFunctionSettings(t *testing.T) {
	for q, want := range map[string]string{
		"ALTER TABLE public.p ATTACH PARTITION victim DEFAULT":                      "sql.alter-drop",
		"ALTER TABLE vc INHERIT pc":                                                 "sql.alter-drop",
		"ALTER SEQUENCE vs_id_seq OWNED BY pd.id":                                   "sql.alter-drop",
		"ALTER FUNCTION public.add_order(int, text) SET search_path = evil, public": "sql.replace-definition",
		"ALTER PROCEDURE public.p() SET search_path = evil":                         "sql.replace-definition",
		"ALTER FUNCTION public.f() SECURITY DEFINER":                                "sql.replace-definition",
	} {
		if r := Classify(q); r.Class() != action.ClassDestructive || !slices.Contains(ids(r), want) {
			t.Errorf("%s: %s %v, want %s", q, r.Class(), r.Reasons, want)
		}
	}
	if r := Classify("ALTER FUNCTION public.f() SET work_mem = '8MB'"); r.Class() == action.ClassDestructive {
		t.Errorf("work_mem: %s %v", r.Class(), r.Reasons)
	}
}
