{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{#-
    Stage history, from what var salesforce_stage_history names:
      - opportunity_history: Salesforce's OpportunityHistory object (one row per change);
      - history_mode: Fivetran history mode's opportunity table (one row per version);
        consecutive versions that change none of stage, amount and close date collapse into
        the first of them. A deal's first version is dated at its created_date.
-#}
{%- set mode = var('salesforce_stage_history', 'opportunity_history') -%}
{%- if mode not in ('opportunity_history', 'history_mode') -%}
    {{ exceptions.raise_compiler_error(
        "var salesforce_stage_history must be opportunity_history or history_mode, got "
        ~ (mode | string | tojson) ~ "."
    ) }}
{%- endif -%}

{%- if mode == 'opportunity_history' %}
{%- set history = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity_history'),
    required=['id', 'opportunity_id', 'created_date', 'stage_name'],
    optional=['amount', 'close_date', 'created_by_id'],
    hint="set var salesforce_stage_history: history_mode to read the stage history from Fivetran "
    ~ "history mode's opportunity versions",
) -%}

    with

    history as (
        select
            {{ crm_adapter_text(history.opportunity_id.sql) }} as opportunity_id,
            {{ crm_adapter_timestamp(history.created_date) }} as changed_at,
            {{ crm_adapter_text(history.stage_name.sql) }} as stage_name,
            {{ crm_adapter_text(history.amount.sql) }} as amount,
            {{ crm_adapter_text(history.close_date.sql) }} as close_date,
            {{ crm_adapter_text(history.created_by_id.sql) }} as changed_by,
            {#- OpportunityHistory's Id orders the rows of one deal and second #}
            {{ crm_adapter_text(history.id.sql) }} as source_order,
            {{ crm_adapter_deleted_reason(history) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'opportunity_history'), history, 'id') }}
    )

    select * from history

{%- else %}
{%- set version = crm_adapter_columns(
    source('fivetran_salesforce_history', 'opportunity'),
    required=['id', 'created_date', 'stage_name', '_fivetran_start'],
    hint="set var source_history_schema to the schema of the history-mode tables",
    optional=[
        'amount', 'close_date', 'last_modified_by_id',
    ],
) -%}

with

versions as (
    select
        {{ version.id.sql }} as opportunity_id,
        {{ crm_adapter_utc(version['_fivetran_start']) }} as version_start,
        {{ crm_adapter_timestamp(version['_fivetran_start']) }} as version_start_text,
        {{ crm_adapter_timestamp(version.created_date) }} as created_at_text,
        {{ version.stage_name.sql }} as stage_name,
        {{ version.amount.sql }} as amount,
        {{ version.close_date.sql }} as close_date,
        {{ version.last_modified_by_id.sql }} as changed_by,
        {{ crm_adapter_deleted_reason(version, versions=true) }}
            as source_reject_reason
    from {{ source('fivetran_salesforce_history', 'opportunity') }}
),

compared as (
    select
        *,
        row_number() over (
            partition by opportunity_id order by version_start
        ) as version_number,
        lag(stage_name) over (
            partition by opportunity_id order by version_start
        ) as previous_stage_name,
        lag(amount) over (
            partition by opportunity_id order by version_start
        ) as previous_amount,
        lag(close_date) over (
            partition by opportunity_id order by version_start
        ) as previous_close_date
    from versions
),

changes as (
    select
        {{ crm_adapter_text('opportunity_id') }} as opportunity_id,
        case
            when version_number = 1 then coalesce(created_at_text, version_start_text)
            else version_start_text
        end as changed_at,
        {{ crm_adapter_text('stage_name') }} as stage_name,
        {{ crm_adapter_text('amount') }} as amount,
        {{ crm_adapter_text('close_date') }} as close_date,
        {{ crm_adapter_text('changed_by') }} as changed_by,
        {{ crm_adapter_text(crm_adapter_epoch_ms('version_start')) }} as source_order,
        source_reject_reason
    from compared
    where
        version_number = 1
        or stage_name is distinct from previous_stage_name
        or amount is distinct from previous_amount
        or close_date is distinct from previous_close_date
)

select * from changes

{%- endif %}
