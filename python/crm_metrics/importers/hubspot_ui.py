"""Import a HubSpot export made in HubSpot's own UI (Deals > Export), as opposed to the API
layout of hubspot.py. `import_hubspot` picks this layout when deals.csv has a "Record ID" column.

Files read from the folder:

- deals.csv (required): property labels as headers: "Record ID", "Deal Name", "Pipeline" and
  "Deal Stage" (labels, not ids), "Amount", "Close Date", "Create Date", "Deal owner" (the
  owner's name); optional "Deal Type", "Closed Lost Reason", "Currency", "Is Closed Won",
  "Is closed lost", "Associated Company IDs" / "Associated Company" (with associations;
  several are separated by `;`, the first is taken), and the `Date entered "<stage>
  (<pipeline>)"` columns (one per stage of every pipeline).
- companies.csv (optional): "Record ID", "Company name", "Create Date"; optional "Industry",
  "Number of Employees", "Country/Region". Without it, one account per associated company of
  the deals, named by "Associated Company" (else `(name unknown)`), created at its earliest
  deal's create date. A deal without an associated company is rejected by staging
  (`missing_required:account_id`) unless `--unknown-account NAME` maps it to one placeholder
  account, as in the API layout (hubspot.py).
- pipelines.json (optional): the pipelines API response, matched by pipeline and stage label.

Rules:

- One pipeline: `--pipeline` (a label or id; default: the pipeline with the most deals). Deals of
  other pipelines are left out and counted.
- Stages: from pipelines.json when present (open by displayOrder, then closed; won = closed at
  probability 1.0). Otherwise the stage labels of the pipeline's deals and of its "Date entered"
  columns: won = a stage whose deals are "Is Closed Won", lost = one whose deals are "Is closed
  lost"; a stage no deal is in yet is won or lost only when named as HubSpot's default stages
  ("Closed Won", "Closed Lost"). Neither a pipeline file nor those columns: an error. Open
  stages are ordered by the median time at which deals first enter them ("Date entered").
- History: without a property-history file, one row per filled "Date entered" column of a
  deal (its stage, at that time). HubSpot keeps only the latest entry into each stage there,
  so a deal that went back to an earlier stage shows only its last visit: regressions and
  repeated visits are lost (said in the notes). Every row carries the deal's current amount
  and close date. A deal with no "Date entered" value gets one row at its create date. The
  rows of a deal are numbered (source_order) in the order inferred: by entry time, stages
  entered in the same instant (to the second, the contract's changed_at) in the pipeline's
  stage order.
- Users: one per "Deal owner" name (role AE); a deal without an owner goes to `(unknown owner)`.
- "Deal Type": New Business -> new_business, Existing Business -> expansion, Renewal -> renewal.
- Contacts, contact roles and tickets: contacts.csv, deal_contact_associations.csv (else the
  deals' "Associated Contact IDs", several separated by `;`, without roles) and tickets.csv,
  as in the API layout (hubspot_objects.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crm_metrics.errors import CrmMetricsError
from crm_metrics.importers.common import (
    UNKNOWN_OWNER,
    Importer,
    ImportResult,
    TableBuilders,
    account_or_placeholder,
    accounts_sql,
    bool_text,
    date_text,
    timestamp_text,
)
from crm_metrics.importers.hubspot_objects import (
    DATE_COLUMNS as OBJECT_DATE_COLUMNS,
)
from crm_metrics.importers.hubspot_objects import (
    contact_roles_sql,
    contacts_sql,
    read_objects,
    tickets_sql,
)
from crm_metrics.sql import quote_identifier, quote_literal

# SQL over src_pipeline_rows: the contract's stage columns, open stages first then closed ones,
# each by displayOrder; won = closed at probability 1.0
PIPELINE_STAGE_COLUMNS = """
    label as stage_name,
    row_number() over (order by is_closed, display_order, label) as stage_order,
    probability as default_probability,
    coalesce(is_closed, false) as is_closed,
    coalesce(is_closed, false) and probability = 1.0 as is_won
"""

DEALS = (
    ["Record ID", "Deal Name", "Pipeline", "Deal Stage", "Close Date", "Create Date"],
    [
        "Amount",
        "Deal owner",
        "Deal Type",
        "Closed Lost Reason",
        "Currency",
        "Is Closed Won",
        "Is closed lost",
        "Associated Company IDs",
        "Associated Company",
        "Associated Contact IDs",
    ],
)
DEAL_LABELS = {
    "Associated Company IDs": ["Associated Company IDs (Primary)", "Associated Company ID"],
    "Associated Company": ["Associated Company (Primary)", "Associated Company Name"],
    "Associated Contact IDs": ["Associated Contact IDs (Primary)", "Associated Contact ID"],
    "Currency": ["Deal currency code"],
}
COMPANIES = (
    ["Record ID", "Company name", "Create Date"],
    ["Industry", "Number of Employees", "Country/Region"],
)
COMPANY_LABELS = {"Company name": ["Name"], "Country/Region": ["Country"]}
DATE_ENTERED = re.compile(r'date entered "?(.+) \((.+)\)"?', re.IGNORECASE)


def _first(expr: str) -> str:
    """SQL: the first of a `;`-separated list, trimmed, empty as null."""
    return f"nullif(trim(split_part({expr}, ';', 1)), '')"


ACCOUNT_ID = _first('"Associated Company IDs"')  # SQL: a deal's company id
OWNER = "nullif(trim(\"Deal owner\"), '')"  # SQL: a deal's owner name


def import_hubspot_ui(
    imp: Importer,
    source: Path,
    deals_path: Path,
    pipeline: str | None,
    pipelines_rows: bool,
    unknown_account: str | None = None,
) -> ImportResult:
    """The UI layout (see the module docstring); `pipelines_rows`: src_pipeline_rows holds a
    pipelines.json; `unknown_account`: the placeholder account of deals without a company."""
    entered, has_companies, objects = _read_deals(imp, source, deals_path)
    pipeline, columns = _choose_pipeline(imp, deals_path, pipeline, entered)
    _stage_tables(imp, deals_path, pipeline, columns, pipelines_rows)
    export = _Export(columns, has_companies, unknown_account, objects)
    return BUILDERS.write(imp, export)


@dataclass(frozen=True)
class _Export:
    """What the builders share: the pipeline's Date entered columns (header -> stage), whether
    a companies file was read, the placeholder account."""

    columns: dict[str, str]
    has_companies: bool
    unknown_account: str | None
    objects: dict[str, bool]  # contacts, deal_contacts, tickets: hubspot_objects.py


def _read_deals(
    imp: Importer, source: Path, deals_path: Path
) -> tuple[dict[str, tuple[str, str]], bool, dict[str, bool]]:
    """Read the deals (with every Date entered column), the companies file and the contacts,
    associations and tickets files: the Date entered headers (header -> (stage label, pipeline
    label)), whether there are companies, and which of the others there are."""
    headers = imp.headers(deals_path)
    entered = {}  # header -> (stage label, pipeline label)
    for header in headers:
        match = DATE_ENTERED.fullmatch(header.strip())
        if match:
            entered[header] = (match.group(1).strip(), match.group(2).strip())
    imp.read("deals", deals_path, DEALS[0], [*DEALS[1], *entered], labels=DEAL_LABELS)
    companies_path = imp.find(source, "companies")
    has_companies = imp.read_optional(
        "companies", companies_path, *COMPANIES, labels=COMPANY_LABELS
    )
    objects = read_objects(imp, source)
    imp.check()
    imp.convert_dates(
        {
            "deals": {
                "Create Date": "timestamp",
                "Close Date": "date",
                **{header: "timestamp" for header in entered},
            },
            "companies": {"Create Date": "timestamp"},
            **OBJECT_DATE_COLUMNS,
        }
    )
    return entered, has_companies, objects


def _choose_pipeline(
    imp: Importer, deals_path: Path, pipeline: str | None, entered: dict[str, tuple[str, str]]
) -> tuple[str, dict[str, str]]:
    """`--pipeline`, else the one with the most deals; with its Date entered columns."""
    # Pipeline -------------------------------------------------------------------------------
    counts = imp.connection.execute(
        'select trim("Pipeline"), count(*) from src_deals group by 1 order by 2 desc, 1'
    ).fetchall()
    if pipeline is None:
        pipeline = counts[0][0] if counts else None
    if pipeline not in {name for name, _ in counts}:
        known = ", ".join(f"{name} ({n} deals)" for name, n in counts) or "none"
        raise CrmMetricsError(f"{deals_path.name}: no deal in pipeline {pipeline!r} ({known})")
    chosen = quote_literal(pipeline)
    imp.note(
        f"HubSpot UI export (property labels). Pipeline {pipeline!r}"
        + (" (the one with the most deals; --pipeline picks another)" if len(counts) > 1 else "")
        + ": deals of other pipelines are left out."
    )
    imp.unmapped(
        "deals of other pipelines (left out)",
        f"select 1 from src_deals where coalesce(trim(\"Pipeline\"), '') <> {chosen}",
    )
    columns = {h: stage for h, (stage, pipe) in entered.items() if pipe == pipeline}
    return pipeline, columns


def _stage_tables(
    imp: Importer, deals_path: Path, pipeline: str, columns: dict[str, str], pipelines_rows: bool
) -> None:
    """The temp tables every builder reads: `pipeline_deals`, `stage_entries` (from the Date
    entered columns) and `stage_definition` (from pipelines.json, else inferred)."""
    chosen = quote_literal(pipeline)
    entries = (
        " union all ".join(
            f'select trim("Record ID") as deal_id, {quote_literal(stage)} as stage_name, '
            f"try_cast({quote_identifier(h)} as timestamp) as entered_at from pipeline_deals "
            f"where nullif(trim({quote_identifier(h)}), '') is not null"
            for h, stage in columns.items()
        )
        or "select null as deal_id, null as stage_name, cast(null as timestamp) as entered_at "
        "where false"
    )
    imp.connection.execute(
        f"create temp table pipeline_deals as select * from src_deals "
        f'where trim("Pipeline") = {chosen}'
    )
    imp.connection.execute(f"create temp table stage_entries as {entries}")
    pipeline_stages = pipelines_rows and imp.count(
        f"select 1 from src_pipeline_rows where pipeline_id = {chosen} or pipeline_label = {chosen}"
    )
    flags = imp.has("deals", "Is Closed Won") or imp.has("deals", "Is closed lost")
    if pipeline_stages:
        imp.connection.execute(
            f"""
            create temp table stage_definition as
            select
                {PIPELINE_STAGE_COLUMNS}
            from src_pipeline_rows
            where pipeline_id = {chosen} or pipeline_label = {chosen}
            """
        )
        imp.note("Stages from pipelines.json (by label): open by displayOrder, then closed.")
    elif flags:
        listed = "[" + ", ".join(quote_literal(stage) for stage in columns.values()) + "]"
        imp.connection.execute(
            f"""
            create temp table stage_definition as
            with seen as (
                select trim("Deal Stage") as stage_name,
                    {bool_text('"Is Closed Won"')} = 'true' as won,
                    {bool_text('"Is closed lost"')} = 'true' as lost
                from pipeline_deals
                union all
                select stage_name, null, null from stage_entries
                union all
                select unnest({listed}::varchar[]), null, null
            ),
            flagged as (
                select
                    stage_name,
                    coalesce(bool_or(won), false)
                        or (not coalesce(bool_or(lost), false) and lower(stage_name) = 'closed won')
                        as is_won,
                    coalesce(bool_or(lost), false)
                        or (not coalesce(bool_or(won), false) and lower(stage_name) = 'closed lost')
                        as is_lost
                from seen
                where nullif(stage_name, '') is not null
                group by 1
            ),
            medians as (
                select stage_name, median(epoch(entered_at)) as median_entry
                from stage_entries group by 1
            )
            select
                flagged.stage_name,
                row_number() over (
                    order by flagged.is_won or flagged.is_lost, flagged.is_lost,
                        medians.median_entry nulls last, flagged.stage_name
                ) as stage_order,
                cast(null as double) as default_probability,
                flagged.is_won or flagged.is_lost as is_closed,
                flagged.is_won
            from flagged
            left join medians on flagged.stage_name = medians.stage_name
            """
        )
        described = ", ".join(
            f"{name} ({'won' if won else 'lost' if closed else 'open'})"
            for name, closed, won in imp.connection.execute(
                "select stage_name, is_closed, is_won from stage_definition order by stage_order"
            ).fetchall()
        )
        imp.note(
            "No pipelines.json: stages are the pipeline's Deal Stage labels and Date entered "
            "columns; won/lost from the deals' Is Closed Won / Is closed lost (a stage without "
            "deals only by HubSpot's default names Closed Won / Closed Lost); open stages "
            f"ordered by the median time deals first enter them: {described}."
        )
    else:
        raise CrmMetricsError(
            f"{deals_path.name}: which stages are won and lost is unknown: add pipelines.json "
            "(GET /crm/v3/pipelines/deals) or export the deals with the 'Is Closed Won' and "
            "'Is closed lost' properties"
        )
    for kind, condition in (("won", "is_won"), ("lost", "is_closed and not is_won")):
        if not imp.count(f"select 1 from stage_definition where {condition}"):
            raise CrmMetricsError(
                f"{deals_path.name}: pipeline {pipeline!r} has no {kind} stage in the export; add "
                "pipelines.json (GET /crm/v3/pipelines/deals) so every stage is known"
            )
    imp.unmapped(
        "deals whose Deal Stage is no stage of the pipeline (rejected by staging)",
        'select 1 from pipeline_deals where trim("Deal Stage") not in '
        "(select stage_name from stage_definition)",
    )


BUILDERS = TableBuilders()


@BUILDERS.table("stages")
def _stages(imp: Importer, ui: _Export) -> str:
    """The pipeline's stages."""
    return """
        select stage_name, stage_order, default_probability, is_closed, is_won
        from stage_definition order by stage_order
    """


@BUILDERS.table("opportunities")
def _opportunities(imp: Importer, ui: _Export) -> str:
    """One row per deal of the pipeline."""
    return f"""
        select
            trim("Record ID") as opportunity_id,
            {account_or_placeholder(ACCOUNT_ID, ui.unknown_account)} as account_id,
            coalesce({OWNER}, {quote_literal(UNKNOWN_OWNER)}) as owner_id,
            null as presales_owner_id,
            "Deal Name" as opportunity_name,
            case lower(trim("Deal Type"))
                when 'new business' then 'new_business'
                when 'existing business' then 'expansion'
                when 'renewal' then 'renewal'
                else nullif(trim("Deal Type"), '')
            end as opportunity_type,
            null as lead_source,
            {timestamp_text('"Create Date"')} as created_at,
            {date_text('"Close Date"')} as close_date,
            nullif(trim("Amount"), '') as amount,
            nullif(trim("Currency"), '') as currency_code,
            trim("Deal Stage") as stage_name,
            null as is_closed,
            null as is_won,
            nullif(trim("Closed Lost Reason"), '') as loss_reason,
            null as closed_at
        from pipeline_deals
        order by 1
    """


@BUILDERS.table("opportunity_history")
def _history(imp: Importer, ui: _Export) -> str:
    """The latest entry into each stage (the Date entered columns)."""
    if ui.columns:
        imp.note(
            "No deal stage history file: the history is the Date entered columns of the "
            f"pipeline ({len(ui.columns)} stages). HubSpot keeps only the latest entry into each "
            "stage there: a deal that went back to an earlier stage shows only its last visit, "
            "so regressions and repeated visits are lost."
        )
    return f"""
        select
            stage_entries.deal_id as opportunity_id,
            strftime(stage_entries.entered_at, '%Y-%m-%d %H:%M:%S') as changed_at,
            stage_entries.stage_name,
            nullif(trim(pipeline_deals."Amount"), '') as amount,
            {date_text('pipeline_deals."Close Date"')} as close_date,
            null as changed_by,
            -- the deal's rows numbered in the order inferred: by entry time (to the
            -- millisecond), stages entered in the same instant in the pipeline's stage order
            cast(row_number() over (
                partition by stage_entries.deal_id
                order by
                    stage_entries.entered_at,
                    stage_definition.stage_order nulls last,
                    stage_entries.stage_name
            ) as varchar) as source_order
        from stage_entries
        inner join pipeline_deals on stage_entries.deal_id = trim(pipeline_deals."Record ID")
        left join stage_definition on stage_entries.stage_name = stage_definition.stage_name
        order by 1, 2, 7
    """


@BUILDERS.table("users")
def _users(imp: Importer, ui: _Export) -> str:
    """One AE per Deal owner name."""
    imp.note("Users: one per Deal owner name (role AE).")
    no_owner = imp.count(f"select 1 from pipeline_deals where {OWNER} is null")
    if no_owner:
        imp.note(f"{no_owner} deals without a Deal owner go to {UNKNOWN_OWNER!r}.")
    return f"""
        select distinct
            coalesce({OWNER}, {quote_literal(UNKNOWN_OWNER)}) as user_id,
            coalesce({OWNER}, {quote_literal(UNKNOWN_OWNER)}) as full_name,
            null as email, 'AE' as role, null as manager_id, null as team, null as segment,
            null as hired_on, null as is_active
        from pipeline_deals
        order by 1
    """


@BUILDERS.table("accounts")
def _accounts(imp: Importer, ui: _Export) -> str:
    """From the companies file, else one per company of the deals; plus the placeholder."""
    imp.accountless(
        "deals", f"select 1 from pipeline_deals where {ACCOUNT_ID} is null", ui.unknown_account
    )
    first_deal = f"""
        select {ACCOUNT_ID} as account_id, min({timestamp_text('"Create Date"')}) as first_at,
            min({_first('"Associated Company"')}) as deal_name
        from pipeline_deals where {ACCOUNT_ID} is not null group by 1
    """
    created = timestamp_text('"Create Date"')
    companies = None
    if ui.has_companies:
        companies = f"""
            select
                trim(companies."Record ID") as account_id,
                coalesce(nullif(trim(companies."Company name"), ''), first_deal.deal_name)
                    as account_name,
                nullif(trim(companies."Industry"), '') as industry,
                nullif(trim(companies."Number of Employees"), '') as employee_count,
                nullif(trim(companies."Country/Region"), '') as country,
                null as segment,
                null as owner_id,
                coalesce({timestamp_text('companies."Create Date"')}, first_deal.first_at)
                    as created_at
            from src_companies as companies
            left join first_deal on trim(companies."Record ID") = first_deal.account_id
        """
    sql = accounts_sql(
        ui.unknown_account,
        first_deal,
        companies,
        f"select {created} as created_at from pipeline_deals where {ACCOUNT_ID} is null",
        'select trim("Record ID") from src_companies'
        if ui.has_companies
        else f"select {ACCOUNT_ID} from pipeline_deals",
    )
    if not ui.has_companies:
        imp.note(
            "No companies file: one account per associated company of the deals, named by "
            "Associated Company, created at its earliest deal's create date."
        )
    return sql


@BUILDERS.table("contacts")
def _contacts(imp: Importer, ui: _Export) -> str | None:
    """contacts.csv (hubspot_objects.py)."""
    return contacts_sql(imp, ui.objects)


@BUILDERS.table("opportunity_contact_roles")
def _contact_roles(imp: Importer, ui: _Export) -> str | None:
    """deal_contact_associations.csv, else the deals' Associated Contact IDs, for the deals of
    the pipeline (hubspot_objects.py)."""
    ui_pairs = None
    if imp.has("deals", "Associated Contact IDs"):
        ui_pairs = """
            select deal_id, trim(contact_id) as contact_id
            from (
                select
                    trim("Record ID") as deal_id,
                    unnest(string_split("Associated Contact IDs", ';')) as contact_id
                from src_deals
                where nullif(trim("Associated Contact IDs"), '') is not null
            ) as listed
            where nullif(trim(contact_id), '') is not null
        """
    return contact_roles_sql(
        imp,
        ui.objects,
        'select trim("Record ID") as opportunity_id from pipeline_deals',
        ui_pairs,
    )


@BUILDERS.table("support_tickets")
def _tickets(imp: Importer, ui: _Export) -> str | None:
    """tickets.csv (hubspot_objects.py)."""
    return tickets_sql(imp, ui.objects)
