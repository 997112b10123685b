"""Bad input, data quality and reproducibility, end to end through dbt.

Two model builds cover every row-level case (CI time matters):

1. `corrupted`: a small generated dataset with every row-level corruption applied at once, each
   on its own rows and keys (most as added rows, so the cascade stays countable by hand), read
   from a folder whose name tries SQL injection, into a database holding a canary table.
   Asserted: the exact rejected keys and reasons per table (with the `parent_rejected` cascade),
   the findings on kept rows, rows read = accepted + rejected (the singular dbt test
   tests/dq_raw_rows_reconcile.sql and a count of the raw files in plain Python), the canary.
2. `minus_rejected`: the same files without the rows expected to be rejected, with every file's
   rows AND columns shuffled. Asserted: nothing is rejected, and every table of schemas core and
   marts equals the corrupted build's. That proves rejected rows contribute nothing, every other
   row's contribution is unchanged, and row order does not matter.

Build failures (missing / renamed required column, invalid stages, empty required file) run a
build of only the failing models' upstream; malformed files and injection attempts run the CLI.
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from conftest import query

from crm_metrics.cli import main
from crm_metrics.contract import load_contract
from crm_metrics.errors import CrmMetricsError, DbtNodesFailedError
from crm_metrics.generate import generate
from crm_metrics.runner import PROJECT_DIR, build, raw_file_error, run_dbt

INJECTION = "x'; drop table canary; --"
STAGE = "Qualification"  # first open stage of the generated stages
NEW_DEAL_AT = "2024-03-01 10:00:00"


# --------------------------------------------------------------------------------------------
# CSV helpers


def read_table(folder: Path, table: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(folder / f"{table}.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_rows(folder: Path, table: str, columns: list[str], rows: list[dict[str, str]]) -> None:
    with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})


class Corruption:
    """The generated tables in memory, plus the rows each case adds and the outcome expected."""

    def __init__(self, folder: Path) -> None:
        self.columns: dict[str, list[str]] = {}
        self.rows: dict[str, list[dict[str, str]]] = {}
        for table in load_contract().table_names:
            self.columns[table], self.rows[table] = read_table(folder, table)
        # (table, dq_row_key, reject_reason) expected in dq_<table>_rejects, one per raw row
        self.expected_rejects: list[tuple[str, str, str]] = []
        # ids (python object ids) of the raw rows that are expected to be rejected
        self.rejected_rows: set[int] = set()
        self.expected_findings: set[tuple[str, str, str, str]] = set()

    def add(
        self, table: str, row: dict[str, str], reason: str | None = None, key: str = ""
    ) -> dict:
        full = {column: "" for column in self.columns[table]}
        full.update(row)
        self.rows[table].append(full)
        if reason is not None:
            self.reject(table, full, reason, key)
        return full

    def reject(self, table: str, row: dict[str, str], reason: str, key: str) -> None:
        self.expected_rejects.append((table, key, reason))
        self.rejected_rows.add(id(row))

    def write(self, folder: Path, *, drop_rejected: bool, shuffle: random.Random | None) -> None:
        folder.mkdir(parents=True)
        for table, rows in self.rows.items():
            kept = [row for row in rows if not (drop_rejected and id(row) in self.rejected_rows)]
            columns = list(self.columns[table])
            if shuffle is not None:
                kept = list(kept)
                shuffle.shuffle(kept)
                shuffle.shuffle(columns)
            write_rows(folder, table, columns, kept)


def corrupt(raw: Path) -> Corruption:
    """Every row-level case of the issue, each on rows and keys of its own."""
    data = Corruption(raw)
    deals = data.rows["opportunities"]
    history = data.rows["opportunity_history"]
    owner = deals[0]["owner_id"]
    account = deals[0]["account_id"]
    user = data.rows["activities"][0]["user_id"]
    product = data.rows["products"][0]["product_id"]

    def deal(opp: str, **values: str) -> dict[str, str]:
        row = {
            "opportunity_id": opp,
            "account_id": account,
            "owner_id": owner,
            "created_at": NEW_DEAL_AT,
            "close_date": "2024-06-30",
            "amount": "1000",
            "currency_code": "USD",
            "stage_name": STAGE,
        }
        row.update(values)
        return row

    # users: duplicate key (both rows), missing required value, unknown enum (a finding)
    for name in ("Dup One", "Dup Two"):
        data.add(
            "users",
            {"user_id": "usr_dup", "full_name": name, "role": "AE"},
            "duplicate_key",
            "usr_dup",
        )
    data.add(
        "users",
        {"user_id": "usr_norole", "full_name": "No Role"},
        "missing_required:role",
        "usr_norole",
    )
    data.add("users", {"user_id": "usr_wiz", "full_name": "Wiz Ard", "role": "wizard"})
    data.expected_findings.add(("users", "usr_wiz", "role", "unknown_enum_value"))

    # accounts: missing required value (with its cascade), unparseable date, exact duplicate
    data.add(
        "accounts",
        {"account_id": "acc_bad", "created_at": NEW_DEAL_AT},
        "missing_required:account_name",
        "acc_bad",
    )
    data.add(
        "accounts",
        {"account_id": "acc_date", "account_name": "Datey", "created_at": "soon"},
        "unparseable:created_at",
        "acc_date",
    )
    copy = dict(data.rows["accounts"][3])
    data.add("accounts", copy, "exact_duplicate", copy["account_id"])

    # the cascade of acc_bad: its deal, the deal's history and line item; an activity that
    # references the deal keeps its row with the reference nulled (a finding)
    data.add("opportunities", deal("opp_casc", account_id="acc_bad"), "parent_rejected", "opp_casc")
    for at in (NEW_DEAL_AT, "2024-03-05 10:00:00"):
        data.add(
            "opportunity_history",
            {"opportunity_id": "opp_casc", "changed_at": at, "stage_name": STAGE, "amount": "1000"},
            "parent_rejected",
            f"opp_casc|{at}",
        )
    data.add(
        "opportunity_line_items",
        {
            "line_item_id": "li_casc",
            "opportunity_id": "opp_casc",
            "product_id": product,
            "quantity": "1",
            "unit_price": "10",
        },
        "parent_rejected",
        "li_casc",
    )
    data.add(
        "activities",
        {
            "activity_id": "act_casc",
            "user_id": user,
            "activity_type": "call",
            "activity_at": "2024-03-02 10:00:00",
            "opportunity_id": "opp_casc",
        },
    )
    data.expected_findings.add(("activities", "act_casc", "opportunity_id", "parent_rejected"))

    # opportunities: orphan account / owner, unknown stage, unparseable required date
    data.add(
        "opportunities",
        deal("opp_orphan_acc", account_id="acc_missing"),
        "orphan:account_id",
        "opp_orphan_acc",
    )
    data.add(
        "opportunities",
        deal("opp_orphan_owner", owner_id="usr_missing"),
        "orphan:owner_id",
        "opp_orphan_owner",
    )
    data.add(
        "opportunities",
        deal("opp_unk_stage", stage_name="Nowhere"),
        "unknown_stage",
        "opp_unk_stage",
    )
    data.add(
        "opportunities",
        deal("opp_bad_close", close_date="2024-02-30"),
        "unparseable:close_date",
        "opp_bad_close",
    )
    # ... and findings on kept deals: negative and unparseable amount, close before create
    data.add("opportunities", deal("opp_neg", amount="-5"))
    data.expected_findings.add(("opportunities", "opp_neg", "amount", "negative_value"))
    data.add("opportunities", deal("opp_badnum", amount="12k"))
    data.expected_findings.add(("opportunities", "opp_badnum", "amount", "unparseable"))
    data.add("opportunities", deal("opp_early", close_date="2024-01-15"))
    data.expected_findings.add(("opportunities", "opp_early", "close_date", "close_before_create"))

    # opportunity_history: unknown deal, unknown stage, ambiguous order (both rows), exact dup
    data.add(
        "opportunity_history",
        {"opportunity_id": "opp_ghost", "changed_at": NEW_DEAL_AT, "stage_name": STAGE},
        "orphan:opportunity_id",
        f"opp_ghost|{NEW_DEAL_AT}",
    )
    picked: dict[str, dict[str, str]] = {}
    for row in history[5:]:
        picked.setdefault(row["opportunity_id"], row)
    first, second, third = list(picked.values())[:3]
    data.add(
        "opportunity_history",
        {**first, "changed_at": "2024-03-03 03:03:03", "stage_name": "Nowhere"},
        "unknown_stage",
        f"{first['opportunity_id']}|2024-03-03 03:03:03",
    )
    key = f"{second['opportunity_id']}|{second['changed_at']}"
    data.reject("opportunity_history", second, "ambiguous_order", key)
    data.add("opportunity_history", {**second, "amount": "123456"}, "ambiguous_order", key)
    data.add(
        "opportunity_history",
        dict(third),
        "exact_duplicate",
        f"{third['opportunity_id']}|{third['changed_at']}",
    )

    # line items, products, leads
    data.add(
        "opportunity_line_items",
        {
            "line_item_id": "li_orphan",
            "opportunity_id": deals[0]["opportunity_id"],
            "product_id": "prd_missing",
            "quantity": "1",
        },
        "orphan:product_id",
        "li_orphan",
    )
    data.add(
        "products", {"product_id": "prd_noname"}, "missing_required:product_name", "prd_noname"
    )
    data.add(
        "leads",
        {"lead_id": "lead_baddate", "created_at": "31/12/2024", "lead_source": "Web"},
        "unparseable:created_at",
        "lead_baddate",
    )

    # activities: missing required value, orphan user, unknown enum (kept as `other`)
    data.add(
        "activities",
        {"activity_id": "act_noat", "user_id": user, "activity_type": "call"},
        "missing_required:activity_at",
        "act_noat",
    )
    data.add(
        "activities",
        {
            "activity_id": "act_orphan",
            "user_id": "usr_missing",
            "activity_type": "call",
            "activity_at": "2024-03-02 11:00:00",
        },
        "orphan:user_id",
        "act_orphan",
    )
    data.add(
        "activities",
        {
            "activity_id": "act_smoke",
            "user_id": user,
            "activity_type": "Smoke_Signal",
            "activity_at": "2024-03-02 12:00:00",
        },
    )
    data.expected_findings.add(("activities", "act_smoke", "activity_type", "unknown_enum_value"))

    # subscriptions: end before start, orphan account, negative required amount
    sub = {
        "account_id": account,
        "start_date": "2024-02-01",
        "mrr_amount": "100",
        "currency_code": "USD",
    }
    data.add(
        "subscriptions",
        {**sub, "subscription_id": "sub_back", "end_date": "2024-01-01"},
        "end_before_start",
        "sub_back",
    )
    data.add(
        "subscriptions",
        {**sub, "subscription_id": "sub_orphan", "account_id": "acc_missing"},
        "orphan:account_id",
        "sub_orphan",
    )
    data.add(
        "subscriptions",
        {**sub, "subscription_id": "sub_neg", "mrr_amount": "-100"},
        "negative_value:mrr_amount",
        "sub_neg",
    )

    # targets: a user that does not exist (on_orphan: reject); rates: a zero rate
    data.add(
        "targets",
        {
            "user_id": "usr_missing",
            "period_month": "2024-01-01",
            "metric": "dials",
            "target_value": "5",
        },
        "orphan:user_id",
        "usr_missing|2024-01-01|dials",
    )
    # a target dated mid-month is kept, moved to the first of its month, with a finding
    some_user = data.rows["users"][0]["user_id"]
    data.add(
        "targets",
        {
            "user_id": some_user,
            "period_month": "2019-06-15",
            "metric": "dials",
            "target_value": "5",
        },
    )
    data.expected_findings.add(
        ("targets", f"{some_user}|2019-06-01|dials", "period_month", "not_month_start")
    )
    data.add(
        "exchange_rates",
        {"currency_code": "zzz", "rate_date": "2024-01-01", "rate_to_reporting": "0"},
        "zero_rate",
        "ZZZ|2024-01-01",
    )

    # file-level: an extra column (ignored), a renamed optional column (read as absent: null)
    data.columns["users"].append("favourite_colour")
    data.columns["accounts"] = [
        "sector" if c == "industry" else c for c in data.columns["accounts"]
    ]
    for row in data.rows["accounts"]:
        row["sector"] = row.pop("industry", "")
    return data


def as_of_date(data: Corruption) -> str:
    """Fixed for both builds (the latest event date of the generated rows)."""
    dates = [row["changed_at"] for row in data.rows["opportunity_history"]]
    dates += [row["activity_at"] for row in data.rows["activities"]]
    return max(d for d in dates if re.match(r"\d{4}-\d\d-\d\d", d))[:10]


# the data tests a build here runs: the reconciliation of raw rows with accepted and rejected
# ones, and each accepted view's count against its validated table (rows are rejected here)
DATA_TESTS = ["dq_raw_rows_reconcile", "test_name:is_validated_minus_rejected"]


def build_models(database: Path, raw: Path, as_of: str) -> list[str]:
    """`dbt run` of every model (no other data tests: they cost CI time and are not what is
    tested here) and DATA_TESTS. Returns the models that failed: only marts of other topics
    may fail (they are being written while this suite exists); core and data quality must
    build."""
    variables = {"raw_dir": str(raw), "as_of_date": as_of}
    try:
        results = run_dbt(["run"], database=database, vars=variables, progress=False)
    except DbtNodesFailedError as exc:
        results = exc.results
    failed = [r.name for r in results if r.failed or r.status == "skipped"]
    assert all(name.startswith("mart_") for name in failed), failed
    run_dbt(["test", "--select", *DATA_TESTS], database=database, vars=variables, progress=False)
    return failed


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("dq")
    generated = base / "generated"
    generate(generated, opportunities=40, seed=3, fmt="csv")
    data = corrupt(generated)
    as_of = as_of_date(data)

    corrupted_raw = base / INJECTION  # the folder name tries SQL injection
    data.write(corrupted_raw, drop_rejected=False, shuffle=None)
    (corrupted_raw / "marketing_spend.csv").write_bytes(b"")  # empty optional file
    minus_raw = base / "minus_rejected"
    data.write(minus_raw, drop_rejected=True, shuffle=random.Random(20240601))
    (minus_raw / "marketing_spend.csv").write_bytes(b"")

    corrupted_db = base / "corrupted.duckdb"
    connection = duckdb.connect(str(corrupted_db))
    connection.execute("create table canary as select 1 as alive")
    connection.close()
    failed = build_models(corrupted_db, corrupted_raw, as_of)
    minus_db = base / "minus_rejected.duckdb"
    failed += build_models(minus_db, minus_raw, as_of)
    return {
        "data": data,
        "corrupted": corrupted_db,
        "minus": minus_db,
        "corrupted_raw": corrupted_raw,
        "failed": set(failed),
    }


# --------------------------------------------------------------------------------------------
# row-level outcomes

pytestmark = pytest.mark.slow


def test_rejects_are_exactly_the_corrupted_rows_with_their_reasons(builds: dict) -> None:
    data: Corruption = builds["data"]
    actual = []
    for table in load_contract().table_names:
        actual += [
            (table, key, reason)
            for key, reason in query(
                builds["corrupted"],
                f"select dq_row_key, reject_reason from data_quality.dq_{table}_rejects",
            )
        ]
    assert sorted(actual) == sorted(data.expected_rejects)


def test_findings_on_kept_rows(builds: dict) -> None:
    data: Corruption = builds["data"]
    keys = {(table, key) for table, key, _, _ in data.expected_findings}
    found = {
        (table, key, column, finding)
        for table, key, column, finding in query(
            builds["corrupted"],
            "select table_name, row_key, column_name, finding from data_quality.dq_findings",
        )
        if (table, key) in keys
    }
    assert found == data.expected_findings
    # the kept rows carry the normalised values
    assert query(
        builds["corrupted"],
        "select activity_type, opportunity_id from core.fct_activities"
        " where activity_id in ('act_smoke', 'act_casc') order by activity_id",
    ) == [("call", None), ("other", None)]
    assert query(
        builds["corrupted"], "select role from core.dim_users where user_id = 'usr_wiz'"
    ) == [("OTHER",)]


def test_renamed_optional_column_reads_as_absent_and_extra_column_is_ignored(
    builds: dict,
) -> None:
    assert query(builds["corrupted"], "select count(industry) from core.dim_accounts") == [(0,)]
    columns = {
        name
        for (name,) in query(
            builds["corrupted"],
            "select column_name from information_schema.columns"
            " where table_schema = 'core' and table_name = 'dim_users'",
        )
    }
    assert "favourite_colour" not in columns


def _accepted_view_tests(database: Path, raw: Path, as_of: str) -> dict[str, str]:
    """Status of each is_validated_minus_rejected test, by the accepted view it checks."""
    try:
        results = run_dbt(
            ["test", "--select", "test_name:is_validated_minus_rejected"],
            database=database,
            vars={"raw_dir": str(raw), "as_of_date": as_of},
            progress=False,
        )
    except DbtNodesFailedError as exc:
        results = exc.results
    statuses = {}
    for result in results:
        if not result.name.startswith("is_validated_minus_rejected_"):
            continue  # the project's on-run-start hook
        view = re.search(r"int_[a-z_]+?_accepted", result.name)
        assert view is not None, result.name
        statuses[view.group()] = "fail" if result.failed else "pass"
    return statuses


def test_accepted_views_are_checked_on_rejected_rows_and_a_wrong_one_fails(
    builds: dict, tmp_path: Path
) -> None:
    data: Corruption = builds["data"]
    as_of = as_of_date(data)
    rejecting = sorted({table for table, _, _ in data.expected_rejects})
    # the corruption rejects rows of most tables, so the test compares unequal counts there
    assert {"accounts", "activities", "opportunities", "opportunity_history", "users"} <= set(
        rejecting
    )
    views = {f"int_{table}_accepted" for table in load_contract().table_names}
    statuses = _accepted_view_tests(builds["corrupted"], builds["corrupted_raw"], as_of)
    assert statuses == dict.fromkeys(views, "pass")
    # an accepted view that forgets `where reject_reason is null` (on a copy: same file name,
    # since DuckDB views name their catalog by it)
    wrong = tmp_path / builds["corrupted"].name
    wrong.write_bytes(builds["corrupted"].read_bytes())
    connection = duckdb.connect(str(wrong))
    try:
        schema = connection.execute(
            "select table_schema from information_schema.tables "
            "where table_name = 'int_accounts_accepted'"
        ).fetchone()[0]
        connection.execute(
            f"create or replace view {schema}.int_accounts_accepted as "
            f"select * from {schema}.int_accounts_validated"
        )
    finally:
        connection.close()
    statuses = _accepted_view_tests(wrong, builds["corrupted_raw"], as_of)
    assert statuses == {**dict.fromkeys(views, "pass"), "int_accounts_accepted": "fail"}


def test_rows_read_equal_accepted_plus_rejected(builds: dict) -> None:
    raw_rows = {}
    for table in load_contract().table_names:
        path = builds["corrupted_raw"] / f"{table}.csv"
        with open(path, newline="", encoding="utf-8") as handle:
            raw_rows[table] = max(sum(1 for _ in csv.reader(handle)) - 1, 0)
    read = dict(
        query(
            builds["corrupted"],
            "select table_name, sum(row_count) from data_quality.dq_summary"
            " where outcome in ('accepted', 'rejected') group by 1",
        )
    )
    assert read == raw_rows
    rejected = Counter(table for table, _, _ in builds["data"].expected_rejects)
    summary = dict(
        query(
            builds["corrupted"],
            "select table_name, sum(row_count) from data_quality.dq_summary"
            " where outcome = 'rejected' group by 1",
        )
    )
    assert summary == dict(rejected)
    assert raw_rows["marketing_spend"] == 0  # the empty optional file


def test_injection_in_the_raw_folder_name_ran_nothing(builds: dict) -> None:
    assert query(builds["corrupted"], "select alive from canary") == [(1,)]


# --------------------------------------------------------------------------------------------
# reproducibility


def _comparable_tables(database: Path) -> dict[str, list[tuple[str, str]]]:
    rows = query(
        database,
        "select table_schema || '.' || table_name, column_name, data_type"
        " from information_schema.columns where table_schema in ('core', 'marts')"
        " order by table_schema, table_name, ordinal_position",
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for relation, column, dtype in rows:
        tables.setdefault(relation, []).append((column, dtype))
    return tables


def _ordered_rows(connection: duckdb.DuckDBPyConnection, relation: str, columns: list) -> list:
    # doubles rounded: a sum or average over rows read in another order may differ in the
    # last bits; every other type is compared exactly
    select = ", ".join(
        f'round("{name}", 9)' if dtype in ("DOUBLE", "FLOAT") else f'"{name}"'
        for name, dtype in columns
    )
    return connection.execute(f"select {select} from {relation} order by all").fetchall()


def test_marts_equal_without_the_rejected_rows_and_with_shuffled_rows(builds: dict) -> None:
    assert query(
        builds["minus"],
        "select count(*) from data_quality.dq_summary where outcome = 'rejected'",
    ) == [(0,)]
    left = _comparable_tables(builds["corrupted"])
    right = _comparable_tables(builds["minus"])
    assert set(left) == set(right)
    assert {name for name in left if name.startswith("core.")} >= {
        "core.fct_opportunities",
        "core.fct_opportunity_changes",
        "core.fct_activities",
        "core.dim_users",
    }
    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{builds['corrupted']}' as corrupted (read_only)")
        connection.execute(f"attach '{builds['minus']}' as minus (read_only)")
        differing = []
        for relation, columns in left.items():
            assert right[relation] == columns, relation
            if _ordered_rows(connection, f"corrupted.{relation}", columns) != _ordered_rows(
                connection, f"minus.{relation}", columns
            ):
                differing.append(relation)
        assert differing == []
        [(deals,)] = connection.execute(
            "select count(*) from corrupted.core.fct_opportunities"
        ).fetchall()
        assert deals > 0
    finally:
        connection.close()


# `dbt source freshness` measures a load's age against the wall clock by definition; it runs
# no model and writes no table (macros/freshness).
WALL_CLOCK_MACROS = {"macros/freshness/crm_collect_freshness.sql"}


def test_no_model_reads_the_wall_clock_or_randomness() -> None:
    pattern = re.compile(
        r"\b(current_date|current_timestamp|now\s*\(|today\s*\(|getdate|random\s*\(|uuid)",
        re.IGNORECASE,
    )
    offenders = [
        f"{path.relative_to(PROJECT_DIR)}: {match.group(0)}"
        for folder in ("models", "macros")
        for path in sorted((PROJECT_DIR / folder).rglob("*.sql"))
        for match in [
            pattern.search(re.sub(r"\{#.*?#\}|--[^\n]*", "", path.read_text(), flags=re.S))
        ]
        if match and str(path.relative_to(PROJECT_DIR)) not in WALL_CLOCK_MACROS
    ]
    assert offenders == []


# --------------------------------------------------------------------------------------------
# build failures: a message naming table, column and an example


STAGES = [
    ("Qualify", "1", "false", "false"),
    ("Propose", "2", "false", "false"),
    ("Won", "3", "true", "true"),
    ("Lost", "4", "true", "false"),
]


def required_folder(folder: Path) -> Path:
    """The five required tables, minimal and valid."""
    folder.mkdir(parents=True)
    (folder / "users.csv").write_text("user_id,full_name,role\nu1,Ann Lee,AE\n")
    (folder / "accounts.csv").write_text("account_id,account_name,created_at\na1,Acme,2024-01-01\n")
    (folder / "stages.csv").write_text(
        "stage_name,stage_order,is_closed,is_won\n" + "".join(",".join(s) + "\n" for s in STAGES)
    )
    (folder / "opportunities.csv").write_text(
        "opportunity_id,account_id,owner_id,created_at,close_date,stage_name\n"
        "o1,a1,u1,2024-01-02,2024-02-01,Qualify\n"
    )
    (folder / "opportunity_history.csv").write_text(
        "opportunity_id,changed_at,stage_name\no1,2024-01-02,Qualify\n"
    )
    return folder


def test_missing_or_renamed_required_column_and_invalid_stages_fail_naming_them(
    tmp_path: Path,
) -> None:
    raw = required_folder(tmp_path / "raw")
    (raw / "users.csv").write_text("user_id,full_name\nu1,Ann Lee\n")  # role missing
    (raw / "accounts.csv").write_text("account_id,name,created_at\na1,Acme,2024-01-01\n")
    (raw / "stages.csv").write_text(  # stage_order not unique
        "stage_name,stage_order,is_closed,is_won\n"
        "Qualify,1,false,false\nPropose,1,false,false\nWon,3,true,true\nLost,4,true,false\n"
    )
    with pytest.raises(DbtNodesFailedError) as failure:
        build(
            tmp_path / "db.duckdb",
            raw_dir=raw,
            progress=False,
            select=["stg_crm__users", "stg_crm__accounts", "+int_stages_validated"],
            exclude=["resource_type:test", "resource_type:unit_test"],
        )
    message = str(failure.value)
    assert (
        "Raw table 'users' lacks required column(s) role (columns found: user_id, full_name)"
        in (message)
    )
    assert "Raw table 'accounts' lacks required column(s) account_name" in message
    assert (
        "Invalid stages table: column stage_order, stage 'Propose': stage_order must be unique"
        in (message)
    )


def test_empty_required_file_fails_naming_it(tmp_path: Path) -> None:
    raw = required_folder(tmp_path / "raw")
    (raw / "opportunities.csv").write_bytes(b"")
    with pytest.raises(CrmMetricsError) as failure:
        build(
            tmp_path / "db.duckdb",
            raw_dir=raw,
            progress=False,
            select=["stg_crm__users"],
            unit_tests=False,
        )
    assert "Raw table 'opportunities' is required: file " in str(failure.value)
    assert "opportunities.csv is empty" in str(failure.value)


# --------------------------------------------------------------------------------------------
# the CLI on user errors: one line, a hint, exit 1, no traceback


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_clean_line(code: int, out: str, err: str) -> str:
    assert code == 1
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        ("users.csv", b"user_id,full_name,role\nu1,Ann,AE\nu2,x,y,z,w\n", "raw CSV file"),
        ("users.csv", bytes(range(256)) * 4, "raw CSV file"),
        ("users.parquet", b"PAR1 not really parquet", "raw Parquet file"),
    ],
    ids=["ragged-row", "binary-garbage", "unreadable-parquet"],
)
def test_malformed_raw_file_is_one_line_with_a_hint(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    file_name: str,
    content: bytes,
    expected: str,
) -> None:
    raw = required_folder(tmp_path / "raw")
    (raw / "users.csv").unlink()
    (raw / file_name).write_bytes(content)
    code, out, err = run_cli(
        capsys,
        "build",
        "--raw-dir",
        str(raw),
        "--database",
        str(tmp_path / "x.duckdb"),
        "--select",
        "stg_crm__users",
    )
    line = assert_one_clean_line(code, out, err)
    assert expected in line and file_name in line
    assert "save it as" in line or "write it as" in line


def test_raw_file_error_reads_duckdb_messages() -> None:
    message = raw_file_error(
        "Runtime Error\n  Invalid Input Error: CSV Error on Line: 3\n  file=/d/users.csv\n"
    )
    assert message is not None and message.startswith("cannot read the raw CSV file /d/users.csv")
    assert raw_file_error("Runtime Error\n  Catalog Error: Table x does not exist") is None


def test_export_into_a_file_path_is_one_clean_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "db.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute("create schema core; create table core.t as select 1 as a")
    connection.close()
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    code, out, err = run_cli(
        capsys, "export", "--serving", str(database), "--out", str(blocker / "sub")
    )
    line = assert_one_clean_line(code, out, err)
    assert "check the path" in line


def test_unknown_export_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--no-such-option"])
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# security: names given by the user never run SQL; personal data can be left out of exports


def test_raw_schema_var_with_sql_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys,
        "build",
        "--database",
        str(tmp_path / "x.duckdb"),
        "--vars",
        """{raw_schema: 'raw"; drop table canary; --'}""",
    )
    line = assert_one_clean_line(code, out, err)
    assert "raw_schema must be a plain schema name" in line
    assert not (tmp_path / "x.duckdb").exists()


def test_select_with_sql_runs_nothing(builds: dict) -> None:
    # --select reaches dbt's node selection as argv items, never SQL: nothing is selected
    results = build(
        builds["corrupted"],
        raw_dir=builds["corrupted_raw"],
        select=[INJECTION],
        progress=False,
        unit_tests=False,
    )
    assert results == []
    assert query(builds["corrupted"], "select alive from canary") == [(1,)]


def test_export_no_pii_leaves_out_the_tagged_columns(builds: dict, tmp_path: Path) -> None:
    from crm_metrics.export import export_marts, pii_columns

    tagged = pii_columns()
    # contract `pii: true` columns and the core tags
    assert {"full_name", "email"} <= tagged["dim_users"]
    assert "contact_id" in tagged["fct_activities"]
    assert {"full_name", "email"} <= tagged["stg_crm__users"]

    manifest_path = export_marts(builds["corrupted"], tmp_path / "out", fmt="csv", exclude_pii=True)
    import json

    manifest = json.loads(manifest_path.read_text())
    by_relation = {entry["relation"]: entry for entry in manifest["files"]}
    users = by_relation["core.dim_users"]
    assert sorted(users["pii_excluded"]) == ["email", "full_name"]
    header = (tmp_path / "out" / users["path"]).read_text().splitlines()[0].split(",")
    assert "full_name" not in header and "email" not in header and "user_id" in header
    assert by_relation["core.fct_activities"]["pii_excluded"] == ["contact_id"]
    for entry in manifest["files"]:
        names = {column["name"] for column in entry["columns"]}
        assert not names & tagged.get(entry["relation"].split(".", 1)[1], set())

    full = json.loads(export_marts(builds["corrupted"], tmp_path / "all", fmt="csv").read_text())
    users_full = next(e for e in full["files"] if e["relation"] == "core.dim_users")
    assert {"full_name", "email"} <= {c["name"] for c in users_full["columns"]}


def test_build_output_reports_rejects_and_findings_per_table_and_reason(
    builds: dict, tmp_path: Path
) -> None:
    from crm_metrics.runner import dq_report

    report = dq_report(builds["corrupted"]).splitlines()
    # first a WARNING line per table whose lost rows (rejects but exact duplicates) reach a
    # tenth of its rows, worked out from the planted rejects and the rows of each raw file
    warned = {line.split(":")[1].split()[-1] for line in report if line.startswith("WARNING: ")}
    lost = Counter(
        table
        for table, _, reason in builds["data"].expected_rejects
        if reason not in ("exact_duplicate", "deleted_in_source", "other_pipeline")
    )
    read = {}
    for table in lost:
        with open(builds["corrupted_raw"] / f"{table}.csv", newline="", encoding="utf-8") as f:
            read[table] = sum(1 for _ in csv.reader(f)) - 1
    assert warned == {table for table, count in lost.items() if count >= 0.1 * read[table]}
    assert warned, "the corrupted data loses a tenth of some table"
    lines = [line for line in report if not line.startswith("WARNING: ")]
    assert lines[0].startswith("data quality (see schema data_quality")
    assert "  opportunities: 1 rejected orphan:account_id (e.g. opp_orphan_acc)" in lines
    assert "  users: 1 finding unknown_enum_value:role (e.g. usr_wiz)" in lines
    expected = Counter((table, reason) for table, _, reason in builds["data"].expected_rejects)
    reported = {
        (line.split(":")[0].strip(), line.split(" rejected ")[1].split(" (e.g.")[0]): int(
            line.split(": ", 1)[1].split(" ")[0]
        )
        for line in lines[1:]
        if " rejected " in line
    }
    assert reported == dict(expected)
    # nothing when clean (here: no dq_summary at all)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert dq_report(empty) == ""
