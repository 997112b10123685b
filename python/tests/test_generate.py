"""The demo / benchmark data generator: determinism, formats and realistic behaviour.

Behaviour checks are computed independently of the generator, with DuckDB over the committed
demo seeds (read as text, then cast).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

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
    "marketing_spend_grid": """select count(*) = count(distinct channel) * 36
        and count(distinct channel) >= 3 and bool_and(day(period_month) = 1) from spend""",
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
