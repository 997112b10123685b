// Read a DuckDB file with DuckDB's Node client (test helper for python/tests/test_snapshot_readers.py).
// Standard input: JSON {"database": path, "queries": {name: sql}}. Standard output: JSON
// {"version": DuckDB's version, "tables": ["schema.table", ...], "results": {name: [[value, ...]]}}
// with each value as the client returns it to JavaScript (the queries cast all but doubles to text).
import { DuckDBInstance } from '@duckdb/node-api';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const instance = await DuckDBInstance.create(request.database, { access_mode: 'READ_ONLY' });
const connection = await instance.connect();
const rows = async (sql) => (await connection.runAndReadAll(sql)).getRowsJS();

const [[version]] = await rows('select version()');
const tables = (
	await rows(
		'select table_schema, table_name from information_schema.tables ' +
			'where table_catalog = current_database() order by 1, 2'
	)
).map(([schema, name]) => `${schema}.${name}`);
const results = {};
for (const [name, sql] of Object.entries(request.queries)) results[name] = await rows(sql);
connection.disconnectSync();
instance.closeSync();
process.stdout.write(JSON.stringify({ version, tables, results }));
