{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Deal history in the contract's full-state rows: one row per instant (to the millisecond)
    at which a deal's stage, amount or close date changed, each carrying all three as they
    stood then.
      - Stage changes: deal_stage, one row per stage a deal entered (at date_entered, else
        _fivetran_start).
      - Amount and close-date changes: deal_property_history rows named amount and closedate
        (value: the amount as text; the close date as epoch milliseconds or an ISO date), as
        Fivetran's dbt_hubspot_source reads that table. A change before the deal's first stage
        entry is its initial state: it counts at that first entry.
      - At each instant a property holds its latest value up to then; before its first
        recorded value it is null (HubSpot records a value when it is set). A deal with no
        recorded value of a property (or no deal_property_history table) carries the deal's
        current one on every row, as HubSpot's stage history alone would.
    changed_by: deal_stage's source_id (else source) of a stage change at that instant, else
    that of the property change. source_order: the instant in epoch milliseconds (text
    digits), which orders the changes of one deal within a second. A deal_stage row deleted in
    the source is not merged: it stays one row, rejected deleted_in_source.
-#}
{%- set history = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_stage'),
    required=['deal_id', 'value'],
    optional=['date_entered', 'source', 'source_id'],
) -%}
{%- set property = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_property_history'),
    required=['deal_id', 'name', 'timestamp', 'value'],
    optional=['source', 'source_id'],
    table_optional=true,
) -%}
{%- set text = dbt.type_string() -%}
{%- set entered_at = 'coalesce(' ~ crm_adapter_utc(history.date_entered) ~ ', '
    ~ crm_adapter_utc(history['_fivetran_start']) ~ ')' -%}

with

stage_entries as (
    select
        {{ crm_adapter_text(history.deal_id.sql) }} as opportunity_id,
        {{ entered_at }} as event_at,
        {{ crm_adapter_text(history.value.sql) }} as stage_id,
        {{ crm_adapter_coalesce_text([history.source_id.sql, history.source.sql]) }}
            as changed_by,
        {{ crm_adapter_deleted_reason(history, versions=true) }} as source_reject_reason
    from {{ source('fivetran_hubspot', 'deal_stage') }}
),

first_entries as (
    select
        opportunity_id,
        min(event_at) as first_event_at
    from stage_entries
    where source_reject_reason is null
    group by 1
),

-- one row per change: property is 'stage', 'amount' or 'close_date'
changes as (
    select
        opportunity_id,
        event_at,
        event_at as recorded_at,
        'stage' as property_name,
        stage_id as property_value,
        changed_by
    from stage_entries
    where source_reject_reason is null
{%- if property is not none %}
    {%- set value = crm_adapter_text(property.value.sql) %}
    union all
    select
        property_changes.opportunity_id,
        case
            when property_changes.event_at < first_entries.first_event_at
                then first_entries.first_event_at
            else property_changes.event_at
        end as event_at,
        property_changes.event_at as recorded_at,
        property_changes.property_name,
        property_changes.property_value,
        property_changes.changed_by
    from (
        select
            {{ crm_adapter_text(property.deal_id.sql) }} as opportunity_id,
            {{ crm_adapter_utc(property.timestamp) }} as event_at,
            case
                when lower({{ property.name.sql }}) = 'amount' then 'amount'
                else 'close_date'
            end as property_name,
            case
                when lower({{ property.name.sql }}) = 'amount' then {{ value }}
                when {{ crm_regex_full_match('trim(' ~ value ~ ')', '[0-9]+') }}
                    then {{ crm_adapter_epoch_ms_date(
                        'cast(trim(' ~ value ~ ') as bigint)'
                    ) }}
                else substr(trim({{ value }}), 1, 10)
            end as property_value,
            {{ crm_adapter_coalesce_text([property.source_id.sql, property.source.sql]) }}
                as changed_by
        from {{ source('fivetran_hubspot', 'deal_property_history') }}
        where lower({{ property.name.sql }}) in ('amount', 'closedate')
    ) as property_changes
    left join first_entries
        on property_changes.opportunity_id = first_entries.opportunity_id
{%- endif %}
),

-- the latest change of each property at each instant (several fold into a deal's first one)
latest_changes as (
    select
        *,
        row_number() over (
            partition by opportunity_id, event_at, property_name
            order by recorded_at desc, property_value desc
        ) as change_rank
    from changes
),

instants as (
    select
        opportunity_id,
        event_at,
        max(case when property_name = 'stage' then property_value end) as stage_id,
        max(case when property_name = 'amount' then property_value end) as amount,
        max(case when property_name = 'close_date' then property_value end) as close_date,
        max(case when property_name = 'amount' then 1 else 0 end) as has_amount,
        max(case when property_name = 'close_date' then 1 else 0 end) as has_close_date,
        max(case when property_name = 'stage' then changed_by end) as stage_changed_by,
        max(changed_by) as property_changed_by
    from latest_changes
    where change_rank = 1
    group by 1, 2
),

-- each property as it stood at each instant; `recorded_*`: whether the deal has any record
states as (
    select
        opportunity_id,
        event_at,
        {{ crm_carry_forward('stage_id', 'opportunity_id', 'event_at') }} as stage_id,
        {{ crm_carry_forward(
            'case when has_amount = 1 then coalesce(amount, \'\') end', 'opportunity_id', 'event_at'
        ) }} as amount,
        {{ crm_carry_forward(
            'case when has_close_date = 1 then coalesce(close_date, \'\') end',
            'opportunity_id',
            'event_at',
        ) }} as close_date,
        max(has_amount) over (partition by opportunity_id) as recorded_amount,
        max(has_close_date) over (partition by opportunity_id) as recorded_close_date,
        coalesce(stage_changed_by, property_changed_by) as changed_by
    from instants
),

-- stage_id, stage_name: the labels of the pipeline's stages
stage_labels as (
    {{ crm_hubspot_stage_labels() }}
),

deals as (
    select opportunity_id, amount, close_date
    from {{ ref('fivetran_hubspot__opportunities') }}
),

merged as (
    select
        states.opportunity_id,
        {{ crm_adapter_timestamp({'sql': 'states.event_at', 'type': 'timestamp'}) }} as changed_at,
        coalesce(stage_labels.stage_name, states.stage_id) as stage_name,
        case when states.recorded_amount = 1 then states.amount else deals.amount end as amount,
        case
            when states.recorded_close_date = 1 then states.close_date else deals.close_date
        end as close_date,
        states.changed_by,
        {{ crm_adapter_text(crm_adapter_epoch_ms('states.event_at')) }} as source_order,
        cast(null as {{ text }}) as source_reject_reason
    from states
    left join stage_labels
        on states.stage_id = stage_labels.stage_id
    left join deals
        on states.opportunity_id = deals.opportunity_id
),

-- deal_stage rows deleted in the source: read, and rejected
deleted_entries as (
    select
        stage_entries.opportunity_id,
        {{ crm_adapter_timestamp({'sql': 'stage_entries.event_at', 'type': 'timestamp'}) }}
            as changed_at,
        coalesce(stage_labels.stage_name, stage_entries.stage_id) as stage_name,
        deals.amount,
        deals.close_date,
        stage_entries.changed_by,
        {{ crm_adapter_text(crm_adapter_epoch_ms('stage_entries.event_at')) }} as source_order,
        stage_entries.source_reject_reason
    from stage_entries
    left join stage_labels
        on stage_entries.stage_id = stage_labels.stage_id
    left join deals
        on stage_entries.opportunity_id = deals.opportunity_id
    where stage_entries.source_reject_reason is not null
),

final as (
    select * from merged
    union all
    select * from deleted_entries
)

select * from final
