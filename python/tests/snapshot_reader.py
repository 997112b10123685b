"""Read a DuckDB file with whatever DuckDB the running Python has (test helper, run as a script).

The test suite runs it with other DuckDB releases than the package's (a pinned environment of
its own) to check that they open the published snapshot. Standard input: JSON `{"database":
path, "queries": {name: sql}}`. Standard output: JSON `{"version": DuckDB's version, "tables":
["schema.table", ...], "results": {name: [[value, ...], ...]}}`. It imports nothing but duckdb.
"""

import json
import sys

import duckdb


def main() -> None:
    request = json.load(sys.stdin)
    connection = duckdb.connect(request["database"], read_only=True)
    try:
        tables = [
            f"{schema}.{name}"
            for schema, name in connection.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database() order by 1, 2"
            ).fetchall()
        ]
        results = {
            name: [list(row) for row in connection.execute(sql).fetchall()]
            for name, sql in request["queries"].items()
        }
    finally:
        connection.close()
    json.dump({"version": duckdb.__version__, "tables": tables, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
