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
{#- the pipeline must exist: a misspelt id would reject every deal as other_pipeline #}
{%- set pipeline = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_pipeline'),
    required=['pipeline_id'],
    optional=['label'],
    table_optional=true,
) -%}
{%- if execute and pipeline is not none -%}
    {%- set pipelines = run_query(
        'select ' ~ crm_adapter_text(pipeline.pipeline_id.sql) ~ ', '
        ~ crm_adapter_text(pipeline.label.sql) ~ ' from '
        ~ source('fivetran_hubspot', 'deal_pipeline')
    ) -%}
    {%- if var('hubspot_pipeline_id', 'default') | string not in pipelines.columns[0].values() -%}
        {%- set listed = [] -%}
        {%- for row in pipelines.rows -%}
            {%- do listed.append(row[0] ~ ' (' ~ row[1] ~ ')') -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "var hubspot_pipeline_id " ~ (var('hubspot_pipeline_id', 'default') | string | tojson)
            ~ " is not a pipeline of " ~ source('fivetran_hubspot', 'deal_pipeline')
            ~ "; its pipelines: " ~ (listed | join(', ') or 'none') ~ "."
        ) }}
    {%- endif -%}
{%- endif -%}

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
