"""The Evidence dashboard (dashboard/), built on the demo snapshot and read in headless Chromium.

The test does what `make dashboard` does, in a copy of the project: `npm ci` from the lockfile,
Evidence's sources step on the published demo snapshot, the static build. It serves the build on
127.0.0.1 (with HTTP range requests, which DuckDB-Wasm uses to read the Parquet files) and opens
every page in Chromium with every other host blocked, then checks what is displayed: the headline
numbers and one table per page, each equal to values computed here from the snapshot's tables in
plain Python (rates as ratios of sums), rep names instead of ids, no request leaving 127.0.0.1,
no error in the console. A screenshot per page is kept (CRM_METRICS_DASHBOARD_ARTIFACTS, default
out/test-artifacts/dashboard) with timings.json, the seconds each step took. Without Node.js, npm
or Chromium the test skips, and fails when CI is set.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cdp import Browser, chromium_binary
from conftest import _in_ci

from crm_metrics.runner import PROJECT_DIR
from crm_metrics.serving import publish

pytestmark = pytest.mark.slow

DASHBOARD = PROJECT_DIR / "dashboard"
PAGES = ("index", "pipeline", "reps", "revenue", "activity", "customers")
ARTIFACTS = Path(
    os.environ.get(
        "CRM_METRICS_DASHBOARD_ARTIFACTS", PROJECT_DIR / "out" / "test-artifacts" / "dashboard"
    )
)


def unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}; CI is set, so the dashboard test must run")
    pytest.skip(reason)


def run(command: list[str], cwd: Path) -> float:
    started = time.monotonic()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-1500:]
        pytest.fail(f"{' '.join(command)} failed ({result.returncode}):\n{output}")
    return round(time.monotonic() - started, 1)


# --- the site -------------------------------------------------------------------------------


class RangeHandler(SimpleHTTPRequestHandler):
    """Static files with single byte ranges (`Range: bytes=a-b`), as DuckDB-Wasm asks for them."""

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def send_head(self) -> Any:
        requested = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", (requested or "").strip())
        if match is None or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start = int(match.group(1))
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        handle = path.open("rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.range_length = end - start + 1
        return handle

    def copyfile(self, source: Any, outputfile: Any) -> None:
        length = getattr(self, "range_length", None)
        if length is None:
            super().copyfile(source, outputfile)
        else:
            outputfile.write(source.read(length))


@pytest.fixture(scope="module")
def built(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The dashboard built on the demo snapshot: its build folder, the snapshot, the timings."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        unavailable("node and npm are needed to build the dashboard (Debian: nodejs, npm)")
    folder = tmp_path_factory.mktemp("dashboard")
    snapshot = publish(demo_db, folder / "demo.serving.duckdb").path
    project = folder / "dashboard"
    shutil.copytree(
        DASHBOARD,
        project,
        ignore=shutil.ignore_patterns("node_modules", ".evidence", "build", "snapshot.duckdb"),
    )
    (project / "sources" / "crm" / "snapshot.duckdb").symlink_to(snapshot)
    timings = {
        "npm ci": run([npm, "ci", "--no-audit", "--no-fund"], project),
        "npm run sources": run([npm, "run", "sources"], project),
        "npm run build": run([npm, "run", "build"], project),
    }
    return {"site": project / "build", "snapshot": snapshot, "timings": timings}


@pytest.fixture(scope="module")
def served(built: dict[str, Any]) -> Iterator[str]:
    handler = functools.partial(RangeHandler, directory=str(built["site"]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


READ_PAGE = """(() => {
    const article = document.querySelector('#evidence-main-article');
    if (!article) return null;
    const values = [...article.querySelectorAll('p.text-sm.leading-none')].map(
        (title) => [title.innerText.trim(), title.nextElementSibling.innerText.trim()]);
    const tables = [...article.querySelectorAll('table')].map((table) => ({
        head: [...table.querySelectorAll('th[role=columnheader]')].map((h) => h.innerText.trim()),
        rows: [...table.querySelectorAll('tr')].filter((row) => row.querySelector('td')).map(
            (row) => [...row.querySelectorAll('td')].map((cell) => cell.innerText.trim())),
    }));
    return {values, tables, text: article.innerText};
})()"""


@pytest.fixture(scope="module")
def pages(built: dict[str, Any], served: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each page as displayed: its headline values, its tables; a screenshot of each kept."""
    binary = chromium_binary()
    if binary is None:
        unavailable("chromium is not installed (.ci/run installs Debian's chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shown: dict[str, Any] = {}
    started = time.monotonic()
    profile = tmp_path_factory.mktemp("chromium")
    with Browser(binary, profile, height=1000, loopback=True) as browser:
        browser.send("Network.enable")
        for page in PAGES:
            browser.open_url(f"{served}/{'' if page == 'index' else page}")
            deadline = time.monotonic() + 60
            while True:  # the page is drawn once no table or value is still loading
                read = browser.evaluate(READ_PAGE)
                drawn = read and read["tables"] and all(t["rows"] for t in read["tables"])
                if drawn and "Loading" not in read["text"]:
                    break
                if time.monotonic() > deadline:
                    pytest.fail(f"page {page} not drawn in 60 s: {read and read['text'][:500]}")
                time.sleep(0.5)
            time.sleep(1)  # let the charts finish drawing before the screenshot
            read = browser.evaluate(READ_PAGE)
            browser.screenshot("body", ARTIFACTS / f"{page}.png")
            shown[page] = read
        requests = [
            event["params"]["request"]["url"]
            for event in browser.events
            if event.get("method") == "Network.requestWillBeSent"
        ]
        console = browser.console()
    timings = {**built["timings"], "chromium, every page": round(time.monotonic() - started, 1)}
    (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    return {"pages": shown, "requests": requests, "console": console, "served": served}


# --- what the test computes from the snapshot ---------------------------------------------------


def rows(snapshot: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(snapshot), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def number(value: Any) -> str:
    """#,##0: rounded half away from zero, thousands separated by commas; - for null."""
    if value is None:
        return "-"
    rounded = decimal.Decimal(str(value)).quantize(decimal.Decimal(1), decimal.ROUND_HALF_UP)
    return f"{int(rounded):,}"


def percent(numerator: Any, denominator: Any) -> str:
    """0.0%: a ratio of sums, - when the denominator is zero."""
    if not denominator:
        return "-"
    ratio = decimal.Decimal(str(numerator)) / decimal.Decimal(str(denominator)) * 100
    return f"{ratio.quantize(decimal.Decimal('0.1'), decimal.ROUND_HALF_UP)}%"


def month(value: dt.date) -> str:
    return value.strftime("%b %Y")


def as_of(snapshot: Path) -> dt.date:
    return rows(snapshot, "select as_of_date from meta.snapshot")[0][0]


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    return (first_of_month(day) - dt.timedelta(days=1)).replace(day=1)


def last_12_months(snapshot: Path, table: str, columns: str) -> list[tuple]:
    """The 12 latest months up to the as-of month, latest first."""
    start = first_of_month(as_of(snapshot))
    found = rows(snapshot, f"select period_month, {columns} from {table}")
    return sorted((row for row in found if row[0] <= start), reverse=True)[:12]


def rep_names(snapshot: Path) -> dict[str, str]:
    users = rows(snapshot, "select user_id, full_name from core.dim_users")
    shared = defaultdict(int)
    for _, name in users:
        shared[name] += 1
    return {
        user: user if name is None else f"{name} ({user})" if shared[name] > 1 else name
        for user, name in users
    }


def table(shown: dict, page: str, first_header: str) -> list[list[str]]:
    for found in shown["pages"][page]["tables"]:
        if found["head"] and found["head"][0] == first_header:
            return found["rows"]
    raise AssertionError(f"page {page} shows no table headed {first_header!r}")


# --- tests --------------------------------------------------------------------------------------


def test_headline_numbers_are_the_as_of_month_by_the_report_rules(
    built: dict[str, Any], pages: dict
) -> None:
    snapshot = built["snapshot"]
    day = as_of(snapshot)
    start = first_of_month(day)
    closed = [
        (outcome, amount)
        for outcome, amount, closed_at in rows(
            snapshot, "select outcome, amount, closed_at from core.fct_opportunities"
        )
        if outcome in ("won", "lost") and closed_at and start <= closed_at.date() <= day
    ]
    bookings = sum(amount for outcome, amount in closed if outcome == "won")
    won = sum(1 for outcome, _ in closed if outcome == "won")
    open_pipeline = sum(
        amount
        for snapshot_date, amount in rows(
            snapshot, "select snapshot_date, open_amount from marts.mart_pipeline_trend"
        )
        if snapshot_date == day
    )
    quotas = dict(
        rows(
            snapshot, "select period_month, company_quota from marts.mart_quota_attainment_summary"
        )
    )
    quota_left = quotas[start] - bookings if quotas.get(start) is not None else None
    saas = {
        m: (mrr, arr)
        for m, mrr, arr in rows(snapshot, "select period_month, mrr, arr from marts.mart_saas_kpis")
    }
    complete = (day + dt.timedelta(days=1)).day == 1
    nrr_month = start if complete else previous_month(day)
    nrr = dict(rows(snapshot, "select period_month, net_revenue_retention from marts.mart_churn"))
    expected = {
        "Bookings, month to date": number(bookings),
        "Win rate, month to date": percent(won, len(closed)),
        "Open pipeline": number(open_pipeline),
        "Pipeline coverage of the quota left": (
            f"{decimal.Decimal(str(open_pipeline)) / decimal.Decimal(str(quota_left)):.2f}"
            if quota_left and quota_left > 0
            else "-"
        ),
        "MRR": number(saas[start][0]),
        "ARR": number(saas[start][1]),
        "Net revenue retention": percent(nrr[nrr_month], 1),
    }
    assert dict(pages["pages"]["index"]["values"]) == expected
    assert day.isoformat() in pages["pages"]["index"]["text"]


def test_headline_table_is_bookings_against_quota_by_month(
    built: dict[str, Any], pages: dict
) -> None:
    months = last_12_months(
        built["snapshot"],
        "marts.mart_quota_attainment_summary",
        "company_bookings_amount, company_quota, reps_at_quota, reps_with_quota",
    )
    expected = [
        [month(m), number(b), number(q), percent(b, q), str(at), str(with_quota)]
        for m, b, q, at, with_quota in months
    ]
    assert table(pages, "index", "Month") == expected


def test_pipeline_funnel_sums_counts_before_dividing(built: dict[str, Any], pages: dict) -> None:
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for order, stage, reached, advanced, won in rows(
        built["snapshot"],
        "select stage_order, stage_name, reached_count, advanced_count, won_count "
        "from marts.mart_funnel_conversion",
    ):
        for index, count in enumerate((reached, advanced, won)):
            sums[(order, stage)][index] += count or 0
    expected = [
        [stage, number(r), number(a), number(w), percent(a, r), percent(w, r)]
        for (_, stage), (r, a, w) in sorted(sums.items())
    ]
    assert table(pages, "pipeline", "Stage") == expected


def test_results_by_segment_and_rep_names(built: dict[str, Any], pages: dict) -> None:
    snapshot = built["snapshot"]
    start = first_of_month(as_of(snapshot))
    segments = dict(rows(snapshot, "select user_id, segment from core.dim_users"))
    sums: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0])
    owners = []
    for owner, period, won, bookings, quota in rows(
        snapshot,
        "select owner_id, period_month, won_count, bookings_amount, quota "
        "from marts.mart_quota_attainment",
    ):
        if period != start:
            continue
        owners.append(owner)
        totals = sums[segments.get(owner) or "unknown"]
        for index, value in enumerate((1, won, bookings, quota)):
            totals[index] += value or 0
    expected = [
        [segment, str(reps), str(won), number(bookings), number(quota), percent(bookings, quota)]
        for segment, (reps, won, bookings, quota) in sorted(sums.items())
    ]
    assert table(pages, "reps", "Segment") == expected
    names = rep_names(snapshot)
    shown = [row[0] for row in table(pages, "reps", "Rep")]
    assert sorted(shown) == sorted(names.get(owner, owner) for owner in owners)
    assert not set(shown) & set(owners) - {names.get(o) for o in owners}, "ids shown, not names"


def test_revenue_movements_by_month(built: dict[str, Any], pages: dict) -> None:
    columns = (
        "starting_mrr, new_mrr, expansion_mrr, contraction_mrr, churned_mrr, "
        "reactivation_mrr, ending_mrr"
    )
    months = last_12_months(built["snapshot"], "marts.mart_mrr_movements", columns)
    expected = [[month(row[0]), *(number(value) for value in row[1:])] for row in months]
    assert table(pages, "revenue", "Month") == expected


def test_activity_by_rep_name(built: dict[str, Any], pages: dict) -> None:
    snapshot = built["snapshot"]
    start = first_of_month(as_of(snapshot))
    names = rep_names(snapshot)
    expected = [
        [
            names.get(user, user),
            number(dials),
            number(connects),
            percent(connects, dials),
            number(meetings),
            number(sourced),
            number(won),
        ]
        for user, period, dials, connects, meetings, sourced, won in rows(
            snapshot,
            "select user_id, period_month, dials, connects, meetings, opportunities_sourced, "
            "deals_won from marts.mart_activity_efficiency",
        )
        if period == start
    ]
    assert sorted(table(pages, "activity", "Rep")) == sorted(expected)


def decimals(value: Any, places: int) -> str:
    """#,##0.00 (places 2) or 0.0 (places 1): rounded half away from zero; - for null."""
    if value is None:
        return "-"
    step = decimal.Decimal(1).scaleb(-places)
    return f"{decimal.Decimal(str(value)).quantize(step, decimal.ROUND_HALF_UP):,}"


PERSONA_ORDER = ("executive", "vp", "director", "manager", "individual_contributor")


def test_customers_headline_personas_and_product_months(built: dict[str, Any], pages: dict) -> None:
    snapshot = built["snapshot"]
    day = as_of(snapshot)
    start = first_of_month(day)
    latest = start if (day + dt.timedelta(days=1)).day == 1 else previous_month(day)
    daily = [
        (responses, emails)
        for date, responses, emails in rows(
            snapshot, "select activity_date, responses, emails from marts.mart_rep_daily_activity"
        )
        if start <= date <= day
    ]
    personas = rows(
        snapshot,
        "select persona, leads, converted_leads, won_count, lost_count"
        " from marts.mart_conversions_by_title",
    )
    closed = {
        persona: ((won or 0), (won or 0) + (lost or 0))
        for persona, _, _, won, lost in personas
        if persona != "unknown" and (won or 0) + (lost or 0)
    }
    enough = {k: v for k, v in closed.items() if v[1] >= 10} or closed
    best = max(enough, key=lambda k: (enough[k][0] / enough[k][1], enough[k][1], k))
    roi = [
        (spend, leads)
        for period, spend, leads in rows(
            snapshot, "select period_month, spend, leads from marts.mart_lead_source_roi"
        )
        if period == latest
    ]
    spend = sum(s for s, _ in roi if s is not None) if any(s is not None for s, _ in roi) else None
    leads = sum(n for _, n in roi)
    usage = {
        period: (mau, dau, signups)
        for period, mau, dau, signups in rows(
            snapshot, "select period_month, mau, dau, new_signups from marts.mart_product_usage"
        )
    }
    weeks = sorted(
        (
            (week, new, activated)
            for week, new, activated in rows(
                snapshot, "select signup_week, new_users, activated_48h from marts.mart_activation"
            )
            if week + dt.timedelta(days=8) <= day
        ),
        reverse=True,
    )[:4]
    scores: dict[dt.date, list[float]] = defaultdict(list)
    for period, score in rows(
        snapshot, "select period_month, health_score from marts.mart_account_health"
    ):
        if score is not None:
            scores[period].append(score)

    def health(period: dt.date) -> float | None:
        found = scores.get(period)
        return sum(found) / len(found) if found else None

    mau, dau, _ = usage.get(latest, (None, None, None))
    expected = {
        "Email response rate, month to date": percent(
            sum(r for r, _ in daily), sum(e for _, e in daily)
        ),
        "Win rate of the best buyer persona": percent(*enough[best]),
        "Cost per lead": decimals(
            decimal.Decimal(str(spend)) / leads if spend is not None and leads else None, 2
        ),
        "DAU/MAU (stickiness)": percent(dau, mau) if mau else "-",
        "Activation velocity": percent(sum(w[2] for w in weeks), sum(w[1] for w in weeks)),
        "Account health score": decimals(health(latest), 1),
    }
    assert dict(pages["pages"]["customers"]["values"]) == expected
    assert f"The best buyer persona is {best}" in pages["pages"]["customers"]["text"]

    def order(persona: str) -> tuple[int, str]:
        rank = PERSONA_ORDER.index(persona) + 1 if persona in PERSONA_ORDER else 6
        return (7 if persona == "unknown" else rank, persona)

    expected_personas = [
        [
            persona,
            number(leads),
            number(converted),
            percent(converted, leads),
            number(won),
            number(lost),
            percent(won, (won or 0) + (lost or 0)),
        ]
        for persona, leads, converted, won, lost in sorted(personas, key=lambda r: order(r[0]))
    ]
    assert table(pages, "customers", "Persona") == expected_personas
    months = sorted((m for m in usage if m <= start), reverse=True)[:12]
    expected_months = [
        [
            month(m),
            number(usage[m][0]),
            percent(usage[m][1], usage[m][0]),
            number(usage[m][2]),
            decimals(health(m), 1),
        ]
        for m in months
    ]
    assert table(pages, "customers", "Month") == expected_months


def test_nothing_leaves_the_machine_and_no_page_errs(pages: dict) -> None:
    outside = [
        url
        for url in pages["requests"]
        if not url.startswith((pages["served"] + "/", "data:", "blob:"))
    ]
    assert outside == []
    errors = [message for message in pages["console"] if "rror" in message]
    assert errors == []
    for page in PAGES:
        assert (ARTIFACTS / f"{page}.png").stat().st_size > 10_000
