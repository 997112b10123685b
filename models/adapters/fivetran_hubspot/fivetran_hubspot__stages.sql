{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    The stages of the pipeline var hubspot_pipeline_id (default `default`, HubSpot's sales
    pipeline): stage_name the stage label, stage_order its rank by display_order, probability
    as HubSpot gives it (a fraction). HubSpot marks won stages (closed_won); a stage is closed
    when it is won or its probability is 0 (HubSpot's closed-lost convention), or when an
    `is_closed` column says so.
-#}
{%- set stage = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_pipeline_stage'),
    required=['stage_id', 'pipeline_id', 'label', 'closed_won'],
    optional=['display_order', 'probability', 'is_closed', '_fivetran_deleted'],
) -%}

with

stages as (
    select
        {{ crm_adapter_text(stage.label.sql) }} as stage_name,
        {{ crm_adapter_text(
            'row_number() over (order by ' ~ stage.display_order.sql ~ ', ' ~ stage.stage_id.sql ~ ')'
        ) }} as stage_order,
        {{ crm_adapter_text(stage.probability.sql) }} as default_probability,
        case
            when
                {{ crm_adapter_flag(stage.is_closed) }}
                or {{ crm_adapter_flag(stage.closed_won) }}
                or {{ stage.probability.sql }} = 0
                then 'true'
            else 'false'
        end as is_closed,
        case when {{ crm_adapter_flag(stage.closed_won) }} then 'true' else 'false' end as is_won,
        {{ crm_adapter_deleted_reason([stage['_fivetran_deleted']]) }} as source_reject_reason
    from {{ source('fivetran_hubspot', 'deal_pipeline_stage') }}
    where
        {{ crm_adapter_text(stage.pipeline_id.sql) }}
        = {{ crm_sql_string(var('hubspot_pipeline_id', 'default')) }}
)

select * from stages
