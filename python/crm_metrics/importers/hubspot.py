"""Import a HubSpot export into the raw contract.

Two layouts: a deals.csv with a "Record ID" column is an export from HubSpot's UI (property
labels; hubspot_ui.py); otherwise the API layout below. File names are matched without regard
to case, or by a unique prefix/suffix (common.py); dates go through the one detector
(dates.py).

Files read from the folder (HubSpot's internal property names, as the CRM API returns them):

- pipelines.json (required): the deal pipelines API response (`GET /crm/v3/pipelines/deals`):
  `results[]` with `id`, `label`, `displayOrder` and `stages[]` (`id`, `label`, `displayOrder`,
  `metadata.isClosed`, `metadata.probability`).
- deals.csv (required): hs_object_id, dealname, pipeline, dealstage, amount, closedate,
  createdate, hubspot_owner_id; optional associatedcompanyid (the deal's primary company),
  dealtype, closed_lost_reason, deal_currency_code.
- deal_stage_history.csv (optional): the `dealstage` property history flattened, one row per
  version: hs_object_id (the deal), value (a stage id), timestamp; optional sourceType.
- companies.csv (optional): hs_object_id, name, createdate; optional industry,
  numberofemployees, country, hubspot_owner_id. Without it, one account per
  associatedcompanyid of the deals, named `(name unknown)`, created at its earliest deal's
  createdate (also the created date of a company without one). A deal without an
  associatedcompanyid is rejected by staging (`missing_required:account_id`) unless
  `--unknown-account NAME` maps it to one placeholder account (named NAME, created at the
  earliest createdate of those deals; none added when the export has a company of that id).
- owners.json (optional): the owners API response (`GET /crm/v3/owners`): `results[]` with `id`,
  `email`, `firstName`, `lastName`, `archived`, `teams[]` (`name`, `primary`).
- engagements.csv (optional): the engagements API flattened: id, type (CALL, EMAIL, MEETING,
  NOTE, TASK, ...), timestamp (epoch ms or ISO), ownerId; optional dealId, companyId,
  durationMilliseconds, status.

Rules:

- One pipeline: `pipeline` (default: the pipeline with id `default`, else the lowest
  displayOrder). Deals of other pipelines are left out and counted in the notes (the raw
  contract holds one stage definition).
- Stages: the pipeline's stages by label (stage_name), open stages first then closed, each by
  displayOrder; closed = `metadata.isClosed`; won = closed with probability 1.0; lost = the
  other closed stages; default_probability = `metadata.probability` (already 0-1).
- History: each `dealstage` version is a history row at its timestamp, the stage id mapped to
  its label (an id of no stage of the pipeline is passed through: staging rejects the row as
  an unknown stage); source_order is the timestamp in epoch milliseconds, which orders the
  versions of one deal that share a second. HubSpot keeps no amount or close date with that
  history, so every row carries the deal's current amount and close date: no amount changes or
  pushes are implied.
- Users: one per owner (AE when the owner owns a deal, else OTHER: HubSpot has no sales
  roles), team = the primary team, inactive when archived. A deal owner id missing from
  owners.json (or no owners.json) becomes a user named by the id (role AE); a deal without an
  owner goes to one placeholder owner `(unknown owner)`.
- Activities: CALL -> call, EMAIL/INCOMING_EMAIL -> email, MEETING -> meeting, others -> other;
  status COMPLETED -> completed, NO_ANSWER/BUSY -> no_answer; duration from milliseconds.
- dealtype newbusiness -> new_business, existingbusiness -> expansion, renewal -> renewal.
- contacts.csv, deal_contact_associations.csv, tickets.csv (optional, both layouts): see
  hubspot_objects.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from crm_metrics.errors import CrmMetricsError
from crm_metrics.importers.common import (
    UNKNOWN_ACCOUNT_NAME,
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
from crm_metrics.importers.dates import DateSettings
from crm_metrics.importers.hubspot_objects import (
    DATE_COLUMNS as OBJECT_DATE_COLUMNS,
)
from crm_metrics.importers.hubspot_objects import (
    contact_roles_sql,
    contacts_sql,
    read_objects,
    tickets_sql,
)
from crm_metrics.importers.hubspot_ui import PIPELINE_STAGE_COLUMNS, import_hubspot_ui
from crm_metrics.sql import quote_literal

DEALS = (
    [
        "hs_object_id",
        "dealname",
        "pipeline",
        "dealstage",
        "amount",
        "closedate",
        "createdate",
        "hubspot_owner_id",
    ],
    ["associatedcompanyid", "dealtype", "closed_lost_reason", "deal_currency_code"],
)
HISTORY = (["hs_object_id", "value", "timestamp"], ["sourceType"])
COMPANIES = (
    ["hs_object_id", "name", "createdate"],
    ["industry", "numberofemployees", "country", "hubspot_owner_id"],
)
COMPANY = "nullif(trim(associatedcompanyid), '')"  # SQL: a deal's company id
OWNER_FIELDS = {
    "owner_id": "$.id",
    "email": "$.email",
    "first_name": "$.firstName",
    "last_name": "$.lastName",
    "archived": "$.archived",
    "teams": "$.teams",
}
ENGAGEMENTS = (
    ["id", "type", "timestamp", "ownerId"],
    ["dealId", "companyId", "durationMilliseconds", "status"],
)


def _json_results(imp: Importer, name: str, path: Path, fields: dict[str, str]) -> None:
    """Table `src_<name>`: one row per element of the API response's `results`, the given JSON
    paths (relative to the element) as text columns."""
    if not path.is_file():
        raise CrmMetricsError(f"hubspot import: file not found: {path}")
    columns = ", ".join(
        f"json_extract_string(item, {quote_literal(json_path)}) as {column}"
        for column, json_path in fields.items()
    )
    try:
        imp.connection.execute(
            f"""
            create or replace temp table src_{name} as
            with response as (
                select cast(json as json) as body from read_json_objects({quote_literal(path)})
            ),
            items as (
                select unnest(cast(json_extract(body, '$.results') as json[])) as item
                from response
            )
            select {columns} from items
            """
        )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise CrmMetricsError(f"cannot read {path}: {first}") from None
    if imp.count(f"select 1 from src_{name}") == 0:
        raise CrmMetricsError(f"{path}: no `results` entries (expected the API response)")
    missing = [
        column
        for column in fields
        if column.endswith("_id") and imp.count(f"select 1 from src_{name} where {column} is null")
    ]
    if missing:
        raise CrmMetricsError(
            f"{path}: missing field {', '.join(fields[c] for c in missing)} in `results`"
        )


def _load_pipelines(imp: Importer, pipelines_path: Path) -> None:
    """Table src_pipeline_rows: one row per stage of every pipeline of the API response."""
    try:
        imp.connection.execute(
            f"""
        create or replace temp table src_pipeline_rows as
        with response as (
            select cast(json as json) as body
            from read_json_objects({quote_literal(pipelines_path)})
        ),
        pipelines as (
            select unnest(cast(json_extract(body, '$.results') as json[])) as pipeline
            from response
        ),
        stages as (
            select
                pipeline,
                unnest(cast(json_extract(pipeline, '$.stages') as json[])) as stage
            from pipelines
        )
        select
            json_extract_string(pipeline, '$.id') as pipeline_id,
            json_extract_string(pipeline, '$.label') as pipeline_label,
            try_cast(json_extract_string(pipeline, '$.displayOrder') as integer)
                as pipeline_order,
            json_extract_string(stage, '$.id') as stage_id,
            json_extract_string(stage, '$.label') as label,
            try_cast(json_extract_string(stage, '$.displayOrder') as integer)
                as display_order,
            lower(json_extract_string(stage, '$.metadata.isClosed')) = 'true' as is_closed,
            try_cast(json_extract_string(stage, '$.metadata.probability') as double)
                as probability
        from stages
        """
        )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise CrmMetricsError(f"cannot read {pipelines_path}: {first}") from None


def import_hubspot(
    source: Path,
    out_dir: Path,
    *,
    pipeline: str | None = None,
    settings: DateSettings | None = None,
    unknown_account: str | None = None,
    append: bool = False,
    loaded_at: dt.datetime | None = None,
) -> ImportResult:
    """Map the HubSpot export folder `source` into `<table>.csv` files of the raw contract."""
    if not source.is_dir():
        raise CrmMetricsError(f"hubspot import: {source} is not a folder")
    with Importer("hubspot", out_dir, settings, append=append, loaded_at=loaded_at) as imp:
        deals_path = imp.find(source, "deals") or source / "deals.csv"
        if deals_path.is_file() and "record id" in {
            header.strip().lower() for header in imp.headers(deals_path)
        }:
            pipelines_path = imp.find(source, "pipelines", suffixes=(".json",))
            if pipelines_path is not None:
                _load_pipelines(imp, pipelines_path)
            return import_hubspot_ui(
                imp,
                source,
                deals_path,
                pipeline,
                pipelines_rows=pipelines_path is not None,
                unknown_account=unknown_account,
            )
        imp.read("deals", deals_path, *DEALS)
        has_companies = imp.read_optional("companies", imp.find(source, "companies"), *COMPANIES)
        has_history = imp.read_optional("history", imp.find(source, "deal_stage_history"), *HISTORY)
        has_engagements = imp.read_optional(
            "engagements", imp.find(source, "engagements"), *ENGAGEMENTS
        )
        objects = read_objects(imp, source)
        pipelines_path = imp.find(source, "pipelines", suffixes=(".json",))
        owners_path = imp.find(source, "owners", suffixes=(".json",))
        if pipelines_path is None:
            imp.problems.append(
                f"pipelines.json: not found in {source} (the pipelines API response: which "
                "stages exist, their order, and which are won and lost)"
            )
        imp.check()
        imp.convert_dates(
            {
                "deals": {"createdate": "timestamp", "closedate": "date"},
                "companies": {"createdate": "timestamp"},
                "history": {"timestamp": "timestamp"},
                "engagements": {"timestamp": "timestamp"},
                **OBJECT_DATE_COLUMNS,
            }
        )
        _load_pipelines(imp, pipelines_path)
        if imp.count("select 1 from src_pipeline_rows where stage_id is not null") == 0:
            raise CrmMetricsError(
                f"{pipelines_path}: no stages (expected the pipelines API response: "
                "results[].stages[] with id, label, displayOrder, metadata)"
            )
        _read_owners(imp, owners_path)
        _pipeline_deals(imp, pipeline)
        imp.accountless("deals", f"select 1 from deals where {COMPANY} is null", unknown_account)
        export = _Export(
            has_companies,
            has_history,
            has_engagements,
            owners_path is not None,
            unknown_account,
            objects,
        )
        return BUILDERS.write(imp, export)


@dataclass(frozen=True)
class _Export:
    """What the table builders share: which optional files the export has."""

    has_companies: bool
    has_history: bool
    has_engagements: bool
    has_owners: bool
    unknown_account: str | None
    objects: dict[str, bool]  # contacts, deal_contacts, tickets: hubspot_objects.py


def _read_owners(imp: Importer, owners_path: Path | None) -> None:
    """owners.json as `src_owners` (empty without the file)."""
    if owners_path is None:
        imp.empty("owners", OWNER_FIELDS)
        imp.note(
            "No owners.json: one user (role AE) per hubspot_owner_id of the deals, named by the id."
        )
    else:
        _json_results(imp, "owners", owners_path, OWNER_FIELDS)


def _pipeline_deals(imp: Importer, pipeline: str | None) -> None:
    """The temp tables every builder reads: `stage_definition`, the stages of the chosen pipeline
    (`--pipeline`, else the default one) in contract order, and `deals`, the pipeline's deals
    with their stage label and owner key."""
    if pipeline is None:
        pipeline = imp.scalar(
            "select pipeline_id from src_pipeline_rows "
            "order by pipeline_id <> 'default', pipeline_order, pipeline_id limit 1"
        )
    elif not imp.count(
        f"select 1 from src_pipeline_rows where pipeline_id = {quote_literal(pipeline)}"
    ):
        raise CrmMetricsError(f"pipelines.json has no pipeline {pipeline!r}")
    chosen = quote_literal(pipeline)
    imp.note(f"Pipeline {pipeline}: deals of other pipelines are left out.")
    imp.unmapped(
        "deals of other pipelines (left out)",
        f"select 1 from src_deals where coalesce(trim(pipeline), '') <> {chosen}",
    )
    duplicate = imp.scalar(
        f"select string_agg(label, ', ') from (select label from src_pipeline_rows "
        f"where pipeline_id = {chosen} group by label having count(*) > 1)"
    )
    if duplicate:
        raise CrmMetricsError(f"pipelines.json: pipeline {pipeline} repeats stage {duplicate}")
    imp.connection.execute(
        f"""
        create temp table stage_definition as
        select
            stage_id,
            {PIPELINE_STAGE_COLUMNS}
        from src_pipeline_rows
        where pipeline_id = {chosen}
        """
    )
    imp.note("Stages: open first then closed, by displayOrder; won = closed at probability 1.0.")
    imp.connection.execute(
        f"""
        create temp table deals as
        select
            src_deals.*,
            stage_definition.stage_name as stage_label,
            coalesce(
                nullif(trim(src_deals.hubspot_owner_id), ''), {quote_literal(UNKNOWN_OWNER)}
            ) as owner_key
        from src_deals
        left join stage_definition on trim(src_deals.dealstage) = stage_definition.stage_id
        where trim(src_deals.pipeline) = {chosen}
        """
    )
    imp.unmapped(
        "deals whose dealstage is no stage of the pipeline (rejected by staging)",
        "select 1 from deals where stage_label is null",
    )


BUILDERS = TableBuilders()


@BUILDERS.table("stages")
def _stages(imp: Importer, hs: _Export) -> str:
    """The chosen pipeline's stages."""
    sql = """
        select stage_name, stage_order, default_probability, is_closed, is_won
        from stage_definition
        order by stage_order
    """
    return sql


@BUILDERS.table("opportunities")
def _opportunities(imp: Importer, hs: _Export) -> str:
    """One row per deal of the pipeline."""
    sql = f"""
        select
            trim(hs_object_id) as opportunity_id,
            {account_or_placeholder(COMPANY, hs.unknown_account)} as account_id,
            owner_key as owner_id,
            null as presales_owner_id,
            dealname as opportunity_name,
            case lower(trim(dealtype))
                when 'newbusiness' then 'new_business'
                when 'existingbusiness' then 'expansion'
                when 'renewal' then 'renewal'
                else nullif(trim(dealtype), '')
            end as opportunity_type,
            null as lead_source,
            {timestamp_text("createdate")} as created_at,
            {date_text("closedate")} as close_date,
            nullif(trim(amount), '') as amount,
            nullif(trim(deal_currency_code), '') as currency_code,
            coalesce(stage_label, trim(dealstage)) as stage_name,
            null as is_closed,
            null as is_won,
            nullif(trim(closed_lost_reason), '') as loss_reason,
            null as closed_at
        from deals
        order by 1
    """
    return sql


@BUILDERS.table("opportunity_history")
def _history(imp: Importer, hs: _Export) -> str:
    """The dealstage history of the pipeline's deals."""
    sql = f"""
        select
            trim(src_history.hs_object_id) as opportunity_id,
            {timestamp_text("src_history.timestamp")} as changed_at,
            coalesce(stage_definition.stage_name, trim(src_history.value)) as stage_name,
            nullif(trim(deals.amount), '') as amount,
            {date_text("deals.closedate")} as close_date,
            null as changed_by,
            -- the version's timestamp in epoch milliseconds: orders versions of one second
            cast(
                epoch_ms(try_cast({timestamp_text("src_history.timestamp")} as timestamp))
                as varchar
            ) as source_order
        from src_history
        inner join deals on trim(src_history.hs_object_id) = trim(deals.hs_object_id)
        left join stage_definition on trim(src_history.value) = stage_definition.stage_id
        order by 1, 2
    """
    if hs.has_history:
        imp.unmapped(
            "dealstage history rows with a stage id of no stage (rejected by staging)",
            "select 1 from src_history inner join deals "
            "on trim(src_history.hs_object_id) = trim(deals.hs_object_id) "
            "where trim(src_history.value) not in (select stage_id from stage_definition)",
        )
    else:
        imp.note("No deal_stage_history.csv: each deal gets one history row at createdate.")
    return sql


@BUILDERS.table("users")
def _users(imp: Importer, hs: _Export) -> str:
    """owners.json, plus an AE per deal owner it lacks."""
    sql = f"""
        select
            owner_id as user_id,
            coalesce(
                nullif(trim(concat_ws(' ', first_name, last_name)), ''), email, owner_id
            ) as full_name,
            email,
            case when owner_id in (select owner_key from deals)
                then 'AE' else 'OTHER' end as role,
            null as manager_id,
            coalesce(
                list_filter(
                    cast(cast(teams as json) as json[]),
                    lambda team: json_extract_string(team, '$.primary') = 'true'
                )[1],
                cast(cast(teams as json) as json[])[1]
            )->>'$.name' as team,
            null as segment,
            null as hired_on,
            case {bool_text("archived")} when 'true' then 'false' when 'false' then 'true'
            end as is_active
        from src_owners
        union all
        select distinct owner_key, owner_key, null, 'AE', null, null, null, null, null
        from deals
        where owner_key not in (select owner_id from src_owners where owner_id is not null)
        order by 1
    """
    no_owner = imp.count(f"select 1 from deals where owner_key = {quote_literal(UNKNOWN_OWNER)}")
    if no_owner:
        imp.note(f"{no_owner} deals without an owner go to {UNKNOWN_OWNER!r}.")
    missing_owners = imp.count(
        "select distinct owner_key from deals where owner_key <> "
        f"{quote_literal(UNKNOWN_OWNER)} and owner_key not in "
        "(select owner_id from src_owners where owner_id is not null)"
    )
    if missing_owners and hs.has_owners:
        imp.note(
            f"{missing_owners} deal owner ids are not in owners.json: a user (role AE) "
            "named by the id for each."
        )
    return sql


@BUILDERS.table("accounts")
def _accounts(imp: Importer, hs: _Export) -> str:
    """From companies.csv, else one per company id of the deals; plus the placeholder."""
    first_deal = f"""
        select
            {COMPANY} as account_id,
            min({timestamp_text("createdate")}) as first_at,
            null as deal_name
        from deals where {COMPANY} is not null group by 1
    """
    companies = None
    if hs.has_companies:
        companies = f"""
            select
                trim(hs_object_id) as account_id,
                name as account_name,
                nullif(trim(industry), '') as industry,
                nullif(trim(numberofemployees), '') as employee_count,
                nullif(trim(country), '') as country,
                null as segment,
                nullif(trim(hubspot_owner_id), '') as owner_id,
                coalesce({timestamp_text("createdate")}, first_deal.first_at) as created_at
            from src_companies
            left join first_deal on trim(src_companies.hs_object_id) = first_deal.account_id
        """
    sql = accounts_sql(
        hs.unknown_account,
        first_deal,
        companies,
        f"select {timestamp_text('createdate')} as created_at from deals where {COMPANY} is null",
        "select trim(hs_object_id) from src_companies"
        if hs.has_companies
        else f"select {COMPANY} from deals",
    )
    if not hs.has_companies:
        imp.note(
            "No companies.csv: one account per associatedcompanyid of the deals, name "
            f"{UNKNOWN_ACCOUNT_NAME!r}, created at its earliest deal's createdate."
        )
    return sql


@BUILDERS.table("activities")
def _activities(imp: Importer, hs: _Export) -> str | None:
    """Engagements."""
    sql = None
    if hs.has_engagements:
        sql = f"""
            select
                trim(id) as activity_id,
                nullif(trim(ownerId), '') as user_id,
                case upper(trim(type))
                    when 'CALL' then 'call'
                    when 'EMAIL' then 'email'
                    when 'INCOMING_EMAIL' then 'email'
                    when 'MEETING' then 'meeting'
                    else 'other'
                end as activity_type,
                {timestamp_text("timestamp")} as activity_at,
                case upper(trim(status))
                    when 'COMPLETED' then 'completed'
                    when 'NO_ANSWER' then 'no_answer'
                    when 'BUSY' then 'no_answer'
                end as outcome,
                try_cast(durationMilliseconds as double) / 60000 as duration_minutes,
                null as lead_id,
                null as contact_id,
                nullif(trim(companyId), '') as account_id,
                nullif(trim(dealId), '') as opportunity_id
            from src_engagements
            order by 1
        """
    return sql


@BUILDERS.table("contacts")
def _contacts(imp: Importer, hs: _Export) -> str | None:
    """contacts.csv (hubspot_objects.py)."""
    return contacts_sql(imp, hs.objects)


@BUILDERS.table("opportunity_contact_roles")
def _contact_roles(imp: Importer, hs: _Export) -> str | None:
    """deal_contact_associations.csv, for the deals of the pipeline (hubspot_objects.py)."""
    return contact_roles_sql(
        imp, hs.objects, "select trim(hs_object_id) as opportunity_id from deals"
    )


@BUILDERS.table("support_tickets")
def _tickets(imp: Importer, hs: _Export) -> str | None:
    """tickets.csv (hubspot_objects.py)."""
    return tickets_sql(imp, hs.objects)
