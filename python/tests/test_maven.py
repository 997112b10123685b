"""The public Maven "CRM + Sales Opportunities" sample, end to end (the foundation's check).

The sample's maven-crm folder (in the public datasets folder: conftest.shared_dataset; never
copied into the repo) is mapped with the
pipeline-csv importer, built, and every one of its deals must come out either accepted
(core.fct_opportunities) or rejected with a reason (data_quality.dq_opportunities_rejects).
Expected numbers are counted from the source file with plain Python.

Skipped when the folder is absent, unless CI is set (then it fails: CI must have the sample).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from conftest import query, shared_dataset
from helpers import build_raw

from crm_metrics.importers.pipeline_csv import import_pipeline_csv

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def maven_dir(project_dir: Path) -> Path:
    return shared_dataset(project_dir, "maven-crm", "sales_pipeline.csv").parent


def test_every_maven_deal_is_accepted_or_rejected(maven_dir: Path, tmp_path: Path) -> None:
    with open(maven_dir / "sales_pipeline.csv", newline="", encoding="utf-8") as handle:
        deals = list(csv.DictReader(handle))
    ids = {deal["opportunity_id"] for deal in deals}
    without_account = {deal["opportunity_id"] for deal in deals if not deal["account"].strip()}
    stages = Counter(deal["deal_stage"] for deal in deals)
    won_amount = sum(int(deal["close_value"]) for deal in deals if deal["deal_stage"] == "Won")
    assert len(deals) == len(ids) == 8800

    raw = tmp_path / "raw"
    result = import_pipeline_csv(
        maven_dir / "sales_pipeline.csv",
        raw,
        accounts=maven_dir / "accounts.csv",
        sales_teams=maven_dir / "sales_teams.csv",
        products=maven_dir / "products.csv",
    )
    assert result.rows["opportunities"] == 8800
    database = tmp_path / "maven.duckdb"
    build_raw(
        database,
        raw,
        ["+fct_opportunities", "+dq_opportunities_rejects", "+dim_accounts", "+dim_products"],
    )

    accepted = dict(query(database, "select opportunity_id, outcome from core.fct_opportunities"))
    rejected = dict(
        query(
            database,
            "select opportunity_id, reject_reason from data_quality.dq_opportunities_rejects",
        )
    )
    # no deal lost, none counted twice
    assert len(accepted) + len(rejected) == 8800
    assert set(accepted) | set(rejected) == ids
    assert not set(accepted) & set(rejected)
    # the deals without an account are the rejects, each with its reason
    assert set(rejected) == without_account
    assert set(rejected.values()) == {"missing_required:account_id"}
    # every closed deal has an account in Maven: won and lost counts survive whole
    outcomes = Counter(accepted.values())
    assert outcomes["won"] == stages["Won"]
    assert outcomes["lost"] == stages["Lost"]
    assert outcomes["open"] == stages["Engaging"] + stages["Prospecting"] - len(without_account)
    assert query(
        database, "select sum(amount) from core.fct_opportunities where outcome = 'won'"
    ) == [(won_amount,)]
    # the quirks: sector "technolgy" and product "GTXPro"
    industries = {row[0] for row in query(database, "select industry from core.dim_accounts")}
    assert "technology" in industries and "technolgy" not in industries
    products = {row[0] for row in query(database, "select product_name from core.dim_products")}
    assert "GTX Pro" in products and "GTXPro" not in products
