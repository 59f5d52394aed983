// Drives node-postgres through Chaperone's gateway and prints what happened
// as one JSON object, for node_test.go to check.
const { Client } = require('pg');

async function main() {
  const client = new Client({ connectionString: process.argv[2] });
  const out = {};
  await client.connect();
  const r = await client.query('SELECT count(*)::int AS n FROM bookings WHERE id > $1', [50]);
  out.count = r.rows[0].n;
  try {
    await client.query('DROP TABLE bookings');
    out.drop = 'ran';
  } catch (e) {
    out.drop = e.code;
    out.message = e.message;
  }
  const again = await client.query('SELECT 1 AS one');
  out.after = again.rows[0].one;
  await client.end();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.log(JSON.stringify({ error: e.message, code: e.code }));
  process.exit(1);
});
