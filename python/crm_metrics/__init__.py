"""Sales and revenue metrics from raw CRM data: a dbt project on DuckDB with a thin Python CLI.

Library API (imported lazily, so `import crm_metrics` stays fast):

- `build(database, *, raw_dir=None, select=None, exclude=None, full_refresh=False, vars=None,
  as_of_date=None, target="duckdb")` runs `dbt build`, returns the node results;
- `build_and_publish(database, *, serving=None, publish_snapshot=True, lock_wait=600,
  storage_version="v1.0.0", ...)` does what `crm-metrics build` does: `build` under the working
  database's lock, then (for a whole-project build) `publish(database, serving=None,
  storage_version="v1.0.0")`, which writes the serving database in the storage format of that
  DuckDB release (1.0.0 and later open it; `"latest"` for the installed DuckDB's);
- `export_marts(database, out_dir, fmt="parquet")` writes the marts and a manifest.json;
- `generate(out_dir, ...)` writes synthetic raw data;
- `CrmMetricsError` is raised for every failure the user can act on.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["CrmMetricsError", "build", "build_and_publish", "export_marts", "generate", "publish"]

_LAZY = {
    "build": "crm_metrics.runner",
    "build_and_publish": "crm_metrics.serving",
    "publish": "crm_metrics.serving",
    "export_marts": "crm_metrics.export",
    "generate": "crm_metrics.generate",
    "CrmMetricsError": "crm_metrics.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crm_metrics' has no attribute {name!r}")
