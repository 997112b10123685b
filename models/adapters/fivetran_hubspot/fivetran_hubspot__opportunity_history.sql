{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Stage history from deal_stage: one row per stage a deal entered (changed_at: date_entered,
    else _fivetran_start). HubSpot's stage history carries no amount or close date: every row
    takes the deal's current amount and close date, so amount changes and close-date pushes
    are not visible. changed_by: source_id (the user, for changes in the CRM), else source.
-#}
{%- set history = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_stage'),
    required=['deal_id', 'value'],
    optional=['date_entered', '_fivetran_start', 'source', 'source_id', '_fivetran_deleted'],
) -%}

with

history as (
    select
        {{ crm_adapter_text(history.deal_id.sql) }} as opportunity_id,
        coalesce(
            {{ crm_adapter_timestamp(history.date_entered) }},
            {{ crm_adapter_timestamp(history['_fivetran_start']) }}
        ) as changed_at,
        {{ crm_adapter_text(history.value.sql) }} as stage_id,
        {{ crm_adapter_text(
            'coalesce(' ~ history.source_id.sql ~ ', ' ~ history.source.sql ~ ')'
        ) }} as changed_by,
        {{ crm_adapter_deleted_reason([history['_fivetran_deleted']]) }} as source_reject_reason
    from {{ source('fivetran_hubspot', 'deal_stage') }}
),

-- stage_id, stage_name: the labels of the pipeline's stages
stage_labels as (
    {{ crm_hubspot_stage_labels() }}
),

deals as (
    select opportunity_id, amount, close_date
    from {{ ref('fivetran_hubspot__opportunities') }}
),

final as (
    select
        history.opportunity_id,
        history.changed_at,
        coalesce(stage_labels.stage_name, history.stage_id) as stage_name,
        deals.amount,
        deals.close_date,
        history.changed_by,
        history.source_reject_reason
    from history
    left join stage_labels
        on history.stage_id = stage_labels.stage_id
    left join deals
        on history.opportunity_id = deals.opportunity_id
)

select * from final
