"""Import one flat pipeline file (one row per deal) into the raw contract.

The default mapping fits the public Maven Analytics "CRM + Sales Opportunities" sample
(`sales_pipeline.csv`: opportunity_id, sales_agent, product, account, deal_stage, engage_date,
close_date, close_value); `--mapping FILE` (YAML, any section of DEFAULT_MAPPING) or
`--column FIELD=COLUMN` fit another file.

A flat file has no history; the importer writes the minimal history the row implies:

- Stages: the listed open stages in their order (Maven: Prospecting, Engaging), then any other
  stage value of the file (open, alphabetical; listed in the notes), then the won stage, then
  the lost stages. Exactly the listed won stage is won; won and lost stages are closed.
- A closed deal with a created date earlier than its close date: a row at the created date in
  the entry stage (Maven: Engaging, since the created date is `engage_date`, the day the deal
  was engaged), then a row at the close date in its won/lost stage. Otherwise (open deals, and
  closed deals closed on or before their created date): one row at the created date in the
  current stage (a deal may be created already closed). Rows are at midnight UTC, numbered
  in that order (source_order 1 for the creation, 2 for the close).
- A deal with no created date (Maven: every Prospecting deal has no engage_date) is created
  at the snapshot date: the latest date in the file (or `--snapshot-date`). It exists in the
  export, so it was created on or before that day, and the latest bound adds no invented age;
  its age is 0 days.
- An open deal has no close date in the file: its expected close date is the snapshot date
  (the contract requires one). Forecasts by close month therefore put all open pipeline of
  such a file in the snapshot month; the notes say how many deals this affects.
- Amount: the value column on every history row (so no amount change is implied). Maven gives
  open deals no value and lost deals 0; a 0 on a lost deal is read as unknown (null), since it
  records that nothing was sold, not the deal's size: as 0 it would put every lost deal in the
  smallest deal-size band and make amount-weighted win rates 100 %
  (`lost_zero_amount_is_unknown: false` in the mapping's stages keeps the 0).
- Deals with no account (Maven: 1,425 open deals) keep an empty account_id by default, so
  staging rejects them with `missing_required:account_id` and they are listed in
  dq_opportunities_rejects: the company of the deal is unknown, and a placeholder would add a
  fake customer to account-level metrics (new logos, accounts per rep). `--unknown-account NAME`
  maps them to one explicit placeholder account instead, for pipeline-only analysis.
- Users: one per agent (role AE, user_id = the agent's name); with `--sales-teams FILE` each
  agent gets its manager (a user with role MANAGER) and team (Maven: regional_office).
- Accounts: one per account name (account_id = the name), created at its first deal's created
  date; with `--accounts FILE` industry, employee count and country come from that file, with
  the mapping's value fixes applied (Maven: sector "technolgy" is read as "technology").
- Products (when a product column is mapped): one per product name; a deal's product matches
  a product of `--products FILE` when the names are equal ignoring case and spaces (Maven:
  "GTXPro" on deals is the catalogue's "GTX Pro"). One line item per deal, quantity 1, unit
  price = the value of won deals (null otherwise: Maven's 0 on lost deals is not a price).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from crm_metrics.errors import CrmMetricsError
from crm_metrics.importers.common import (
    Importer,
    ImportResult,
    TableBuilders,
    account_or_placeholder,
    date_text,
)
from crm_metrics.importers.dates import DateSettings
from crm_metrics.sql import quote_identifier, quote_literal

DEFAULT_MAPPING: dict = {
    # contract field -> column of the pipeline file (product may be null: no products)
    "columns": {
        "opportunity_id": "opportunity_id",
        "owner": "sales_agent",
        "product": "product",
        "account": "account",
        "stage": "deal_stage",
        "created_date": "engage_date",
        "close_date": "close_date",
        "amount": "close_value",
    },
    "stages": {
        "open": ["Prospecting", "Engaging"],
        "won": "Won",
        "lost": ["Lost"],
        # stage a closed deal was in on its created date (null: the first open stage)
        "entry_stage": "Engaging",
        # a value of 0 on a lost deal means "nothing sold", not the deal's size: null
        "lost_zero_amount_is_unknown": True,
    },
    # columns of the optional side files
    "accounts_columns": {
        "account": "account",
        "industry": "sector",
        "employee_count": "employees",
        "country": "office_location",
    },
    "teams_columns": {"agent": "sales_agent", "manager": "manager", "team": "regional_office"},
    "products_columns": {
        "product": "product",
        "product_family": "series",
        "list_price": "sales_price",
    },
    # known misspellings in the source, per output field: {wrong: right}
    "value_fixes": {"industry": {"technolgy": "technology"}},
}

REQUIRED_FIELDS = ("opportunity_id", "owner", "account", "stage", "created_date", "close_date")


def load_mapping(path: Path | None = None, overrides: dict[str, str] | None = None) -> dict:
    """DEFAULT_MAPPING updated section by section from a YAML file, then `--column` overrides."""
    mapping = copy.deepcopy(DEFAULT_MAPPING)
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise CrmMetricsError(f"cannot read the mapping {path}: {exc}") from None
        if not isinstance(loaded, dict):
            raise CrmMetricsError(f"{path}: the mapping must be a YAML mapping of sections")
        for section, value in loaded.items():
            if section not in mapping:
                raise CrmMetricsError(
                    f"{path}: unknown section {section!r} (known: {', '.join(mapping)})"
                )
            if isinstance(mapping[section], dict) and isinstance(value, dict):
                mapping[section].update(value)
            else:
                mapping[section] = value
    for field_name, column in (overrides or {}).items():
        if field_name not in mapping["columns"]:
            raise CrmMetricsError(
                f"--column {field_name}: unknown field (known: {', '.join(mapping['columns'])})"
            )
        mapping["columns"][field_name] = column or None
    for field_name in REQUIRED_FIELDS:
        if not mapping["columns"].get(field_name):
            raise CrmMetricsError(f"the mapping needs a column for {field_name!r}")
    return mapping


def _col(name: str) -> str:
    return quote_identifier(name)


def _iso_date(expr: str) -> str:
    """SQL: a date converted by the detector (`YYYY-MM-DD`) as a date; anything else (a value
    the detector could not read) null, never a guess."""
    return (
        f"case when regexp_full_match(trim({expr}), '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
        f"then try_cast(trim({expr}) as date) end"
    )


def _fixed(expr: str, fixes: dict | None) -> str:
    """SQL: `expr` with the mapping's value fixes (case-insensitive, trimmed) applied."""
    if not fixes:
        return expr
    cases = " ".join(
        f"when lower(trim({expr})) = lower({quote_literal(wrong)}) then {quote_literal(right)}"
        for wrong, right in fixes.items()
    )
    return f"case {cases} else {expr} end"


def import_pipeline_csv(
    source: Path,
    out_dir: Path,
    *,
    mapping: dict | None = None,
    accounts: Path | None = None,
    sales_teams: Path | None = None,
    products: Path | None = None,
    snapshot_date: dt.date | None = None,
    unknown_account: str | None = None,
    settings: DateSettings | None = None,
    append: bool = False,
    loaded_at: dt.datetime | None = None,
) -> ImportResult:
    """Map the flat pipeline file `source` into `<table>.csv` files of the raw contract."""
    mapping = mapping or load_mapping()
    cols = mapping["columns"]
    stages_cfg = mapping["stages"]
    fixes = mapping.get("value_fixes") or {}
    has_product = bool(cols.get("product"))
    with Importer("pipeline-csv", out_dir, settings, append=append, loaded_at=loaded_at) as imp:
        imp.read(
            "pipeline",
            source,
            required=[cols[f] for f in REQUIRED_FIELDS]
            + ([cols["product"]] if has_product else []),
            optional=[cols["amount"]] if cols.get("amount") else [],
        )
        acc = mapping["accounts_columns"]
        has_accounts = imp.read_optional(
            "accounts",
            accounts,
            [acc["account"]],
            [acc["industry"], acc["employee_count"], acc["country"]],
        )
        team = mapping["teams_columns"]
        has_teams = imp.read_optional(
            "teams", sales_teams, [team["agent"], team["manager"]], [team["team"]]
        )
        prod = mapping["products_columns"]
        has_products_file = imp.read_optional(
            "products", products, [prod["product"]], [prod["product_family"], prod["list_price"]]
        )
        imp.check()
        imp.convert_dates({"pipeline": {cols["created_date"]: "date", cols["close_date"]: "date"}})
        _deals(imp, cols, has_product)
        export = _Export(
            cols=cols,
            stages_cfg=stages_cfg,
            fixes=fixes,
            has_product=has_product,
            acc=acc,
            team=team,
            prod=prod,
            has_accounts=has_accounts,
            has_teams=has_teams,
            has_products_file=has_products_file,
            unknown_account=unknown_account,
            snapshot=_snapshot(imp, source, snapshot_date),
            entry=_stage_definition(imp, stages_cfg),
        )
        _deal_states(imp, export)
        return BUILDERS.write(imp, export)


@dataclass(frozen=True)
class _Export:
    """What the builders share: the mapping's parts, which files were given, and the snapshot
    date (a SQL literal) and entry stage decided from the data."""

    cols: dict
    stages_cfg: dict
    fixes: dict
    has_product: bool
    acc: dict
    team: dict
    prod: dict
    has_accounts: bool
    has_teams: bool
    has_products_file: bool
    unknown_account: str | None
    snapshot: str
    entry: str


def _deals(imp: Importer, cols: dict, has_product: bool) -> None:
    """The temp table `deals`: the file's columns under contract names, dates parsed."""
    amount = f"nullif(trim({_col(cols['amount'])}), '')" if cols.get("amount") else "null"
    imp.connection.execute(
        f"""
        create temp table deals as
        select
            nullif(trim({_col(cols["opportunity_id"])}), '') as opportunity_id,
            nullif(trim({_col(cols["owner"])}), '') as owner_name,
            nullif(trim({_col(cols["account"])}), '') as account_name,
            nullif(trim({_col(cols["stage"])}), '') as stage_name,
            nullif(trim({_col(cols["created_date"])}), '') as created_raw,
            {_iso_date(_col(cols["created_date"]))} as created_date,
            nullif(trim({_col(cols["close_date"])}), '') as close_raw,
            {_iso_date(_col(cols["close_date"]))} as close_date,
            {amount} as amount,
            {f"nullif(trim({_col(cols['product'])}), '')" if has_product else "null"}
                as product_name
        from src_pipeline
        """
    )


def _snapshot(imp: Importer, source: Path, snapshot_date: dt.date | None) -> str:
    """The snapshot date as a SQL literal: `--snapshot-date`, else the file's latest date."""
    if snapshot_date is None:
        latest = imp.scalar(
            "select max(greatest(coalesce(created_date, close_date), "
            "coalesce(close_date, created_date))) from deals"
        )
        if latest is None:
            raise CrmMetricsError(f"{source}: no parseable date; pass --snapshot-date")
        snapshot_date = latest
    snapshot = quote_literal(snapshot_date.isoformat())
    imp.note(
        f"Snapshot date {snapshot_date.isoformat()} (the latest date in the file unless "
        "--snapshot-date): creation date of deals without a created date and expected "
        "close date of open deals without a close date."
    )
    return snapshot


def _stage_definition(imp: Importer, stages_cfg: dict) -> str:
    """The temp table `stage_definition` from the mapping's stages (values it does not list are
    open stages); returns the stage closed deals enter at."""
    open_listed = list(stages_cfg.get("open") or [])
    won = stages_cfg.get("won")
    lost = list(stages_cfg.get("lost") or [])
    if not won or not lost:
        raise CrmMetricsError("the mapping's stages need a won stage and a lost stage")
    listed = [*open_listed, won, *lost]
    other = [
        row[0]
        for row in imp.connection.execute(
            "select distinct stage_name from deals where stage_name is not null "
            "and stage_name not in (select unnest(?)) order by 1",
            [listed],
        ).fetchall()
    ]
    ordered = (
        [(name, False, False) for name in [*open_listed, *other]]
        + [(won, True, True)]
        + [(name, True, False) for name in lost]
    )
    values = ", ".join(
        f"({quote_literal(name)}, {order}, {str(closed).lower()}, {str(is_won).lower()})"
        for order, (name, closed, is_won) in enumerate(ordered, start=1)
    )
    imp.connection.execute(
        "create temp table stage_definition as select * from (values "
        f"{values}) as stage_rows(stage_name, stage_order, is_closed, is_won)"
    )
    if other:
        imp.note(f"Stage values not in the mapping, taken as open stages: {', '.join(other)}.")
    entry = stages_cfg.get("entry_stage") or (open_listed or other or [None])[0]
    if entry is None or entry not in [*open_listed, *other]:
        raise CrmMetricsError(f"the mapping's entry_stage {entry!r} is not an open stage")
    imp.note(
        "Stage order: "
        + ", ".join(name for name, _, _ in ordered)
        + f"; won: {won}; lost: {', '.join(lost)}; closed deals enter at {entry}."
    )
    return entry


def _deal_states(imp: Importer, pc: _Export) -> None:
    """The temp table `deal_states`: each deal with its stage's flags and its implied dates."""
    imp.connection.execute(
        f"""
        create temp table deal_states as
        select
            deals.* replace (
                case
                    when {str(bool(pc.stages_cfg.get("lost_zero_amount_is_unknown"))).lower()}
                        and stage_definition.is_closed
                        and not stage_definition.is_won
                        and try_cast(deals.amount as double) = 0
                        then null
                    else deals.amount
                end as amount
            ),
            coalesce(stage_definition.is_closed, false) as is_closed,
            coalesce(stage_definition.is_won, false) as is_won,
            case
                when deals.created_raw is null then {pc.snapshot} || ' 00:00:00'
                when deals.created_date is not null
                    then strftime(deals.created_date, '%Y-%m-%d') || ' 00:00:00'
                else deals.created_raw
            end as created_at,
            case
                when deals.close_raw is not null then {date_text("deals.close_raw")}
                when not coalesce(stage_definition.is_closed, false) then {pc.snapshot}
            end as expected_close_date,
            coalesce(stage_definition.is_closed, false)
                and deals.close_date > coalesce(deals.created_date, cast({pc.snapshot} as date))
                as has_close_row
        from deals
        left join stage_definition
            on deals.stage_name = stage_definition.stage_name
        """
    )
    imp.note(
        f"{imp.count('select 1 from deals where created_raw is null')} deals without a "
        "created date are created at the snapshot date; "
        f"{imp.count('select 1 from deal_states where close_raw is null and not is_closed')} "
        "open deals without a close date expect to close on the snapshot date."
    )
    if pc.stages_cfg.get("lost_zero_amount_is_unknown"):
        zero_lost = imp.count(
            "select 1 from deals inner join stage_definition "
            "on deals.stage_name = stage_definition.stage_name "
            "where stage_definition.is_closed and not stage_definition.is_won "
            "and try_cast(deals.amount as double) = 0"
        )
        if zero_lost:
            imp.note(f"{zero_lost} lost deals with value 0: amount left empty (unknown).")
    imp.accountless("deals", "select 1 from deals where account_name is null", pc.unknown_account)
    imp.unmapped(
        "deals without an id, owner or stage (rejected by staging)",
        "select 1 from deals where opportunity_id is null or owner_name is null "
        "or stage_name is null",
    )
    imp.unmapped(
        "closed deals without a close date (one row at the created date)",
        "select 1 from deal_states where is_closed and close_raw is null",
    )
    imp.unmapped(
        "unparseable dates (passed through: rejected by staging)",
        "select 1 from deals where (created_raw is not null and created_date is null)"
        " or (close_raw is not null and close_date is null)",
    )


BUILDERS = TableBuilders()


@BUILDERS.table("stages")
def _stages(imp: Importer, pc: _Export) -> str:
    """The mapping's stages, in order."""
    return """
        select
            stage_name,
            stage_order,
            cast(null as varchar) as default_probability,
            is_closed,
            is_won
        from stage_definition
        order by stage_order
    """


@BUILDERS.table("opportunities")
def _opportunities(imp: Importer, pc: _Export) -> str:
    """One row per deal."""
    return f"""
        select
            opportunity_id,
            {account_or_placeholder("account_name", pc.unknown_account)} as account_id,
            owner_name as owner_id,
            null as presales_owner_id,
            null as opportunity_name,
            null as opportunity_type,
            null as lead_source,
            created_at,
            expected_close_date as close_date,
            amount,
            null as currency_code,
            stage_name,
            is_closed,
            is_won,
            null as loss_reason,
            case when is_closed then
                case when has_close_row
                    then strftime(close_date, '%Y-%m-%d') || ' 00:00:00'
                    else created_at end
            end as closed_at
        from deal_states
        order by opportunity_id
    """


@BUILDERS.table("opportunity_history")
def _history(imp: Importer, pc: _Export) -> str:
    """A row at creation, and one at the close when the close is later."""
    return f"""
        select
            opportunity_id,
            created_at as changed_at,
            case when has_close_row then {quote_literal(pc.entry)} else stage_name end
                as stage_name,
            amount,
            expected_close_date as close_date,
            null as changed_by,
            '1' as source_order
        from deal_states
        union all
        select
            opportunity_id,
            strftime(close_date, '%Y-%m-%d') || ' 00:00:00' as changed_at,
            stage_name,
            amount,
            expected_close_date as close_date,
            null as changed_by,
            '2' as source_order
        from deal_states
        where has_close_row
        order by opportunity_id, changed_at, source_order
    """


@BUILDERS.table("users")
def _users(imp: Importer, pc: _Export) -> str:
    """The deals' owners as AEs, with the teams file's agents and managers."""
    sql = f"""
        with people as (
            select
                owner_name as full_name, 'AE' as role, null as manager, null as team,
                1 as rank
            from deals where owner_name is not null
            union all
            select
                nullif(trim({_col(pc.team["agent"])}), ''), 'AE',
                nullif(trim({_col(pc.team["manager"])}), ''),
                nullif(trim({_col(pc.team["team"])}), ''), 0
            from src_teams
            union all
            select
                nullif(trim({_col(pc.team["manager"])}), ''), 'MANAGER', null,
                nullif(trim({_col(pc.team["team"])}), ''), 2
            from src_teams
        )
        select
            full_name as user_id,
            full_name,
            null as email,
            arg_min(role, rank) as role,
            arg_min(manager, rank) as manager_id,
            arg_min(team, rank) as team,
            null as segment,
            null as hired_on,
            null as is_active
        from people
        where full_name is not null
        group by full_name
        order by full_name
    """
    if pc.has_teams:
        imp.note("Users: agents are AEs; the managers of the teams file are MANAGERs.")
    return sql


@BUILDERS.table("accounts")
def _accounts(imp: Importer, pc: _Export) -> str:
    """The deals' accounts and the accounts file's, at their first deal."""
    placeholder = (
        f"select {quote_literal(pc.unknown_account)} as account_name, min(created_at) as first_at "
        "from deal_states where account_name is null having count(*) > 0"
        if pc.unknown_account is not None
        else "select null as account_name, null as first_at where false"
    )
    sql = f"""
        with seen as (
            select account_name, min(created_at) as first_at
            from deal_states where account_name is not null
            group by account_name
            union all
            {placeholder}
        ),
        listed as (
            select
                nullif(trim({_col(pc.acc["account"])}), '') as account_name,
                {_fixed(f"nullif(trim({_col(pc.acc['industry'])}), '')", pc.fixes.get("industry"))}
                    as industry,
                nullif(trim({_col(pc.acc["employee_count"])}), '') as employee_count,
                nullif(trim({_col(pc.acc["country"])}), '') as country
            from src_accounts
        ),
        names as (
            select account_name from seen
            union
            select account_name from listed where account_name is not null
        )
        select
            names.account_name as account_id,
            names.account_name,
            listed.industry,
            listed.employee_count,
            listed.country,
            null as segment,
            null as owner_id,
            coalesce(seen.first_at, {pc.snapshot} || ' 00:00:00') as created_at
        from names
        left join seen on names.account_name = seen.account_name
        left join listed on names.account_name = listed.account_name
        order by 1
    """
    if pc.has_accounts:
        imp.note(
            "Accounts are created at their first deal's created date (the accounts file "
            "has no CRM creation date); accounts without deals at the snapshot date. "
            "Industry fixes: "
            + (
                ", ".join(f"{a} -> {b}" for a, b in (pc.fixes.get("industry") or {}).items())
                or "none"
            )
            + "."
        )
    return sql


@BUILDERS.table("products")
def _products(imp: Importer, pc: _Export) -> str | None:
    """The catalogue, plus the deals' products it lacks; builds `deal_products`."""
    sql = None
    if pc.has_product:
        imp.connection.execute(
            f"""
            create temp table catalogue as
            select
                nullif(trim({_col(pc.prod["product"])}), '') as product_name,
                nullif(trim({_col(pc.prod["product_family"])}), '') as product_family,
                nullif(trim({_col(pc.prod["list_price"])}), '') as list_price
            from src_products
            where nullif(trim({_col(pc.prod["product"])}), '') is not null
            """
        )
        imp.connection.execute(
            """
            create temp table deal_products as
            select
                deals.opportunity_id,
                deals.product_name as raw_name,
                coalesce(catalogue.product_name, deals.product_name) as product_name,
                deals.amount,
                deal_states.is_won
            from deals
            inner join deal_states on deals.opportunity_id = deal_states.opportunity_id
            left join catalogue
                on lower(replace(deals.product_name, ' ', ''))
                    = lower(replace(catalogue.product_name, ' ', ''))
            where deals.product_name is not null and deals.opportunity_id is not null
            """
        )
        renamed = imp.connection.execute(
            "select raw_name, product_name, count(*) from deal_products "
            "where raw_name <> product_name group by 1, 2 order by 1"
        ).fetchall()
        if renamed:
            imp.note(
                "Deal products matched to the catalogue ignoring case and spaces: "
                + ", ".join(f"{a!r} -> {b!r} ({n} deals)" for a, b, n in renamed)
                + "."
            )
        sql = """
            select
                product_name as product_id,
                product_name,
                product_family,
                list_price
            from catalogue
            union all
            select distinct product_name, product_name, null, null
            from deal_products
            where product_name not in (select product_name from catalogue)
            order by 1
        """
    elif pc.has_products_file:
        imp.note("A products file was given but no product column is mapped: ignored.")
    return sql


@BUILDERS.table("opportunity_line_items")
def _line_items(imp: Importer, pc: _Export) -> str | None:
    """One line item per deal with a product."""
    sql = None
    if pc.has_product:
        sql = """
            select
                opportunity_id || ':1' as line_item_id,
                opportunity_id,
                product_name as product_id,
                1 as quantity,
                case when is_won then amount end as unit_price
            from deal_products
            order by 1
        """
    return sql
