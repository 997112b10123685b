"""Export the built marts to files: one file per table of the schemas `core` and `marts`.

Layout of `out_dir` (one sub-folder per schema, so equal names in two schemas cannot clash):

    out_dir/manifest.json
    out_dir/core/<table>.parquet
    out_dir/marts/<table>.parquet

`manifest.json` holds the absolute DuckDB path (for SQL clients), the build's `as_of_date` (from
the serving snapshot's `meta.snapshot`, or a working database's `intermediate.int_as_of_date`)
and per file: relation, path (relative to out_dir), format, row_count and columns [{name,
type}]. Files listed by a previous manifest in the same folder are removed first, so a dropped
table does not linger.

Each file entry also carries the model's `description` and each column its `description`, from
the model YAML (empty when the table has no model YAML), so a BI tool or a notebook can show
what a column means without the dbt docs site.

With `exclude_pii` (`crm-metrics export --no-pii`) the columns tagged as personal data in the
model YAML (`meta: {pii: true}`, under `config:` or directly on the column) are left out of
every file; the manifest lists the left-out columns per file under `pii_excluded`.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from crm_metrics.errors import CrmMetricsError, database_error
from crm_metrics.serving import as_of_text
from crm_metrics.sql import quote_identifier, quote_literal

EXPORT_SCHEMAS = ("core", "marts")
FORMATS = {"parquet": "(format parquet)", "csv": "(format csv, header true)"}
MANIFEST_NAME = "manifest.json"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _file_stem(name: str) -> str:
    """`name` when it is a plain file name, else a sanitised name plus a hash of the original."""
    if _SAFE_NAME.match(name):
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".") + "-" + digest


def _inside(path: Path, folder: Path) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(folder):
        raise CrmMetricsError(f"refusing to write {resolved}: outside the output folder {folder}")
    return resolved


def _remove_previous_export(out_dir: Path) -> None:
    manifest = out_dir / MANIFEST_NAME
    if not manifest.is_file():
        return
    try:
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
    except (ValueError, AttributeError):
        return
    for entry in files:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            continue
        path = (out_dir / entry["path"]).resolve()
        if path.is_relative_to(out_dir) and path.is_file():
            path.unlink()


def _column_is_pii(column: dict) -> bool:
    for holder in (column, column.get("config") or {}):
        meta = holder.get("meta") if isinstance(holder, dict) else None
        if isinstance(meta, dict) and meta.get("pii") is True:
            return True
    return False


def pii_columns(models_dir: Path | None = None) -> dict[str, set[str]]:
    """Model name → names of its columns tagged `meta: {pii: true}` in the models' YAML."""
    from crm_metrics.runner import PROJECT_DIR

    root = models_dir or PROJECT_DIR / "models"
    tagged: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.yml")):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise CrmMetricsError(f"cannot read the pii tags of {path}: {exc}") from None
        for model in document.get("models") or [] if isinstance(document, dict) else []:
            if not isinstance(model, dict) or not isinstance(model.get("name"), str):
                continue
            for column in model.get("columns") or []:
                if isinstance(column, dict) and _column_is_pii(column):
                    tagged.setdefault(model["name"], set()).add(str(column.get("name")).lower())
    return tagged


def model_docs(models_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """Model name → {"description": str, "columns": {column name (lower case): description}}."""
    from crm_metrics.runner import PROJECT_DIR

    root = models_dir or PROJECT_DIR / "models"
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("*.yml")):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise CrmMetricsError(f"cannot read the model docs of {path}: {exc}") from None
        for model in document.get("models") or [] if isinstance(document, dict) else []:
            if not isinstance(model, dict) or not isinstance(model.get("name"), str):
                continue
            columns = {
                str(column.get("name")).lower(): " ".join(str(column.get("description")).split())
                for column in model.get("columns") or []
                if isinstance(column, dict) and column.get("description")
            }
            docs[model["name"]] = {
                "description": " ".join(str(model.get("description") or "").split()),
                "columns": columns,
            }
    return docs


def export_marts(
    database: Path, out_dir: Path, fmt: str = "parquet", *, exclude_pii: bool = False
) -> Path:
    """Write the tables of `core` and `marts` to `out_dir`; return the manifest's path."""
    import duckdb

    if fmt not in FORMATS:
        raise CrmMetricsError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    database = database.expanduser().resolve()
    if not database.is_file():
        raise CrmMetricsError(
            f"the database {database} does not exist; run `crm-metrics build` first"
        )
    out_dir = out_dir.expanduser().resolve()
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise database_error(database, exc) from None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _remove_previous_export(out_dir)
        files = _export_tables(
            connection, out_dir, fmt, pii_columns() if exclude_pii else None, model_docs()
        )
        as_of_date = as_of_text(connection)  # meta.snapshot, or int_as_of_date
    except duckdb.Error as exc:
        raise database_error(database, exc) from None
    finally:
        connection.close()

    if not files:
        raise CrmMetricsError(
            f"the database {database} has no tables in schemas {', '.join(EXPORT_SCHEMAS)}; "
            "run `crm-metrics build` first"
        )
    manifest = {
        "database": str(database),
        "as_of_date": as_of_date,
        "files": files,
    }
    manifest_path = out_dir / MANIFEST_NAME
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest_path


def _export_tables(
    connection: Any,
    out_dir: Path,
    fmt: str,
    pii: dict[str, set[str]] | None = None,
    docs: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    relations = connection.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema in (?, ?) "
        "order by table_schema, table_name",
        list(EXPORT_SCHEMAS),
    ).fetchall()
    files = []
    for schema, name in relations:
        relation = f"{quote_identifier(schema)}.{quote_identifier(name)}"
        columns = connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() and table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, name],
        ).fetchall()
        left_out = pii.get(name, set()) if pii is not None else set()
        excluded = [column for column, _ in columns if column.lower() in left_out]
        columns = [(column, dtype) for column, dtype in columns if column.lower() not in left_out]
        if not columns:
            continue
        selected = ", ".join(quote_identifier(column) for column, _ in columns)
        target = _inside(out_dir / schema / f"{_file_stem(name)}.{fmt}", out_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        connection.execute(
            f"copy (select {selected} from {relation}) to {quote_literal(str(target))} "
            f"{FORMATS[fmt]}"
        )
        (row_count,) = connection.execute(f"select count(*) from {relation}").fetchone()
        doc = (docs or {}).get(name, {})
        column_docs = doc.get("columns", {})
        files.append(
            {
                "relation": f"{schema}.{name}",
                "path": target.relative_to(out_dir).as_posix(),
                "format": fmt,
                "row_count": int(row_count),
                "description": doc.get("description", ""),
                "columns": [
                    {
                        "name": column,
                        "type": dtype,
                        "description": column_docs.get(column.lower(), ""),
                    }
                    for column, dtype in columns
                ],
                **({"pii_excluded": excluded} if pii is not None else {}),
            }
        )
    return files
