"""The demo / benchmark data generator: determinism, formats and realistic behaviour.

Behaviour checks are computed independently of the generator, with DuckDB over the committed
demo seeds (read as text, then cast).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from crm_metrics.cli import main
from crm_metrics.contract import PROJECT_DIR, load_contract
from crm_metrics.generate import generate

DEMO_DIR = PROJECT_DIR / "seeds" / "demo"
CONTRACT = load_contract()
OPEN = "('Qualification', 'Discovery', 'Solution Demo', 'Proposal', 'Negotiation')"

_FORMATS = {
    "timestamp": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "integer": r"^-?\d+$",
    "decimal": r"^-?\d+(\.\d{1,2})?$",
    "boolean": r"^(true|false)$",
}
_RATE_COLUMNS = {("exchange_rates", "rate_to_reporting"), ("stages", "default_probability")}


@pytest.fixture(scope="module")
def db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in CONTRACT.table_names:
        path = DEMO_DIR / f"{name}.csv"
        con.execute(
            f"create table raw_{name} as select * from read_csv('{path}', all_varchar=true)"
        )
    con.execute("""
        create view users as select * replace (hired_on::date as hired_on) from raw_users;
        create view accounts as select * replace (created_at::timestamp as created_at)
            from raw_accounts;
        create view stages as select * replace (stage_order::int as stage_order,
            is_closed::boolean as is_closed, is_won::boolean as is_won) from raw_stages;
        create view opps as select * replace (created_at::timestamp as created_at,
            close_date::date as close_date, amount::double as amount,
            is_closed::boolean as is_closed, is_won::boolean as is_won,
            closed_at::timestamp as closed_at) from raw_opportunities;
        create table hist as
            select h.opportunity_id, h.changed_at::timestamp as changed_at, h.stage_name,
                h.amount::double as amount, h.close_date::date as close_date, s.stage_order,
                s.is_closed, s.is_won
            from raw_opportunity_history h join stages s using (stage_name);
        create table path as
            select *,
                lag(stage_name) over w as prev_stage, lag(stage_order) over w as prev_order,
                lag(is_closed) over w as prev_closed, lag(amount) over w as prev_amount,
                lag(close_date) over w as prev_close_date,
                row_number() over w as rn,
                count(*) over (partition by opportunity_id) as n_rows
            from hist window w as (partition by opportunity_id order by changed_at);
        create view leads as select * replace (created_at::timestamp as created_at,
            mql_at::timestamp as mql_at, sql_at::timestamp as sql_at,
            converted_at::timestamp as converted_at,
            disqualified_at::timestamp as disqualified_at) from raw_leads;
        create view acts as select * replace (activity_at::timestamp as activity_at,
            duration_minutes::double as duration_minutes) from raw_activities;
        create view subs as select * replace (start_date::date as start_date,
            end_date::date as end_date, mrr_amount::double as mrr_amount) from raw_subscriptions;
        create view targets as select * replace (period_month::date as period_month,
            target_value::double as target_value) from raw_targets;
        create view spend as select * replace (period_month::date as period_month,
            spend::double as spend) from raw_marketing_spend;
        create view rates as select * replace (rate_date::date as rate_date,
            rate_to_reporting::double as rate_to_reporting) from raw_exchange_rates;
    """)
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


# --- (a) determinism / (e) headers / (c) parquet / (d) seeds --------------------------------


def test_demo_seeds_are_reproducible(tmp_path: Path) -> None:
    counts = generate(tmp_path, opportunities=3000, seed=42, fmt="csv")
    assert list(counts) == CONTRACT.table_names
    assert sorted(p.name for p in DEMO_DIR.glob("*.csv")) == sorted(
        f"{t}.csv" for t in CONTRACT.table_names
    )
    total = 0
    for name in CONTRACT.table_names:
        committed = (DEMO_DIR / f"{name}.csv").read_bytes()
        assert (tmp_path / f"{name}.csv").read_bytes() == committed, name
        assert committed.count(b"\n") == counts[name] + 1, name
        total += len(committed)
    assert total < 12 * 1024 * 1024


@pytest.mark.parametrize("table", CONTRACT.table_names)
def test_header_is_contract_columns(table: str) -> None:
    with open(DEMO_DIR / f"{table}.csv", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n")
    assert header.split(",") == CONTRACT[table].column_names


def test_parquet_matches_csv_row_counts(tmp_path: Path) -> None:
    csv_counts = generate(tmp_path / "csv", opportunities=300, seed=7, fmt="csv")
    pq_counts = generate(tmp_path / "pq", opportunities=300, seed=7, fmt="parquet")
    assert csv_counts == pq_counts
    con = duckdb.connect()
    for name in CONTRACT.table_names:
        rel = con.sql(f"select * from read_parquet('{tmp_path / 'pq' / name}.parquet')")
        assert rel.columns == CONTRACT[name].column_names
        assert (
            _one(con, f"select count(*) from '{tmp_path / 'pq' / name}.parquet'")
            == (pq_counts[name])
        )
        assert (
            _one(con, f"select count(*) from '{tmp_path / 'csv' / name}.csv'") == (csv_counts[name])
        )
    types = dict(
        con.execute(
            f"select column_name, column_type from (describe select * from "
            f"'{tmp_path / 'pq' / 'opportunities'}.parquet')"
        ).fetchall()
    )
    assert types["created_at"].startswith("TIMESTAMP")
    assert types["close_date"] == "DATE"
    assert types["amount"] == "DOUBLE"
    assert types["is_won"] == "BOOLEAN"


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", opportunities=200, seed=1)
    generate(tmp_path / "b", opportunities=200, seed=1)
    generate(tmp_path / "c", opportunities=200, seed=2)
    for name in CONTRACT.table_names:
        a = (tmp_path / "a" / f"{name}.csv").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.csv").read_bytes(), name
    for name in ("opportunities", "opportunity_history", "activities", "leads"):
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() != (
            tmp_path / "c" / f"{name}.csv"
        ).read_bytes()


def test_parquet_is_deterministic(tmp_path: Path) -> None:
    generate(tmp_path / "a", opportunities=100, seed=3, fmt="parquet")
    generate(tmp_path / "b", opportunities=100, seed=3, fmt="parquet")
    for name in CONTRACT.table_names:
        a = (tmp_path / "a" / f"{name}.parquet").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.parquet").read_bytes(), name


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_tiny_sizes(tmp_path: Path, n: int) -> None:
    counts = generate(tmp_path, opportunities=n, seed=n)
    assert counts["opportunities"] == n
    assert counts["stages"] == 7


def test_size_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, opportunities=10, scale=1.0)
    counts = generate(tmp_path, scale=0.002)
    assert counts["opportunities"] == 200


# --- (b) contract conformance of the demo seeds ---------------------------------------------


@pytest.mark.parametrize("table", CONTRACT.table_names)
def test_values_follow_contract(db: duckdb.DuckDBPyConnection, table: str) -> None:
    spec = CONTRACT[table]
    assert _one(db, f"select count(*) from raw_{table}") > 0
    for col in spec.columns:
        q = f'"{col.name}"'
        if col.required:
            assert _one(db, f"select count(*) from raw_{table} where {q} is null") == 0, col.name
        pattern = _FORMATS.get(col.type)
        if (table, col.name) in _RATE_COLUMNS:
            pattern = r"^\d+(\.\d{1,6})?$"
        if pattern:
            bad = _one(
                db,
                f"select count(*) from raw_{table} where {q} is not null "
                f"and not regexp_full_match({q}, '{pattern}')",
            )
            assert bad == 0, col.name
        if col.enum:
            allowed = ", ".join(f"'{v}'" for v in col.enum)
            bad = _one(db, f"select count(*) from raw_{table} where {q} not in ({allowed})")
            assert bad == 0, col.name
        if col.references:
            ref_table, ref_col = col.references.split(".")
            orphans = _one(
                db,
                f"select count(*) from raw_{table} t where t.{q} is not null and not exists "
                f"(select 1 from raw_{ref_table} r where r.{ref_col} = t.{q})",
            )
            assert orphans == 0, col.name
    keys = ", ".join(spec.key)
    dupes = _one(
        db,
        f"select count(*) from (select {keys} from raw_{table} group by all having count(*) > 1)",
    )
    assert dupes == 0


@pytest.mark.parametrize(
    ("table", "column", "pattern"),
    [
        ("opportunities", "opportunity_id", r"opp_\d{7}"),
        ("accounts", "account_id", r"acc_\d{6}"),
        ("users", "user_id", r"usr_\d{4}"),
        ("leads", "lead_id", r"lead_\d{7}"),
        ("activities", "activity_id", r"act_\d{8}"),
        ("products", "product_id", r"prd_\d{3}"),
    ],
)
def test_id_format(db: duckdb.DuckDBPyConnection, table: str, column: str, pattern: str) -> None:
    assert _one(db, f"select bool_and(regexp_full_match({column}, '{pattern}')) from raw_{table}")


def test_stages_definition(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute(
        "select stage_name, stage_order, default_probability::double, is_closed, is_won "
        "from stages order by stage_order"
    ).fetchall()
    assert rows == [
        ("Qualification", 1, 0.10, False, False),
        ("Discovery", 2, 0.20, False, False),
        ("Solution Demo", 3, 0.40, False, False),
        ("Proposal", 4, 0.60, False, False),
        ("Negotiation", 5, 0.80, False, False),
        ("Closed Won", 6, 1.0, True, True),
        ("Closed Lost", 7, 0.0, True, False),
    ]


def test_history_file_is_unordered() -> None:
    with open(DEMO_DIR / "opportunity_history.csv", encoding="utf-8") as handle:
        rows = [tuple(line.split(",")[:2]) for line in list(handle)[1:200]]
    assert rows != sorted(rows)


# --- (b) behaviours that must occur in the demo seeds -----------------------------------------

BEHAVIOURS = {
    # sales org
    "roles": "select count(distinct role) = 4 from users where role in ('MANAGER','SDR','AE','SE')",
    "manager_hierarchy": """select count(*) > 0 from users u
        join users m on u.manager_id = m.user_id
        join users top on m.manager_id = top.user_id where u.role = 'AE' and m.role = 'MANAGER'""",
    "every_rep_has_manager": """select bool_and(manager_id is not null) from users
        where role in ('AE', 'SDR', 'SE')""",
    "teams_and_segments": """select count(distinct team) >= 3 and count(distinct segment) = 3
        from users where role = 'AE'""",
    "hire_dates_spread": """select count(distinct year(hired_on)) >= 4
        and max(hired_on) >= date '2024-01-01' and min(hired_on) < date '2022-01-01'
        from users where role in ('AE', 'SDR', 'SE')""",
    "account_segments_countries": """select count(distinct segment) = 3
        and count(distinct country) >= 5 from accounts""",
    # data window
    "deal_window": """select min(created_at) >= timestamp '2023-01-01'
        and max(created_at) < timestamp '2026-01-01' from opps""",
    "latest_timestamp_is_2025_12_31": """select max(d) = date '2025-12-31' from (
        select max(changed_at)::date d from hist union all
        select max(activity_at)::date from acts union all
        select max(created_at)::date from leads union all
        select max(start_date) from subs union all
        select max(created_at)::date from accounts union all
        select max(created_at)::date from opps)""",
    "some_open_deals": "select count(*) >= 30 from opps where not is_closed",
    # pipeline paths
    "advance_by_one": "select count(*) > 0 from path where stage_order = prev_order + 1",
    "skip_stage": """select count(*) > 0 from path where stage_order >= prev_order + 2
        and not is_closed and not prev_closed""",
    "regression": """select count(*) > 0 from path where stage_order < prev_order
        and not is_closed and not prev_closed""",
    "push": """select count(distinct opportunity_id) >= 50 from path
        where close_date > prev_close_date and not is_closed and not prev_closed""",
    "several_pushes": """select count(*) >= 20 from (select opportunity_id from path
        where close_date > prev_close_date and not is_closed and not prev_closed
        group by 1 having count(*) >= 2)""",
    "five_pushes": """select count(*) >= 3 from (select opportunity_id from path
        where close_date > prev_close_date and not is_closed and not prev_closed
        group by 1 having count(*) >= 5)""",
    "amount_up_while_open": """select count(*) > 0 from path
        where amount > prev_amount and not is_closed and not prev_closed""",
    "amount_down_while_open": """select count(*) > 0 from path
        where amount < prev_amount and not is_closed and not prev_closed""",
    "amount_only_edit": """select count(*) > 0 from path where stage_name = prev_stage
        and amount <> prev_amount and close_date = prev_close_date""",
    "close_date_only_edit": """select count(*) > 0 from path where stage_name = prev_stage
        and amount = prev_amount and close_date <> prev_close_date""",
    "lost_with_reasons": """select count(distinct loss_reason) >= 3 and bool_and(loss_reason
        is not null) from opps where stage_name = 'Closed Lost'""",
    "reopened": "select count(*) > 0 from path where prev_closed and not is_closed",
    "reopened_and_closed_again": """select count(*) > 0 from (select opportunity_id from path
        where prev_closed and not is_closed) r join opps using (opportunity_id)
        where opps.is_closed""",
    "created_won": "select count(*) > 0 from path where rn = 1 and stage_name = 'Closed Won'",
    "deals_without_history": """select count(*) > 0 from opps o where not exists
        (select 1 from hist h where h.opportunity_id = o.opportunity_id)""",
    "won_faster_than_lost": """with spans as (
            select opportunity_id, stage_name, is_closed,
                epoch(lead(changed_at) over (partition by opportunity_id order by changed_at)
                    - changed_at) / 86400 as days
            from hist),
        per_stage as (
            select s.opportunity_id, s.stage_name, sum(days) as days from spans s
            where not s.is_closed and days is not null group by 1, 2)
        select avg(days) filter (where o.is_won) < 0.8 * avg(days) filter (where not o.is_won)
        from per_stage p join opps o using (opportunity_id) where o.is_closed""",
    # money
    "three_currencies": """select count(distinct currency_code) >= 3 and
        bool_or(currency_code = 'USD') and bool_or(currency_code = 'EUR')
        and bool_or(currency_code = 'GBP') from opps""",
    "rates_cover_history": """select count(*) = 0 from hist h join opps o using (opportunity_id)
        where coalesce(o.currency_code, 'USD') <> 'USD' and not exists (select 1 from rates r
        where r.currency_code = o.currency_code and r.rate_date <= h.changed_at::date)""",
    "rates_cover_subscriptions": """select count(*) = 0 from subs s
        where coalesce(s.currency_code, 'USD') <> 'USD' and not exists (select 1 from rates r
        where r.currency_code = s.currency_code and r.rate_date <= s.start_date)""",
    "rates_start_before_first_deal": """select (select min(rate_date) from rates) <
        (select min(created_at)::date from opps)""",
    "opportunity_types": "select count(distinct opportunity_type) = 3 from opps",
    "lead_source_on_deals": """select bool_and(lead_source is not null)
        and count(distinct lead_source) >= 5 from opps""",
    # leads
    "lead_funnel": """select count(*) > 0 from leads where mql_at is not null
        and sql_at is not null and converted_at is not null
        and mql_at <= sql_at and sql_at <= converted_at""",
    "lead_skips_mql": """select count(*) > 0 from leads where mql_at is null
        and (sql_at is not null or converted_at is not null)""",
    "converted_leads_consistent": """select count(*) > 20 and bool_and(o.created_at >=
        l.converted_at and l.converted_account_id = o.account_id
        and l.lead_source = o.lead_source)
        from leads l join opps o on o.opportunity_id = l.converted_opportunity_id""",
    "converted_lead_fields_together": """select count(*) = 0 from leads where
        (converted_at is null) <> (converted_opportunity_id is null)
        or (converted_at is null) <> (converted_account_id is null)""",
    "disqualified_with_reasons": """select count(distinct disqualify_reason) >= 3
        and bool_and(disqualify_reason is not null) from leads
        where disqualified_at is not null""",
    "conversion_differs_by_source": """select max(r) >= 2 * min(r) from (select lead_source,
        count(converted_opportunity_id) / count(*) as r from leads group by 1)""",
    # activities
    "call_outcomes": """select count(distinct outcome) = 4 from acts where activity_type = 'call'
        and outcome in ('connected', 'no_answer', 'left_voicemail', 'meeting_booked')""",
    "activity_types": """select count(distinct activity_type) >= 6 from acts
        where activity_type in ('call', 'email', 'meeting', 'demo', 'poc', 'rfp')""",
    "presales_work_by_ses": """select count(*) > 0 and bool_and(u.role = 'SE')
        and bool_and(a.duration_minutes > 0) from acts a join users u using (user_id)
        where a.activity_type in ('poc', 'rfp')""",
    "activities_linked": """select count(opportunity_id) > 0 and count(lead_id) > 0
        and count(account_id) > 0 from acts""",
    "deal_activities_in_deal_life": """select count(*) = 0 from acts a
        join opps o using (opportunity_id) where a.activity_at < o.created_at""",
    "lead_activities_after_lead": """select count(*) = 0 from acts a
        join leads l using (lead_id) where a.activity_at < l.created_at""",
    "activities_after_hire": """select count(*) = 0 from acts a join users u using (user_id)
        where a.activity_at::date < u.hired_on""",
    "dials_per_connect_varies": """select max(r) >= 2 * min(r) from (select user_id,
        count(*) / count(*) filter (where outcome in ('connected', 'meeting_booked')) as r
        from acts a join users u using (user_id) where u.role = 'SDR' and activity_type = 'call'
        group by 1 having count(*) >= 100)""",
    "presales_share": """select avg((presales_owner_id is not null)::int) >= 0.3
        and bool_and(u.role = 'SE' or o.presales_owner_id is null)
        from opps o left join users u on u.user_id = o.presales_owner_id""",
    "deal_owners_are_aes_hired": """select bool_and(u.role = 'AE'
        and u.hired_on <= o.created_at::date) from opps o join users u on u.user_id = o.owner_id""",
    # products
    "products_and_line_items": """select count(distinct p.product_family) >= 2
        and bool_and(p.list_price::double > 0) and count(distinct li.opportunity_id) > 1000
        from raw_opportunity_line_items li join raw_products p using (product_id)""",
    # subscriptions
    "subscriptions_for_won_customers": """select bool_and(exists (select 1 from opps o
        where o.account_id = s.account_id and o.is_won and o.closed_at::date <= s.start_date))
        from subs s""",
    "upgrades": """select count(*) > 0 from subs a join subs b on a.account_id = b.account_id
        and b.start_date = a.end_date and b.mrr_amount > a.mrr_amount""",
    "downgrades": """select count(*) > 0 from subs a join subs b on a.account_id = b.account_id
        and b.start_date = a.end_date and b.mrr_amount < a.mrr_amount""",
    "churn": """select count(*) > 0 from subs a where a.end_date is not null and not exists
        (select 1 from subs b where b.account_id = a.account_id and b.start_date = a.end_date)""",
    "reactivation": """select count(*) > 0 from subs a join subs b
        on a.account_id = b.account_id and b.start_date > a.end_date""",
    "open_ended": "select count(*) > 0 from subs where end_date is null",
    "end_after_start": "select bool_and(end_date is null or end_date > start_date) from subs",
    "foreign_currency_subscriptions": """select count(distinct currency_code) >= 3 from subs""",
    "mid_month_start": """select count(*) filter (where day(start_date) <> 1) > 0
        and count(*) filter (where day(start_date) = 1) > 0 from subs""",
    # targets and spend
    "ae_targets": """select count(distinct metric) = 2 and count(distinct user_id) =
        (select count(*) from users where role = 'AE') from targets t join users u using (user_id)
        where u.role = 'AE' and metric in ('bookings_amount', 'deals_won')""",
    "sdr_targets": """select count(distinct metric) = 4 from targets t join users u using (user_id)
        where u.role = 'SDR'
        and metric in ('dials', 'connects', 'meetings', 'opportunities_sourced')""",
    "company_targets": """select count(*) = 36 and bool_and(metric = 'bookings_amount') from targets
        where user_id is null""",
    "targets_first_of_month": "select bool_and(day(period_month) = 1) from targets",
    # every month has every channel (v5: a channel may have a second spelling in a month)
    "marketing_spend_grid": """select count(distinct (period_month, lower(trim(channel))))
            = count(distinct lower(trim(channel))) * 36
        and count(distinct lower(trim(channel))) >= 3 and bool_and(day(period_month) = 1)
        from spend""",
}


@pytest.mark.parametrize("name", sorted(BEHAVIOURS))
def test_behaviour_occurs(db: duckdb.DuckDBPyConnection, name: str) -> None:
    assert _one(db, BEHAVIOURS[name]) is True, name


# --- (b) internal consistency (point 7) -----------------------------------------------------


CONSISTENCY = {
    "no_duplicate_history_key": """select count(*) from (select opportunity_id, changed_at
        from hist group by all having count(*) > 1)""",
    "row_equals_last_history_row": """select count(*) from opps o join path p
        on p.opportunity_id = o.opportunity_id and p.rn = p.n_rows
        where p.stage_name <> o.stage_name or p.amount is distinct from o.amount
        or p.close_date is distinct from o.close_date""",
    "flags_agree_with_stage": """select count(*) from opps o join stages s using (stage_name)
        where o.is_closed <> s.is_closed or o.is_won <> s.is_won""",
    "closed_at_is_last_close_transition": """with t as (select opportunity_id,
            max(changed_at) as closed_at from path
            where is_closed and (prev_closed is null or not prev_closed) group by 1)
        select count(*) from opps o left join t using (opportunity_id)
        where o.opportunity_id in (select opportunity_id from hist) and
            (case when o.is_closed then t.closed_at end) is distinct from o.closed_at""",
    "closed_at_without_history": """select count(*) from opps o
        where not exists (select 1 from hist h where h.opportunity_id = o.opportunity_id)
        and (case when o.is_closed then o.created_at end) is distinct from o.closed_at""",
    "first_history_row_at_creation": """select count(*) from opps o join path p
        on p.opportunity_id = o.opportunity_id and p.rn = 1 where p.changed_at <> o.created_at""",
    "loss_reason_only_on_lost": """select count(*) from opps
        where loss_reason is not null and stage_name <> 'Closed Lost'""",
    "history_after_creation": """select count(*) from hist h join opps o using (opportunity_id)
        where h.changed_at < o.created_at or h.changed_at > timestamp '2025-12-31 23:59:59'""",
    "account_created_before_deals": """select count(*) from opps o join accounts a
        using (account_id) where a.created_at > o.created_at""",
}


@pytest.mark.parametrize("name", sorted(CONSISTENCY))
def test_consistency(db: duckdb.DuckDBPyConnection, name: str) -> None:
    assert _one(db, CONSISTENCY[name]) == 0, name


def test_demo_sizes_follow_ratios(db: duckdb.DuckDBPyConnection) -> None:
    n = _one(db, "select count(*) from opps")
    assert n == 3000
    assert 4.5 * n <= _one(db, "select count(*) from hist") <= 7.5 * n
    assert 8 * n <= _one(db, "select count(*) from acts") <= 12 * n
    assert _one(db, "select count(*) from leads") == n
    assert 0.12 * n <= _one(db, "select count(*) from subs") <= 0.3 * n


def test_no_python_row_loops_in_generator() -> None:
    """Guard against per-row loops: the generator iterates only over steps, users, months."""
    modules = sorted((PROJECT_DIR / "python" / "crm_metrics" / "generate").glob("*.py"))
    assert len(modules) > 5
    for module in modules:
        source = module.read_text()
        assert not re.search(r"for \w+ in range\((n|deals\.n|leads\.n)\)", source), module.name
        assert ".iterrows(" not in source, module.name


# --- v5: tables and columns added in spec v5 --------------------------------------------------

# sha256 of each file `generate(dir, opportunities=300, seed=7)` wrote before v5 (computed once
# by running the generator of the commit before v5 was added): `v5=False` must write them again
# byte for byte, so a v4 export stays what it was.
V4_SHA256 = {
    "accounts": "433d0157796a484195e36c829c5dbb1a584b592939bd94312dee8b4cb8363802",
    "activities": "b1cae254f764e22b743e427c7ce4b5f0c121e09ee0bab9b5368506abde8fa258",
    "exchange_rates": "0cb3baa279a5880e543f334a079f7d3427d64cf605f0c343e3b6b8f6dc6ff1ad",
    "leads": "ed144fd543f813e6f2f34bb26c372e628d6ac85ebb03b16f6b81e0e71ca704ac",
    "marketing_spend": "b6cd4d479ffa3e45f4762db55bc93ebbf64b0f0c0caf0d3f2a2ec39e84e50c94",
    "opportunities": "78825555f4145e590301a50e2e1e524261d5532ab2e52761f0d6e96d94db5f7c",
    "opportunity_history": "7f06a40234ecfa288c6822ebfad738dfd3b0af29e0cfb878112f1ae11b6074a8",
    "opportunity_line_items": "c48b9bec03572d8ab81bb09ab469bfe4f6b484928947b64f31ec35c913344acb",
    "products": "e669e8cfb163db1410dd30610efac02cd849e3f3db6150548da167ba50a123ac",
    "stages": "2c5a89972d44c96020900e1cd0e97e9abce790c127212dd25c7f321dec6cb2dc",
    "subscriptions": "886322cc6b16ca816781cd47555db649d1b1753db7a15e5f6f7f61a6b176c1d6",
    "targets": "43b61c1e6fae5c29bb338c0abfc4502a644b64d45668629e8f653457c5ced206",
    "users": "39018c53d065149fc2d325f762f8a91275fac8e53b5e6679dcec8160f35eab9a",
}
V5_TABLES = (
    "contacts",
    "opportunity_contact_roles",
    "sales_costs",
    "product_users",
    "usage_events",
    "support_tickets",
)


def test_v4_export_is_byte_identical_to_the_generator_before_v5(tmp_path: Path) -> None:
    counts = generate(tmp_path, opportunities=300, seed=7, v5=False)
    assert sorted(counts) == sorted(V4_SHA256)
    assert sorted(p.stem for p in tmp_path.iterdir()) == sorted(V4_SHA256)
    for name, digest in V4_SHA256.items():
        assert hashlib.sha256((tmp_path / f"{name}.csv").read_bytes()).hexdigest() == digest, name


def test_v4_export_from_the_cli(tmp_path: Path) -> None:
    main(["generate", "--out", str(tmp_path), "--opportunities", "30", "--seed", "2", "--no-v5"])
    assert sorted(p.stem for p in tmp_path.iterdir()) == sorted(V4_SHA256)
    header = (tmp_path / "leads.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "title" not in header and "accepted_at" not in header
    assert header == [
        c for c in CONTRACT["leads"].column_names if c not in ("title", "accepted_at")
    ]


def _read(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_v5_leaves_the_v4_values_alone(tmp_path: Path) -> None:
    """With v5 the v4 tables keep every value but the ones v5 plants on purpose: countries of
    some accounts, `replied` on some emails, channel spellings (the same spend per month)."""
    generate(tmp_path / "v4", opportunities=300, seed=7, v5=False)
    generate(tmp_path / "v5", opportunities=300, seed=7)
    changed = {"accounts": {"country"}, "activities": {"outcome"}, "marketing_spend": set()}
    for name in V4_SHA256:
        old, new = _read(tmp_path / "v4", name), _read(tmp_path / "v5", name)
        if name == "marketing_spend":
            continue
        assert len(old) == len(new), name
        for before, after in zip(old, new, strict=True):
            for column, value in before.items():
                if column not in changed.get(name, set()):
                    assert after[column] == value, (name, column)
    for before, after in zip(
        _read(tmp_path / "v4", "activities"), _read(tmp_path / "v5", "activities"), strict=True
    ):
        if after["outcome"] != before["outcome"]:
            assert (before["activity_type"], before["outcome"], after["outcome"]) == (
                "email",
                "",
                "replied",
            )

    def spend_by_month(rows: list[dict[str, str]]) -> Counter:
        total: Counter = Counter()
        for row in rows:
            total[row["period_month"]] += round(float(row["spend"]) * 100)
        return total

    assert spend_by_month(_read(tmp_path / "v4", "marketing_spend")) == spend_by_month(
        _read(tmp_path / "v5", "marketing_spend")
    )


def test_every_v5_table_has_rows_at_any_size(tmp_path: Path) -> None:
    counts = generate(tmp_path, opportunities=20, seed=9)
    for name in V5_TABLES:
        assert counts[name] > 0, name


PERSONA_KEYWORDS = {
    "executive": [
        "chief",
        "ceo",
        "cfo",
        "cto",
        "cio",
        "coo",
        "cro",
        "founder",
        "owner",
        "president",
    ],
    "vp": ["vp", "vice president"],
    "director": ["director", "head"],
    "manager": ["manager", "lead"],
}


def _personas(title: str | None) -> list[str]:
    """Personas whose keywords the title holds as whole words (independent of the marts)."""
    if not title or not title.strip():
        return []
    words = " ".join(re.findall(r"[a-z0-9]+", title.lower()))
    return [
        persona
        for persona, keywords in PERSONA_KEYWORDS.items()
        if any(re.search(rf"(^| ){k}( |$)", words) for k in keywords)
    ]


@pytest.mark.parametrize("table", ["contacts", "leads"])
def test_titles_cover_every_persona(table: str) -> None:
    titles = [row["title"] for row in _read(DEMO_DIR, table)]
    found = Counter(
        p[0] if p else ("ic" if t.strip() else "empty") for t in titles for p in [_personas(t)]
    )
    for persona in [*PERSONA_KEYWORDS, "ic", "empty"]:
        assert found[persona] > 0, persona
    # edge cases: a title matching two personas, "Vice President" (vp, not only executive),
    # a word merely containing a keyword
    assert any(len(_personas(t)) >= 2 and "vice" not in t.lower() for t in titles)
    assert any("vice president" in t.lower() for t in titles)
    assert any("leadership" in t.lower() and not _personas(t) for t in titles)


V5_BEHAVIOURS = {
    # contacts and roles
    "contacts_at_accounts": """select count(*) = count(account_id) from raw_contacts""",
    "deal_with_two_primary_contacts": """select count(*) > 0 from (select opportunity_id
        from raw_opportunity_contact_roles group by 1
        having count(*) filter (where is_primary = 'true') = 2)""",
    "deal_with_roles_but_no_primary": """select count(*) > 0 from (select opportunity_id
        from raw_opportunity_contact_roles group by 1
        having count(*) filter (where is_primary = 'true') = 0)""",
    "deal_without_roles": """select count(*) > 0 from raw_opportunities o where not exists
        (select 1 from raw_opportunity_contact_roles r
            where r.opportunity_id = o.opportunity_id)""",
    "contact_with_two_roles_on_a_deal": """select count(*) > 0 from (select opportunity_id,
        contact_id from raw_opportunity_contact_roles group by all having count(*) > 1)""",
    "roles_of_the_deals_account": """select bool_and(c.account_id = o.account_id)
        from raw_opportunity_contact_roles r join raw_contacts c using (contact_id)
        join raw_opportunities o using (opportunity_id)""",
    # leads
    "accepted_between_mql_and_sql": """select count(accepted_at) > 100
        and bool_and(accepted_at >= coalesce(mql_at, created_at)
            and accepted_at <= coalesce(sql_at, disqualified_at, accepted_at))
        and count(*) filter (where accepted_at is not null and sql_at is null) > 0
        and count(*) filter (where accepted_at is null and sql_at is not null) > 0
        from leads_v5""",
    # activities
    "replied_emails": """select count(*) > 100 and bool_and(activity_type = 'email')
        from raw_activities where outcome = 'replied'""",
    # accounts
    "countries_of_every_region": """select count(*) filter (where upper(trim(country))
            in ('US', 'CA', 'BR', 'MX')) > 0
        and count(*) filter (where upper(trim(country)) in ('GB', 'DE', 'FR', 'ZA', 'AE')) > 0
        and count(*) filter (where upper(trim(country)) in ('AU', 'JP', 'SG', 'IN', 'NZ')) > 0
        and count(*) filter (where country is null) > 0
        and count(*) filter (where country = 'ZZ') > 0
        and count(*) filter (where country <> upper(country)) > 0
        from raw_accounts""",
    # subscriptions
    "seats_some_unknown": """select count(quantity) > 0 and count(*) > count(quantity)
        and bool_and(quantity is null or quantity::double >= 1) from raw_subscriptions""",
    # costs and spend
    "sales_costs_grid": """select count(*) = 36 * 5 and count(distinct category) = 5
        and count(distinct period_month) = 36 from raw_sales_costs""",
    "channels_match_lead_sources": """select count(distinct lower(trim(channel)))
            filter (where lower(trim(channel)) in (select lower(lead_source) from raw_leads)) >= 3
        and count(*) filter (where lower(trim(channel)) not in
            (select lower(lead_source) from raw_leads union select lower(lead_source)
             from raw_opportunities)) > 0
        and count(*) filter (where channel not in (select lead_source from raw_leads)
            and lower(trim(channel)) in (select lower(lead_source) from raw_leads)) > 0
        from raw_marketing_spend""",
    # product users
    "activation_kinds": """select count(*) filter (where activated_at - signed_up_at
            < interval 48 hour) > 0
        and count(*) filter (where activated_at - signed_up_at = interval 48 hour) > 0
        and count(*) filter (where activated_at - signed_up_at > interval 48 hour) > 0
        and count(*) filter (where activated_at is null) > 0
        and bool_and(activated_at is null or activated_at >= signed_up_at)
        and count(*) filter (where account_id is not null) > 0.8 * count(*)
        and count(contact_id) > 0
        from product_users""",
    "product_user_contacts_of_their_account": """select bool_and(c.account_id = u.account_id)
        from raw_product_users u join raw_contacts c using (contact_id)""",
    "signups_over_time": """select count(distinct date_trunc('month', signed_up_at)) >= 24
        from product_users""",
    # usage events
    "event_types": """select count(distinct event_type) = 4
        and bool_and(duration_minutes is null or event_type = 'session')
        and count(*) filter (where event_type = 'session' and duration_minutes is not null) > 0
        and count(*) filter (where event_type = 'session' and duration_minutes is null) > 0
        from events""",
    "events_after_activation": """select bool_and(e.event_at >= u.activated_at)
        from events e join product_users u using (product_user_id)""",
    "early_churners": """select count(*) > 10 from product_users u
        where activated_at + interval 60 day <= timestamp '2025-12-31 23:59:59'
        and not exists (select 1 from events e where e.product_user_id = u.product_user_id
            and e.event_at > u.activated_at + interval 30 day
            and e.event_at <= u.activated_at + interval 60 day)""",
    "event_at_exactly_30_and_60_days": """select count(*) filter (where e.event_at
            = u.activated_at + interval 30 day) > 0
        and count(*) filter (where e.event_at = u.activated_at + interval 60 day) > 0
        from events e join product_users u using (product_user_id)""",
    "churn_window_ends_on_the_as_of_date": """select count(*) > 0 from product_users
        where (activated_at + interval 60 day)::date = date '2025-12-31'""",
    # support tickets
    "tickets_of_every_priority": """select count(distinct priority) = 4
        and count(*) filter (where closed_at is null) > 0
        and count(*) filter (where account_id is null) > 0
        and count(*) filter (where product_user_id is not null) > 0
        and bool_and(closed_at is null or closed_at >= created_at)
        and bool_and((closed_at is null) = (status <> 'closed'))
        from tickets""",
    "nothing_after_the_data_end": """select greatest(
            (select max(event_at) from events), (select max(created_at) from tickets),
            (select max(closed_at) from tickets), (select max(activated_at) from product_users),
            (select max(accepted_at) from leads_v5)) <= timestamp '2025-12-31 23:59:59'""",
}


@pytest.mark.parametrize("name", sorted(V5_BEHAVIOURS))
def test_v5_behaviour_occurs(db: duckdb.DuckDBPyConnection, name: str) -> None:
    db.execute("""
        create or replace view leads_v5 as select * replace (created_at::timestamp as created_at,
            mql_at::timestamp as mql_at, sql_at::timestamp as sql_at,
            accepted_at::timestamp as accepted_at,
            disqualified_at::timestamp as disqualified_at) from raw_leads;
        create or replace view product_users as select * replace (
            signed_up_at::timestamp as signed_up_at, activated_at::timestamp as activated_at)
            from raw_product_users;
        create or replace view events as select * replace (event_at::timestamp as event_at,
            duration_minutes::double as duration_minutes) from raw_usage_events;
        create or replace view tickets as select * replace (created_at::timestamp as created_at,
            closed_at::timestamp as closed_at) from raw_support_tickets;
    """)
    assert _one(db, V5_BEHAVIOURS[name]) is True, name
