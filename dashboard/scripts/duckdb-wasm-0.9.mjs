// Runs after `npm ci` (package.json "postinstall"): lets Evidence's SQL client start on
// duckdb-wasm 1.27.0.
//
// Why 1.27.0 (pinned with "overrides"): it is the last duckdb-wasm whose bundles have the Parquet
// reader compiled in. From 1.28 on, Parquet is an extension downloaded at run time from DuckDB's
// extension site, and Evidence reads every page's data from Parquet, both when it builds the
// site and in the reader's browser: with 1.28 or later a machine that reaches only the package
// registries hangs at the build, and a page opened offline shows no data.
//
// 1.27.0 embeds DuckDB 0.9, which has no `ieee_floating_point_ops` or `old_implicit_casting`
// settings. @evidence-dev/universal-sql sets both when it opens a connection, to ask a DuckDB of
// 1.1 or later to behave as before (x / 0 is null, not infinity; values cast to text where
// needed): DuckDB 0.9 already behaves so, and stops with "unrecognized configuration parameter".
// This script comments out those two statements in the Node and browser clients, and stops the
// install if it finds neither the statements nor its own comment (another universal-sql).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';

// The package folder holding `file`, as Node resolved it: the part up to node_modules/<name>/.
function packageFolder(file, name) {
	const marker = `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`;
	return file.slice(0, file.lastIndexOf(marker) + marker.length);
}

const nodeClient = createRequire(import.meta.url).resolve('@evidence-dev/universal-sql/client-duckdb');
const universalSql = packageFolder(nodeClient, '@evidence-dev/universal-sql');
const wasmEntry = createRequire(nodeClient).resolve('@duckdb/duckdb-wasm');
const wasm = JSON.parse(
	readFileSync(join(packageFolder(wasmEntry, '@duckdb/duckdb-wasm'), 'package.json'), 'utf8')
);
if (wasm.version !== '1.27.0') {
	console.error(
		`@evidence-dev/universal-sql uses @duckdb/duckdb-wasm ${wasm.version}, not 1.27.0: ` +
			'check the "overrides" in package.json'
	);
	process.exit(1);
}

const MARK = '/* crm-metrics: not a DuckDB 0.9 setting (scripts/duckdb-wasm-0.9.mjs) */ ';
const STATEMENTS = [
	"await connection.query('SET ieee_floating_point_ops = false;');",
	"await connection.query('SET old_implicit_casting = true;');"
];

for (const client of ['node.js', 'browser.js']) {
	const file = join(universalSql, 'src', 'client-duckdb', client);
	let text = readFileSync(file, 'utf8');
	for (const statement of STATEMENTS) {
		const done = `${MARK}// ${statement}`;
		if (text.includes(done)) continue;
		if (!text.includes(statement)) {
			console.error(`${file}: expected the statement ${statement}; not found`);
			process.exit(1);
		}
		text = text.replace(statement, done);
	}
	writeFileSync(file, text);
}
console.log('universal-sql set up for duckdb-wasm 1.27.0 (DuckDB 0.9)');
