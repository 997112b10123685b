"""The semantic layer: `mf query` on the demo database answers the headline metrics, and its
win rate by month by segment equals sum(won) / sum(won + lost) of mart_win_rate (a ratio of
sums, never an average of the mart's per-row rates).

MetricFlow's CLI reads `<project>/target/semantic_manifest.json` (it ignores --target-path), so
the test runs `mf` in a throwaway folder that links to the project's files and holds its own
target/ with the semantic manifest the demo build wrote, against a copy of the demo database
(same file name, so the same catalog name).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import query

from crm_metrics.runner import PROJECT_DIR, work_dir

pytestmark = pytest.mark.slow

LINKED = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests", "analyses")


@pytest.fixture(scope="module")
def mf_project(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("mf_project")
    for name in LINKED:
        if (PROJECT_DIR / name).exists():
            (folder / name).symlink_to(PROJECT_DIR / name)
    (folder / "target").mkdir()
    shutil.copy(
        work_dir(demo_db) / "target" / "semantic_manifest.json",
        folder / "target" / "semantic_manifest.json",
    )
    # Same file name: the semantic manifest names relations by the database's catalog (its stem).
    (folder / "db").mkdir()
    database = folder / "db" / demo_db.name
    shutil.copy(demo_db, database)
    return folder, database


def run_mf(project: tuple[Path, Path], *args: str) -> subprocess.CompletedProcess[str]:
    folder, database = project
    env = {
        **os.environ,
        "CRM_METRICS_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(folder),
        "DBT_PROJECT_DIR": str(folder),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("DBT_TARGET_PATH", None)
    mf = Path(sys.executable).parent / "mf"
    return subprocess.run(
        [str(mf), *args], cwd=folder, env=env, capture_output=True, text=True, timeout=600
    )


def mf_query(
    project: tuple[Path, Path], tmp_path: Path, metrics: str, group_by: str
) -> list[dict[str, str]]:
    """`mf query` of the metrics by the group-by dimensions: the CSV's rows (fails on an error)."""
    out = tmp_path / "mf_query.csv"
    result = run_mf(
        project, "query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_mf_win_rate_by_month_by_segment_equals_the_mart(
    mf_project: tuple[Path, Path], demo_db: Path, tmp_path: Path
) -> None:
    rows = mf_query(
        mf_project, tmp_path, "win_rate,closed_deals", "metric_time__month,opportunity__segment"
    )
    assert rows, "mf query returned no rows"

    won: dict[tuple[str, str], float] = defaultdict(float)
    closed: dict[tuple[str, str], float] = defaultdict(float)
    for period_month, segment, won_count, lost_count in query(
        demo_db, "select period_month, segment, won_count, lost_count from marts.mart_win_rate"
    ):
        key = (period_month.isoformat(), segment)
        won[key] += won_count
        closed[key] += won_count + lost_count
    expected = {key: won[key] / closed[key] for key in closed}

    answered = {}
    for row in rows:
        month = row["metric_time__month"][:10]
        closed_deals = float(row["closed_deals"] or 0)
        if closed_deals == 0:
            continue
        answered[(month, row["opportunity__segment"])] = float(row["win_rate"])
    assert answered.keys() == expected.keys()
    for key, value in expected.items():
        assert answered[key] == pytest.approx(value, abs=1e-9), key


def test_mf_answers_every_headline_metric(mf_project: tuple[Path, Path], tmp_path: Path) -> None:
    metrics = (
        "win_rate,pipeline_created_amount,bookings,quota_attainment,"
        "average_sales_cycle_days,mrr,net_revenue_retention,logo_churn_rate"
    )
    rows = mf_query(mf_project, tmp_path, metrics, "metric_time__month")
    assert rows
    for metric in metrics.split(","):
        assert any(row[metric] not in ("", None) for row in rows), f"{metric} is always empty"


def test_mf_mrr_by_month_equals_the_movements_mart(
    mf_project: tuple[Path, Path], demo_db: Path, tmp_path: Path
) -> None:
    rows = mf_query(mf_project, tmp_path, "mrr,net_revenue_retention", "metric_time__month")
    answered = {row["metric_time__month"][:10]: row for row in rows}
    mart = query(
        demo_db,
        "select period_month, ending_mrr, starting_mrr, expansion_mrr, contraction_mrr, "
        "churned_mrr from marts.mart_mrr_movements",
    )
    checked = 0
    for period_month, ending, starting, expansion, contraction, churned in mart:
        row = answered.get(period_month.isoformat())
        if ending and row is not None and row["mrr"]:
            assert float(row["mrr"]) == pytest.approx(float(ending), abs=0.01)
            checked += 1
        if starting and row is not None and row["net_revenue_retention"]:
            nrr = (starting + expansion + contraction + churned) / starting
            assert float(row["net_revenue_retention"]) == pytest.approx(float(nrr), abs=1e-9)
    assert checked > 0


def test_mf_presales_and_contract_metrics_by_month_equal_the_marts(
    mf_project: tuple[Path, Path], demo_db: Path, tmp_path: Path
) -> None:
    """presales_win_rate, hours_per_won_deal and average_contract_value by month are ratios of
    sums over the deals of the presales and customer marts (never averages of per-row rates)."""
    metrics = "presales_win_rate,hours_per_won_deal,average_contract_value,bookings_by_product"
    rows = mf_query(mf_project, tmp_path, metrics, "metric_time__month")
    answered = {row["metric_time__month"][:10]: row for row in rows}
    effort = query(
        demo_db,
        "select date_trunc('month', closed_at)::date, count(*),"
        " count(*) filter (where outcome = 'won'),"
        " sum(se_hours) filter (where outcome = 'won')"
        " from marts.mart_presales_deal_effort group by 1",
    )
    assert effort
    for month, closed, won, won_hours in effort:
        row = answered[month.isoformat()]
        assert float(row["presales_win_rate"]) == pytest.approx(won / closed, abs=1e-9)
        if won:
            assert float(row["hours_per_won_deal"]) == pytest.approx(won_hours / won, abs=1e-6)
    contract = query(
        demo_db,
        "select period_month, sum(avg_contract_value * won_count), sum(won_count)"
        " from marts.mart_contract_value group by 1",
    )
    for month, weighted, won in contract:  # the demo's won deals all have an amount
        row = answered[month.isoformat()]
        assert float(row["average_contract_value"]) == pytest.approx(
            float(weighted) / won, abs=0.01
        )
    products = query(
        demo_db,
        "select period_month, sum(bookings_amount) from marts.mart_product_bookings group by 1",
    )
    for month, amount in products:
        assert float(answered[month.isoformat()]["bookings_by_product"]) == pytest.approx(
            float(amount), abs=0.01
        )


def test_mf_bookings_by_product_family_equal_the_mart(
    mf_project: tuple[Path, Path], demo_db: Path, tmp_path: Path
) -> None:
    rows = mf_query(
        mf_project, tmp_path, "bookings_by_product", "product_booking_month__product_family"
    )
    answered = {
        row["product_booking_month__product_family"]: float(row["bookings_by_product"])
        for row in rows
    }
    expected = dict(
        query(
            demo_db,
            "select product_family, sum(bookings_amount) from marts.mart_product_bookings"
            " group by 1",
        )
    )
    assert answered.keys() == expected.keys() and len(expected) == 3
    for family, amount in expected.items():
        assert answered[family] == pytest.approx(float(amount), abs=0.01)
