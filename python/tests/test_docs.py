"""Documentation: `dbt docs generate` works on the demo database, its catalog lists every mart,
every model and every column (declared in YAML or found in the built table) has a description,
and the exposures declare what the exporter and the report read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crm_metrics.report import READS
from crm_metrics.runner import run_dbt, work_dir

pytestmark = pytest.mark.slow

PUBLIC_SCHEMAS = ("core", "marts")


@pytest.fixture(scope="module")
def docs_target(demo_db: Path) -> Path:
    run_dbt(["docs", "generate"], database=demo_db, progress=False)
    return work_dir(demo_db) / "target"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]


def test_docs_generate_writes_the_site_and_a_catalog_of_the_marts(
    docs_target: Path, demo_db: Path
) -> None:
    assert (docs_target / "index.html").is_file()
    catalog = load(docs_target / "catalog.json")
    manifest = load(docs_target / "manifest.json")
    public = {node["unique_id"]: node for node in models(manifest)}
    public = {key: node for key, node in public.items() if node["schema"] in PUBLIC_SCHEMAS}
    assert any(node["name"].startswith("mart_") for node in public.values())
    missing = sorted(public[key]["name"] for key in public if key not in catalog["nodes"])
    assert missing == [], f"not in catalog.json: {missing}"
    for key in public:
        assert catalog["nodes"][key]["columns"], f"{public[key]['name']} has no columns"


def test_every_model_and_column_has_a_description(docs_target: Path) -> None:
    manifest = load(docs_target / "manifest.json")
    catalog = load(docs_target / "catalog.json")
    problems = []
    for node in models(manifest):
        if not (node.get("description") or "").strip():
            problems.append(f"model {node['name']}: no description")
        documented = {}
        for name, column in node["columns"].items():
            documented[name.lower()] = (column.get("description") or "").strip()
            if not documented[name.lower()]:
                problems.append(f"column {node['name']}.{name}: no description")
        # Columns of the built table or view that the YAML does not declare at all.
        built = catalog["nodes"].get(node["unique_id"], {}).get("columns", {})
        undeclared = sorted(name for name in built if name.lower() not in documented)
        if undeclared and node["schema"] in PUBLIC_SCHEMAS:
            problems.append(f"model {node['name']}: undocumented columns {undeclared}")
    assert problems == [], "\n".join(problems)


def test_exposures_declare_the_exporter_and_the_report(docs_target: Path) -> None:
    manifest = load(docs_target / "manifest.json")
    exposures = {node["name"]: node for node in manifest["exposures"].values()}
    by_id = {node["unique_id"]: node["name"] for node in models(manifest)}

    public = {node["name"] for node in models(manifest) if node["schema"] in PUBLIC_SCHEMAS}
    exporter = {by_id[uid] for uid in exposures["crm_metrics_export"]["depends_on"]["nodes"]}
    assert exporter == public

    report = {by_id[uid] for uid in exposures["crm_metrics_report"]["depends_on"]["nodes"]}
    assert report == READS
