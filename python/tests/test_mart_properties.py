"""Property-based checks (hypothesis) of the identities of three marts on generated histories.

A dbt build per example would be far too slow, so the project is compiled ONCE (into a small
DuckDB file whose raw tables have the contract's columns), and for each example the compiled SQL
of every model upstream of the marts is executed, in dependency order, in a scratch in-memory
DuckDB whose catalog has the compiled database's name; the raw tables there hold the
hypothesis-generated rows. Post-hooks (rate and stage assertions) are not run: the generated
data uses the reporting currency and a valid stages table.

Identities:
- mart_pipeline_flow: open_count_end = open_count_start + created + reopened - won - lost, the
  same for amounts plus amount_change; each period starts where the previous one ended; the
  last month ends with the deals open at as_of_date (counted in plain Python).
- mart_mrr_movements: ending = starting + the five movements; customers_end = customers_start +
  new + reactivated - churned; each month starts where the previous one ended; the last month's
  ending MRR is the MRR of the subscriptions active on its first day (plain Python).
- mart_funnel_conversion: reached_count never rises with stage_order within a segment and
  created month.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_metrics.contract import load_contract
from crm_metrics.runner import PROJECT_DIR, run_dbt, work_dir

pytestmark = pytest.mark.slow

MARTS = {
    "mart_pipeline_flow": "models/marts/pipeline/mart_pipeline_flow.sql",
    "mart_mrr_movements": "models/marts/revenue/mart_mrr_movements.sql",
    "mart_funnel_conversion": "models/marts/pipeline/mart_funnel_conversion.sql",
}
AS_OF = dt.date(2024, 12, 31)
START = dt.datetime(2024, 1, 1, 9, 0, 0)
# name, order, probability, closed, won
STAGES = [
    ("Qualify", 1, 0.1, False, False),
    ("Propose", 2, 0.4, False, False),
    ("Negotiate", 3, 0.7, False, False),
    ("Won", 4, 1.0, True, True),
    ("Lost", 5, 0.0, True, False),
]
CLOSED = {name for name, _, _, closed, _ in STAGES if closed}
SEGMENTS = ["SMB", "MID", "ENT"]


def missing_marts() -> list[str]:
    return [name for name, path in MARTS.items() if not (PROJECT_DIR / path).is_file()]


def require(mart: str) -> None:
    if mart in missing_marts():
        pytest.skip(f"model {mart} ({MARTS[mart]}) does not exist yet")


# --------------------------------------------------------------------------------------------
# compile once, replay per example


class CompiledProject:
    """The compiled SQL of the marts' upstream models, runnable against any raw rows."""

    def __init__(self, base: Path, project_dir: Path = PROJECT_DIR) -> None:
        contract = load_contract()
        self.columns = {name: contract[name].column_names for name in contract.table_names}
        raw = base / "raw"
        raw.mkdir()
        for table, columns in self.columns.items():
            rows = [",".join(columns)]
            if table == "stages":
                rows += [
                    f"{name},{order},{prob},{str(closed).lower()},{str(won).lower()}"
                    for name, order, prob, closed, won in STAGES
                ]
            (raw / f"{table}.csv").write_text("\n".join(rows) + "\n")
        database = base / "compiled.duckdb"
        self.catalog = database.stem
        marts = [name for name in MARTS if name not in missing_marts()]
        variables = {"raw_dir": str(raw), "as_of_date": AS_OF.isoformat()}
        # the raw tables must exist when staging compiles (it reads their columns): load them
        # with the project's own on-run-start hook, then compile
        run_dbt(
            ["run", "--select", "stg_crm__stages"],
            database=database,
            vars=variables,
            progress=False,
        )
        run_dbt(
            ["compile", "--select", *(f"+{name}" for name in marts)],
            database=database,
            vars=variables,
            progress=False,
        )
        manifest = json.loads((work_dir(database) / "target" / "manifest.json").read_text())
        nodes = manifest["nodes"]
        wanted: set[str] = set()
        stack = [f"model.crm_metrics.{name}" for name in marts]
        while stack:
            unique_id = stack.pop()
            if unique_id in wanted or not unique_id.startswith("model."):
                continue
            wanted.add(unique_id)
            stack += nodes[unique_id]["depends_on"]["nodes"]
        # (name, schema, relation_name, sql, upstream model names) in dependency order
        self.steps: list[tuple[str, str, str, str, set[str]]] = []
        upstream: dict[str, set[str]] = {}

        def visit(unique_id: str) -> set[str]:
            if unique_id in upstream:
                return upstream[unique_id]
            node = nodes[unique_id]
            above = {node["name"]}
            for parent in node["depends_on"]["nodes"]:
                if parent in wanted:
                    above |= visit(parent)
            upstream[unique_id] = above
            self.steps.append(
                (node["name"], node["schema"], node["relation_name"], node["compiled_code"], above)
            )
            return above

        for unique_id in sorted(wanted):
            visit(unique_id)

    def run(
        self, raw_rows: dict[str, list[dict[str, Any]]], mart: str
    ) -> duckdb.DuckDBPyConnection:
        """A scratch database with `raw_rows` and the mart with its upstream models built."""
        connection = duckdb.connect()
        connection.execute(f"attach ':memory:' as \"{self.catalog}\"")
        connection.execute(f'use "{self.catalog}"')
        connection.execute("create schema raw_files")
        for table, columns in self.columns.items():
            column_list = ", ".join(f'"{column}" varchar' for column in columns)
            connection.execute(f'create table raw_files."{table}" ({column_list})')
            rows = raw_rows.get(table, [])
            if rows:
                placeholders = ", ".join("?" for _ in columns)
                connection.executemany(
                    f'insert into raw_files."{table}" values ({placeholders})',
                    [[_text(row.get(column)) for column in columns] for row in rows],
                )
        needed = next(above for name, _, _, _, above in self.steps if name == mart)
        steps = [step for step in self.steps if step[0] in needed]
        for schema in sorted({schema for _, schema, _, _, _ in steps}):
            connection.execute(f'create schema if not exists "{schema}"')
        # tables, not views: a view chain recomputes shared parents many times over
        for _, _, relation, sql, _ in steps:
            connection.execute(f"create table {relation} as {sql}")
        return connection


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> CompiledProject:
    if len(missing_marts()) == len(MARTS):
        pytest.skip(f"models {', '.join(MARTS)} do not exist yet")
    return CompiledProject(tmp_path_factory.mktemp("properties"))


# --------------------------------------------------------------------------------------------
# generated raw data

stage_names = st.sampled_from([name for name, *_ in STAGES])
steps = st.lists(
    st.tuples(
        stage_names,
        st.integers(min_value=0, max_value=40),  # days after the previous row
        st.sampled_from([None, 100, 250, 1000]),  # amount (None carries forward)
    ),
    min_size=1,
    max_size=5,
)


@st.composite
def pipelines(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    deals = draw(st.lists(steps, min_size=1, max_size=6))
    accounts = [
        {
            "account_id": f"a{i}",
            "account_name": f"Account {i}",
            "segment": SEGMENTS[i % 3],
            "created_at": "2023-12-01 00:00:00",
        }
        for i in range(3)
    ]
    opportunities, history = [], []
    for number, path in enumerate(deals):
        opp = f"o{number}"
        at = START + dt.timedelta(days=draw(st.integers(min_value=0, max_value=200)), hours=number)
        amount = 500
        for index, (stage, gap, new_amount) in enumerate(path):
            if index:
                at += dt.timedelta(days=gap, minutes=1)  # distinct changed_at per deal
            amount = new_amount if new_amount is not None else amount
            history.append(
                {
                    "opportunity_id": opp,
                    "changed_at": at.isoformat(sep=" "),
                    "stage_name": stage,
                    "amount": new_amount if index else (new_amount or 500),
                    "close_date": (at.date() + dt.timedelta(days=30)).isoformat(),
                }
            )
        opportunities.append(
            {
                "opportunity_id": opp,
                "account_id": f"a{number % 3}",
                "owner_id": "u1",
                "created_at": history[-len(path)]["changed_at"],
                "close_date": (at.date() + dt.timedelta(days=30)).isoformat(),
                "amount": amount,
                "stage_name": path[-1][0],
            }
        )
    return {
        "users": [{"user_id": "u1", "full_name": "Ann Lee", "role": "AE"}],
        "accounts": accounts,
        "stages": [
            {
                "stage_name": name,
                "stage_order": order,
                "default_probability": prob,
                "is_closed": closed,
                "is_won": won,
            }
            for name, order, prob, closed, won in STAGES
        ],
        "opportunities": opportunities,
        "opportunity_history": history,
    }


def month(offset: int) -> dt.date:
    return dt.date(2024 + offset // 12, offset % 12 + 1, 1)


@st.composite
def subscriptions(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    data = draw(pipelines())
    periods = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=3),  # account
                st.integers(min_value=0, max_value=10),  # start month
                st.one_of(st.none(), st.integers(min_value=1, max_value=6)),  # months
                st.sampled_from([50, 100, 120, 300]),  # mrr
            ),
            min_size=1,
            max_size=8,
        )
    )
    data["accounts"].append(
        {"account_id": "a3", "account_name": "Account 3", "created_at": "2023-12-01 00:00:00"}
    )
    data["subscriptions"] = [
        {
            "subscription_id": f"s{index}",
            "account_id": f"a{account}",
            "start_date": month(start).isoformat(),
            "end_date": month(start + length).isoformat() if length else None,
            "mrr_amount": mrr,
        }
        for index, (account, start, length, mrr) in enumerate(periods)
    ]
    return data


PROPERTY_SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --------------------------------------------------------------------------------------------
# properties


@PROPERTY_SETTINGS
@given(data=pipelines())
def test_pipeline_flow_identity(compiled: CompiledProject, data: dict) -> None:
    require("mart_pipeline_flow")
    connection = compiled.run(data, "mart_pipeline_flow")
    try:
        rows = connection.execute(
            "select grain, period_start, open_count_start, created_count, reopened_count,"
            " won_count, lost_count, open_count_end, open_amount_start, created_amount,"
            " reopened_amount, won_amount, lost_amount, amount_change, open_amount_end"
            " from marts.mart_pipeline_flow order by grain, period_start"
        ).fetchall()
    finally:
        connection.close()
    assert rows
    previous: dict[str, tuple] = {}
    for row in rows:
        grain, _, start, created, reopened, won, lost, end = row[:8]
        a_start, a_created, a_reopened, a_won, a_lost, a_change, a_end = (
            float(value or 0) for value in row[8:]
        )
        assert end == start + created + reopened - won - lost, row
        assert a_end == pytest.approx(a_start + a_created + a_reopened - a_won - a_lost + a_change)
        if grain in previous:
            assert start == previous[grain][7], (previous[grain], row)
            assert a_start == pytest.approx(float(previous[grain][14] or 0))
        previous[grain] = row
    # the last month ends with the deals open now (last history row in an open stage)
    last_stage = {}
    for history_row in sorted(data["opportunity_history"], key=lambda r: r["changed_at"]):
        last_stage[history_row["opportunity_id"]] = history_row["stage_name"]
    open_now = sum(stage not in CLOSED for stage in last_stage.values())
    assert previous["month"][7] == open_now


@PROPERTY_SETTINGS
@given(data=subscriptions())
def test_mrr_movement_identity(compiled: CompiledProject, data: dict) -> None:
    require("mart_mrr_movements")
    connection = compiled.run(data, "mart_mrr_movements")
    try:
        rows = connection.execute(
            "select period_month, starting_mrr, new_mrr, expansion_mrr, contraction_mrr,"
            " churned_mrr, reactivation_mrr, ending_mrr, customers_start, new_customers,"
            " reactivated_customers, churned_customers, customers_end"
            " from marts.mart_mrr_movements order by period_month"
        ).fetchall()
    finally:
        connection.close()
    assert rows
    previous = None
    for row in rows:
        start, new, expansion, contraction, churned, reactivation, end = (
            float(value or 0) for value in row[1:8]
        )
        c_start, c_new, c_reactivated, c_churned, c_end = row[8:]
        assert end == pytest.approx(start + new + expansion + contraction + churned + reactivation)
        assert contraction <= 0 and churned <= 0 and new >= 0 and expansion >= 0
        assert c_end == c_start + c_new + c_reactivated - c_churned
        if previous is not None:
            assert start == pytest.approx(float(previous[7] or 0))
            assert c_start == previous[12]
        previous = row
    # independent: MRR active on the first day of the last month
    last_month = previous[0]
    expected = sum(
        sub["mrr_amount"]
        for sub in data["subscriptions"]
        if dt.date.fromisoformat(sub["start_date"]) <= last_month
        and (sub["end_date"] is None or last_month < dt.date.fromisoformat(sub["end_date"]))
    )
    assert float(previous[7] or 0) == pytest.approx(expected)


@PROPERTY_SETTINGS
@given(data=pipelines())
def test_funnel_reached_counts_never_rise_with_stage_order(
    compiled: CompiledProject, data: dict
) -> None:
    require("mart_funnel_conversion")
    connection = compiled.run(data, "mart_funnel_conversion")
    try:
        rows = connection.execute(
            "select segment, created_month, stage_order, reached_count, advanced_count"
            " from marts.mart_funnel_conversion order by 1, 2, 3"
        ).fetchall()
    finally:
        connection.close()
    reached: dict[tuple, list[tuple[int, int, int]]] = defaultdict(list)
    for segment, created_month, order, count, advanced in rows:
        reached[(segment, created_month)].append((order, count, advanced))
    for cells in reached.values():
        counts = [count for _, count, _ in cells]
        assert counts == sorted(counts, reverse=True), cells
        assert all(advanced <= count for _, count, advanced in cells), cells
