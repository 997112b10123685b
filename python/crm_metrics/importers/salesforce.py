"""Import a Salesforce export (one `<Object>.csv` per object, Salesforce's API field names, as
written by Data Loader, the weekly Data Export or the Bulk API) into the raw contract.

Objects read from the folder: Opportunity, Account, User (required); OpportunityHistory,
OpportunityStage, Lead, Task, Event, OpportunityLineItem, Product2 (optional). Rows with
`IsDeleted` true are skipped (counted in the notes).

Rules:

- Stages: from OpportunityStage when present: stage_name = `ApiName` (the value stored in
  `StageName`; `MasterLabel` when the export has no ApiName), open stages first then closed ones,
  each by `SortOrder`; `IsClosed`, `IsWon`; `DefaultProbability` 0-100 becomes 0-1. Without
  it, the stages are the distinct `StageName` values of Opportunity and OpportunityHistory: a
  stage is closed / won when the opportunities currently in it say so (`IsClosed` / `IsWon`),
  a stage seen only in history is open; open stages are ordered by their mean history
  `Probability`, then won, then lost. The inference is written to import_notes.md.
- History: OpportunityHistory rows (`CreatedDate` = changed_at, `StageName`, `Amount`,
  `CloseDate`, `CreatedById`). Salesforce writes one on creation, so the first row is the
  creation; without the file, staging gives each deal one row at its created date.
- Users: role MANAGER when a user is another user's `ManagerId`, else AE when the user owns an
  opportunity, else SDR when the user owns a lead, else OTHER; team = `Department`.
- Opportunity `Type`: "New Business"/"New Customer" -> new_business, "Existing Business" and
  upgrades -> expansion, anything with "Renewal" -> renewal; other values are left for staging
  (a finding). Salesforce has no standard loss-reason field: loss_reason stays empty.
- Activities: Task (`TaskSubtype`, else `Type`: call, email/list email, meeting, demo, else
  other; at `CompletedDateTime`, else `ActivityDate`, else `CreatedDate`; duration
  `CallDurationInSeconds` / 60; outcome completed when `Status` = Completed) and Event
  (meeting, or demo when its `Type` says so; at `StartDateTime`; `DurationInMinutes`).
  `WhatId` links an opportunity (id prefix 006) or account (001), `WhoId` a lead (00Q) or
  contact (003).
- Leads: `ConvertedDate` is the conversion time when `IsConverted`; Salesforce keeps no MQL/SQL
  or disqualification timestamps, so those stay empty.
"""

from __future__ import annotations

from pathlib import Path

from crm_metrics.errors import CrmMetricsError
from crm_metrics.importers.common import (
    Importer,
    ImportResult,
    bool_text,
    date_text,
    timestamp_text,
)

OBJECTS: dict[str, tuple[list[str], list[str]]] = {
    # object: (required columns, optional columns)
    "Opportunity": (
        ["Id", "AccountId", "OwnerId", "StageName", "CloseDate", "CreatedDate"],
        [
            "Name",
            "Type",
            "LeadSource",
            "Amount",
            "CurrencyIsoCode",
            "IsClosed",
            "IsWon",
            "IsDeleted",
        ],
    ),
    "Account": (
        ["Id", "Name", "CreatedDate"],
        ["Industry", "NumberOfEmployees", "BillingCountry", "OwnerId", "IsDeleted"],
    ),
    "User": (
        ["Id"],
        [
            "Name",
            "FirstName",
            "LastName",
            "Email",
            "ManagerId",
            "Department",
            "IsActive",
            "CreatedDate",
            "IsDeleted",
        ],
    ),
    "OpportunityHistory": (
        ["OpportunityId", "CreatedDate", "StageName"],
        ["Amount", "CloseDate", "CreatedById", "Probability", "IsDeleted"],
    ),
    "OpportunityStage": (
        ["MasterLabel", "SortOrder", "IsClosed", "IsWon"],
        ["ApiName", "DefaultProbability", "IsActive"],
    ),
    "Lead": (
        ["Id", "CreatedDate"],
        [
            "LeadSource",
            "OwnerId",
            "Status",
            "IsConverted",
            "ConvertedDate",
            "ConvertedOpportunityId",
            "ConvertedAccountId",
            "IsDeleted",
        ],
    ),
    "Task": (
        ["Id", "OwnerId"],
        [
            "TaskSubtype",
            "Type",
            "Status",
            "ActivityDate",
            "CompletedDateTime",
            "CreatedDate",
            "CallDurationInSeconds",
            "WhoId",
            "WhatId",
            "AccountId",
            "IsDeleted",
        ],
    ),
    "Event": (
        ["Id", "OwnerId", "StartDateTime"],
        ["Type", "DurationInMinutes", "WhoId", "WhatId", "AccountId", "IsDeleted"],
    ),
    "OpportunityLineItem": (
        ["Id", "OpportunityId", "Product2Id"],
        ["Quantity", "UnitPrice", "IsDeleted"],
    ),
    "Product2": (["Id", "Name"], ["Family", "IsDeleted"]),
}
REQUIRED_OBJECTS = ("Opportunity", "Account", "User")


def _live(obj: str) -> str:
    """SQL: the object's rows that are not deleted."""
    return f"(select * from src_{obj} where coalesce({bool_text('IsDeleted')}, 'false') = 'false')"


def import_salesforce(source: Path, out_dir: Path) -> ImportResult:
    """Map the Salesforce export folder `source` into `<table>.csv` files of the raw contract."""
    if not source.is_dir():
        raise CrmMetricsError(f"salesforce import: {source} is not a folder of <Object>.csv files")
    with Importer("salesforce", out_dir) as imp:
        present = {}
        for obj, (required, optional) in OBJECTS.items():
            path = source / f"{obj}.csv"
            if obj in REQUIRED_OBJECTS and not path.is_file():
                raise CrmMetricsError(f"salesforce import: {path} not found ({obj} is required)")
            present[obj] = imp.read_optional(obj, path, required, optional)
        if not present["OpportunityHistory"]:
            imp.note("No OpportunityHistory.csv: each deal gets one history row at CreatedDate.")
        deleted = {
            obj: imp.count(f"select 1 from src_{obj} where {bool_text('IsDeleted')} = 'true'")
            for obj, (_, optional) in OBJECTS.items()
            if "IsDeleted" in optional
        }
        for obj, rows in deleted.items():
            if rows:
                imp.note(f"{rows} deleted {obj} rows (IsDeleted) skipped.")

        tables: dict[str, str] = {}
        # Stages --------------------------------------------------------------------------
        if present["OpportunityStage"]:
            tables["stages"] = f"""
                with stage_rows as (
                    select
                        coalesce(nullif(trim(ApiName), ''), trim(MasterLabel)) as stage_name,
                        try_cast(SortOrder as double) as sort_order,
                        {bool_text("IsClosed")} as is_closed,
                        {bool_text("IsWon")} as is_won,
                        try_cast(DefaultProbability as double) / 100 as default_probability
                    from src_OpportunityStage
                )
                select
                    stage_name,
                    row_number() over (order by is_closed = 'true', sort_order, stage_name)
                        as stage_order,
                    default_probability,
                    is_closed,
                    is_won
                from stage_rows
                order by stage_order
            """
            imp.note("Stages from OpportunityStage: open stages first, then closed, by SortOrder.")
        else:
            tables["stages"] = f"""
                with named as (
                    select trim(StageName) as stage_name, null as probability,
                        {bool_text("IsClosed")} as is_closed, {bool_text("IsWon")} as is_won
                    from {_live("Opportunity")}
                    union all
                    select trim(StageName), try_cast(Probability as double), null, null
                    from {_live("OpportunityHistory")}
                ),
                inferred as (
                    select
                        stage_name,
                        coalesce(bool_or(is_closed = 'true'), false) as is_closed,
                        coalesce(bool_or(is_won = 'true'), false) as is_won,
                        avg(probability) / 100 as default_probability
                    from named
                    where stage_name is not null and stage_name <> ''
                    group by stage_name
                )
                select
                    stage_name,
                    row_number() over (
                        order by is_closed, not is_won, default_probability nulls last, stage_name
                    ) as stage_order,
                    default_probability,
                    is_closed,
                    is_won or false as is_won
                from inferred
                order by stage_order
            """
            imp.connection.execute(f"create temp table inferred_stages as {tables['stages']}")
            rows = imp.connection.execute(
                "select stage_name, is_closed, is_won from inferred_stages order by stage_order"
            ).fetchall()
            described = ", ".join(
                f"{name} ({'won' if won else 'lost' if closed else 'open'})"
                for name, closed, won in rows
            )
            imp.note(
                "No OpportunityStage.csv: stages inferred from StageName values, closed/won from "
                "the IsClosed/IsWon flags of the opportunities in each stage (history-only "
                "stages open), open stages ordered by mean history Probability: " + described + "."
            )

        # Opportunities and history ----------------------------------------------------------
        tables["opportunities"] = f"""
            select
                trim(Id) as opportunity_id,
                nullif(trim(AccountId), '') as account_id,
                nullif(trim(OwnerId), '') as owner_id,
                null as presales_owner_id,
                Name as opportunity_name,
                case
                    when lower(Type) like '%renewal%' then 'renewal'
                    when lower(Type) in ('new business', 'new customer') then 'new_business'
                    when lower(Type) like 'existing%' or lower(Type) like '%upgrade%'
                        or lower(Type) like '%upsell%' then 'expansion'
                    else nullif(trim(Type), '')
                end as opportunity_type,
                nullif(trim(LeadSource), '') as lead_source,
                {timestamp_text("CreatedDate")} as created_at,
                {date_text("CloseDate")} as close_date,
                nullif(trim(Amount), '') as amount,
                nullif(trim(CurrencyIsoCode), '') as currency_code,
                trim(StageName) as stage_name,
                {bool_text("IsClosed")} as is_closed,
                {bool_text("IsWon")} as is_won,
                null as loss_reason,
                null as closed_at
            from {_live("Opportunity")}
            order by 1
        """
        tables["opportunity_history"] = f"""
            select
                trim(OpportunityId) as opportunity_id,
                {timestamp_text("CreatedDate")} as changed_at,
                trim(StageName) as stage_name,
                nullif(trim(Amount), '') as amount,
                {date_text("CloseDate")} as close_date,
                nullif(trim(CreatedById), '') as changed_by
            from {_live("OpportunityHistory")}
            order by 1, 2
        """
        imp.unmapped(
            "opportunities without an AccountId (rejected by staging)",
            f"select 1 from {_live('Opportunity')} where nullif(trim(AccountId), '') is null",
        )

        # Users and accounts -----------------------------------------------------------------
        tables["users"] = f"""
            select
                trim(Id) as user_id,
                coalesce(
                    nullif(trim(Name), ''),
                    nullif(trim(concat_ws(' ', FirstName, LastName)), '')
                ) as full_name,
                Email as email,
                case
                    when trim(Id) in (select trim(ManagerId) from src_User) then 'MANAGER'
                    when trim(Id) in (select trim(OwnerId) from src_Opportunity) then 'AE'
                    when trim(Id) in (select trim(OwnerId) from src_Lead) then 'SDR'
                    else 'OTHER'
                end as role,
                nullif(trim(ManagerId), '') as manager_id,
                nullif(trim(Department), '') as team,
                null as segment,
                {date_text("CreatedDate")} as hired_on,
                {bool_text("IsActive")} as is_active
            from src_User
            order by 1
        """
        imp.note(
            "User roles: MANAGER if someone's ManagerId, else AE if owning an opportunity, else "
            "SDR if owning a lead, else OTHER; hired_on = the user's CreatedDate."
        )
        tables["accounts"] = f"""
            select
                trim(Id) as account_id,
                Name as account_name,
                nullif(trim(Industry), '') as industry,
                nullif(trim(NumberOfEmployees), '') as employee_count,
                nullif(trim(BillingCountry), '') as country,
                null as segment,
                nullif(trim(OwnerId), '') as owner_id,
                {timestamp_text("CreatedDate")} as created_at
            from {_live("Account")}
            order by 1
        """

        # Optional objects -------------------------------------------------------------------
        if present["Lead"]:
            tables["leads"] = f"""
                select
                    trim(Id) as lead_id,
                    {timestamp_text("CreatedDate")} as created_at,
                    nullif(trim(LeadSource), '') as lead_source,
                    nullif(trim(OwnerId), '') as owner_id,
                    nullif(trim(Status), '') as status,
                    null as mql_at,
                    null as sql_at,
                    case when {bool_text("IsConverted")} = 'true'
                        then {timestamp_text("ConvertedDate")} end as converted_at,
                    nullif(trim(ConvertedOpportunityId), '') as converted_opportunity_id,
                    nullif(trim(ConvertedAccountId), '') as converted_account_id,
                    null as disqualified_at,
                    null as disqualify_reason
                from {_live("Lead")}
                order by 1
            """
            imp.unmapped(
                "leads without a LeadSource (rejected by staging)",
                f"select 1 from {_live('Lead')} where nullif(trim(LeadSource), '') is null",
            )
        if present["Task"] or present["Event"]:
            tables["activities"] = f"""
                with tasks as (
                    select
                        trim(Id) as activity_id,
                        nullif(trim(OwnerId), '') as user_id,
                        case lower(coalesce(nullif(trim(TaskSubtype), ''), trim(Type)))
                            when 'call' then 'call'
                            when 'email' then 'email'
                            when 'listemail' then 'email'
                            when 'meeting' then 'meeting'
                            when 'demo' then 'demo'
                            else 'other'
                        end as activity_type,
                        coalesce(
                            nullif(trim(CompletedDateTime), ''),
                            nullif(trim(ActivityDate), ''),
                            CreatedDate
                        ) as activity_raw,
                        case when lower(trim(Status)) = 'completed' then 'completed' end
                            as outcome,
                        try_cast(CallDurationInSeconds as double) / 60 as duration_minutes,
                        WhoId as who_id,
                        WhatId as what_id,
                        AccountId as account_id
                    from {_live("Task")}
                ),
                events as (
                    select
                        trim(Id),
                        nullif(trim(OwnerId), ''),
                        case when lower(Type) like '%demo%' then 'demo' else 'meeting' end,
                        StartDateTime,
                        null,
                        try_cast(DurationInMinutes as double),
                        WhoId,
                        WhatId,
                        AccountId
                    from {_live("Event")}
                ),
                both_kinds as (
                    select * from tasks
                    union all
                    select * from events
                )
                select
                    activity_id,
                    user_id,
                    activity_type,
                    {timestamp_text("activity_raw")} as activity_at,
                    outcome,
                    duration_minutes,
                    case when who_id like '00Q%' then who_id end as lead_id,
                    case when who_id like '003%' then who_id end as contact_id,
                    coalesce(
                        nullif(trim(account_id), ''),
                        case when what_id like '001%' then what_id end
                    ) as account_id,
                    case when what_id like '006%' then what_id end as opportunity_id
                from both_kinds
                order by 1
            """
        if present["Product2"]:
            tables["products"] = f"""
                select
                    trim(Id) as product_id,
                    Name as product_name,
                    nullif(trim(Family), '') as product_family,
                    null as list_price
                from {_live("Product2")}
                order by 1
            """
        if present["OpportunityLineItem"]:
            if not present["Product2"]:
                imp.note("OpportunityLineItem.csv without Product2.csv: line items skipped.")
            else:
                tables["opportunity_line_items"] = f"""
                    select
                        trim(Id) as line_item_id,
                        trim(OpportunityId) as opportunity_id,
                        trim(Product2Id) as product_id,
                        nullif(trim(Quantity), '') as quantity,
                        nullif(trim(UnitPrice), '') as unit_price
                    from {_live("OpportunityLineItem")}
                    order by 1
                """
        return imp.write(tables)
