"""`crm-metrics report`: the data behind every chart equals its mart (recomputed here in plain
Python from the mart's rows), the page renders in headless Chromium with the network blocked and
no console output, one plotly chart per section, and empty or missing marts show "no data".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import query

from crm_metrics.cli import main
from crm_metrics.report import CHARTS, build_report

CHART_KEYS = [chart.key for chart in CHARTS]
DATA_BLOCK = re.compile(
    r'<script type="application/json" id="data-(?P<key>[a-z_]+)">(?P<json>.*?)</script>', re.S
)


def data_blocks(page: str) -> dict[str, dict[str, Any]]:
    return {
        match["key"]: json.loads(match["json"].replace("<\\/", "</"))
        for match in DATA_BLOCK.finditer(page)
    }


def mart_rows(database: Path, mart: str, where: str = "") -> list[dict[str, Any]]:
    connection = duckdb.connect(str(database), read_only=True)
    try:
        cursor = connection.execute(f"select * from marts.{mart} {where}")
        columns = [description[0] for description in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()


def plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str):
        return value
    return float(value)


def assert_rows_equal(actual: list[dict], expected: list[dict]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got.keys() == want.keys()
        for column, value in want.items():
            value = plain(value)
            if isinstance(value, float):
                assert got[column] == pytest.approx(value, rel=1e-9, abs=1e-9), column
            else:
                assert plain(got[column]) == value, column


# --- expected chart data, recomputed from the marts' rows -----------------------------------


def expected_funnel(database: Path) -> list[dict]:
    totals: dict[tuple[int, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in mart_rows(database, "mart_funnel_conversion"):
        cell = totals[(row["stage_order"], row["stage_name"])]
        for column in ("reached_count", "advanced_count", "won_count"):
            cell[column] += row[column]
    return [
        {"stage_name": name, "stage_order": order, **cell}
        for (order, name), cell in sorted(totals.items())
    ]


def expected_stage_duration(database: Path) -> list[dict]:
    rows = mart_rows(database, "mart_stage_duration")
    rows.sort(key=lambda row: (row["stage_order"], row["stage_name"], row["outcome"]))
    keep = ("stage_name", "stage_order", "outcome", "deal_count", "avg_days", "median_days")
    return [{column: row[column] for column in keep} for row in rows]


def expected_pipeline_flow(database: Path) -> list[dict]:
    keep = (
        "period_start",
        "created_amount",
        "reopened_amount",
        "won_amount",
        "lost_amount",
        "amount_change",
        "open_amount_end",
    )
    rows = [row for row in mart_rows(database, "mart_pipeline_flow") if row["grain"] == "month"]
    rows.sort(key=lambda row: row["period_start"])
    return [{column: row[column] for column in keep} for row in rows]


def expected_pipeline_trend(database: Path) -> list[dict]:
    rows = mart_rows(database, "mart_pipeline_trend")
    rows.sort(key=lambda row: (row["snapshot_date"], row["stage_order"], row["stage_name"]))
    keep = ("snapshot_date", "stage_name", "stage_order", "open_count", "open_amount")
    return [{column: row[column] for column in keep} for row in rows]


def expected_win_rate(database: Path) -> list[dict]:
    won: dict[dt.date, int] = defaultdict(int)
    lost: dict[dt.date, int] = defaultdict(int)
    for row in mart_rows(database, "mart_win_rate"):
        won[row["period_month"]] += row["won_count"]
        lost[row["period_month"]] += row["lost_count"]
    return [
        {
            "period_month": month,
            "won_count": won[month],
            "lost_count": lost[month],
            "win_rate": won[month] / (won[month] + lost[month])
            if won[month] + lost[month]
            else None,
        }
        for month in sorted(won)
    ]


def expected_bookings_vs_quota(database: Path) -> list[dict]:
    rows = mart_rows(database, "mart_quota_attainment")
    if not rows:
        return []
    year = max(row["period_month"] for row in rows).year
    bookings: dict[str, float] = defaultdict(float)
    quota: dict[str, float | None] = {}
    for row in rows:
        if row["period_month"].year != year:
            continue
        bookings[row["owner_id"]] += float(row["bookings_amount"])
        if row["quota"] is not None:
            quota[row["owner_id"]] = (quota.get(row["owner_id"]) or 0.0) + float(row["quota"])
        else:
            quota.setdefault(row["owner_id"], None)
    return [
        {
            "owner_id": owner,
            "year": year,
            "bookings_amount": bookings[owner],
            "quota": quota[owner],
            "attainment": bookings[owner] / quota[owner] if quota[owner] else None,
        }
        for owner in sorted(bookings)
    ]


def expected_mrr_movements(database: Path) -> list[dict]:
    rows = sorted(mart_rows(database, "mart_mrr_movements"), key=lambda row: row["period_month"])
    keep = (
        "period_month",
        "starting_mrr",
        "new_mrr",
        "expansion_mrr",
        "reactivation_mrr",
        "contraction_mrr",
        "churned_mrr",
        "ending_mrr",
    )
    return [{column: row[column] for column in keep} for row in rows[-12:]]


def expected_cohort_retention(database: Path) -> list[dict]:
    rows = mart_rows(database, "mart_cohort_mrr")
    rows.sort(key=lambda row: (row["cohort_month"], row["months_since_start"]))
    keep = (
        "cohort_month",
        "months_since_start",
        "cohort_customers",
        "active_customers",
        "logo_retention",
        "revenue_retention",
    )
    return [{column: row[column] for column in keep} for row in rows]


def expected_churn_nrr(database: Path) -> list[dict]:
    rows = sorted(mart_rows(database, "mart_churn"), key=lambda row: row["period_month"])
    keep = ("period_month", "logo_churn_rate", "net_revenue_retention", "gross_revenue_retention")
    return [{column: row[column] for column in keep} for row in rows]


EXPECTED = {
    "funnel": expected_funnel,
    "stage_duration": expected_stage_duration,
    "pipeline_flow": expected_pipeline_flow,
    "pipeline_trend": expected_pipeline_trend,
    "win_rate": expected_win_rate,
    "bookings_vs_quota": expected_bookings_vs_quota,
    "mrr_movements": expected_mrr_movements,
    "cohort_retention": expected_cohort_retention,
    "churn_nrr": expected_churn_nrr,
}


# --- headless Chromium ------------------------------------------------------------------------

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # No network: every host name fails to resolve and every proxied request goes nowhere.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=20000",
    "--window-size=1300,3200",
)
CONSOLE_LINE = re.compile(r":CONSOLE[^\]]*\]\s*(?P<message>.*)")


def chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return binary


def run_chromium(page: Path, work: Path, *action: str) -> subprocess.CompletedProcess[str]:
    profile = work / f"profile-{len(list(work.glob('profile-*')))}"
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *action, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=work,
    )


def console_messages(stderr: str) -> list[str]:
    return [match["message"] for match in CONSOLE_LINE.finditer(stderr)]


def rendered_charts(dom: str) -> dict[str, str]:
    """chart key → the chart div's markup, for each div plotly turned into a chart."""
    charts = {}
    for key in CHART_KEYS:
        start = dom.find(f'id="chart-{key}"')
        if start < 0:
            continue
        end = dom.find('<script type="application/json"', start)
        charts[key] = dom[start:end]
    return charts


# --- tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_report(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    build_report(demo_db, out, progress=False)
    return out


@pytest.mark.slow
def test_every_chart_has_its_data_and_it_equals_the_mart(demo_report: Path, demo_db: Path) -> None:
    blocks = data_blocks(demo_report.read_text(encoding="utf-8"))
    assert list(blocks) == CHART_KEYS
    for key, expected in EXPECTED.items():
        assert blocks[key]["chart"] == key
        rows = blocks[key]["rows"]
        assert rows, f"{key}: no rows on the demo data"
        assert_rows_equal(rows, expected(demo_db))


@pytest.mark.slow
def test_win_rate_is_a_ratio_of_sums(demo_report: Path, demo_db: Path) -> None:
    """Hand check on one month: won / (won + lost) over every row of the month."""
    rows = {
        row["period_month"]: row for row in data_blocks(demo_report.read_text())["win_rate"]["rows"]
    }
    month, won, lost = query(
        demo_db,
        "select period_month, sum(won_count), sum(lost_count) from marts.mart_win_rate "
        "group by 1 order by sum(won_count) + sum(lost_count) desc limit 1",
    )[0]
    assert rows[month.isoformat()]["win_rate"] == pytest.approx(won / (won + lost))


@pytest.mark.slow
def test_page_is_self_contained(demo_report: Path) -> None:
    page = demo_report.read_text(encoding="utf-8")
    assert not re.search(r'<script[^>]+src=|<link[^>]+href=|<img[^>]+src="http', page)
    assert page.count('class="plotly-graph-div"') == len(CHARTS)
    size_mb = len(page.encode()) / 1e6
    assert size_mb < 15, f"report is {size_mb:.1f} MB"


@pytest.mark.slow
def test_report_renders_in_headless_chromium(demo_report: Path, tmp_path: Path) -> None:
    dump = run_chromium(demo_report, tmp_path, "--dump-dom")
    assert dump.returncode == 0, dump.stderr[-2000:]
    assert console_messages(dump.stderr) == []
    charts = rendered_charts(dump.stdout)
    assert sorted(charts) == sorted(CHART_KEYS)
    for key, markup in charts.items():
        assert "js-plotly-plot" in markup, f"{key} was not plotted"
        assert "<svg" in markup and 'class="main-svg"' in markup, f"{key} has no svg"
        assert "no data" not in markup, f"{key} shows no data on the demo"

    screenshot = tmp_path / "report.png"
    shot = run_chromium(demo_report, tmp_path, f"--screenshot={screenshot}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert console_messages(shot.stderr) == []
    assert screenshot.is_file() and screenshot.stat().st_size > 20_000
    keep = os.environ.get("CRM_METRICS_REPORT_SCREENSHOT")
    if keep:
        shutil.copy(screenshot, keep)


def _empty_marts_database(demo_db: Path, target: Path) -> None:
    connection = duckdb.connect(str(target))
    try:
        connection.execute(f"attach '{demo_db}' as demo (read_only)")
        connection.execute("create schema marts")
        for mart in sorted({chart.mart for chart in CHARTS}):
            connection.execute(
                f"create table marts.{mart} as select * from demo.marts.{mart} limit 0"
            )
    finally:
        connection.close()


@pytest.mark.slow
def test_empty_marts_show_no_data(demo_db: Path, tmp_path: Path) -> None:
    database = tmp_path / "empty.duckdb"
    _empty_marts_database(demo_db, database)
    out = build_report(database, tmp_path / "empty.html", progress=False)
    page = out.read_text(encoding="utf-8")
    assert all(block["rows"] == [] for block in data_blocks(page).values())

    dump = run_chromium(out, tmp_path, "--dump-dom")
    assert dump.returncode == 0, dump.stderr[-2000:]
    assert console_messages(dump.stderr) == []
    charts = rendered_charts(dump.stdout)
    assert sorted(charts) == sorted(CHART_KEYS)
    for key, markup in charts.items():
        assert "<svg" in markup, key
        assert ">no data<" in markup, f"{key} does not say no data"


def test_missing_marts_say_not_built(tmp_path: Path) -> None:
    database = tmp_path / "nothing.duckdb"
    duckdb.connect(str(database)).close()
    page = build_report(database, tmp_path / "r.html", progress=False).read_text()
    for chart in CHARTS:
        assert f"no data ({chart.mart} is not built)" in page


def test_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "--database", str(tmp_path / "none.duckdb")])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err

    database = tmp_path / "nothing.duckdb"
    duckdb.connect(str(database)).close()
    out = tmp_path / "sub" / "r.html"
    assert main(["report", "--serving", str(database), "--out", str(out)]) == 0
    assert out.is_file()
    assert str(out.resolve()) in capsys.readouterr().out
