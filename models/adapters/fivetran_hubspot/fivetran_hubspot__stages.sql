{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    The stages of the pipeline var hubspot_pipeline_id (default `default`, HubSpot's sales
    pipeline): stage_name the stage label, stage_order its rank by display_order, probability
    as HubSpot gives it (a fraction; null when outside 0-1, which fivetran_hubspot__findings
    reports). HubSpot marks won stages (closed_won); a stage is closed when it is won or its
    probability is 0 (HubSpot's closed-lost convention), or when an `is_closed` column says so.
-#}
{%- set stage = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_pipeline_stage'),
    required=['stage_id', 'pipeline_id', 'label', 'closed_won'],
    optional=['display_order', 'probability', 'is_closed'],
) -%}
{#- the pipeline must exist: a misspelt id would reject every deal as other_pipeline #}
{%- set pipeline = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_pipeline'),
    required=['pipeline_id'],
    optional=['label'],
    table_optional=true,
) -%}
{%- if execute -%}
    {#- the pipelines of deal_pipeline, else the pipeline ids of the stages #}
    {%- set listed_from = source('fivetran_hubspot', 'deal_pipeline') if pipeline is not none
        else source('fivetran_hubspot', 'deal_pipeline_stage') -%}
    {%- set pipelines = run_query(
        'select distinct ' ~ crm_adapter_text((pipeline or stage).pipeline_id.sql) ~ ', '
        ~ crm_adapter_text(pipeline.label.sql if pipeline is not none else 'null')
        ~ ' from ' ~ listed_from
    ) -%}
    {%- if var('hubspot_pipeline_id', 'default') | string not in pipelines.columns[0].values() -%}
        {%- set listed = [] -%}
        {%- for row in pipelines.rows -%}
            {%- do listed.append(row[0] ~ (' (' ~ row[1] ~ ')' if row[1] is not none else '')) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "Source adapter fivetran_hubspot: var hubspot_pipeline_id "
            ~ (var('hubspot_pipeline_id', 'default') | string | tojson)
            ~ " is not a pipeline of " ~ listed_from ~ " (the stages are read from "
            ~ source('fivetran_hubspot', 'deal_pipeline_stage')
            ~ "); its pipelines: " ~ (listed | sort | join(', ') or 'none')
            ~ ". Set var hubspot_pipeline_id to one of them."
        ) }}
    {%- endif -%}
    {#- a pipeline of deal_pipeline without a stage in deal_pipeline_stage: no stages to read #}
    {%- set staged = run_query(
        'select count(*) from ' ~ source('fivetran_hubspot', 'deal_pipeline_stage') ~ ' where '
        ~ crm_adapter_text(stage.pipeline_id.sql) ~ ' = '
        ~ crm_sql_string(var('hubspot_pipeline_id', 'default'))
    ) -%}
    {%- if staged.columns[0].values()[0] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Source adapter fivetran_hubspot: the pipeline of var hubspot_pipeline_id "
            ~ (var('hubspot_pipeline_id', 'default') | string | tojson) ~ " has no stage in "
            ~ source('fivetran_hubspot', 'deal_pipeline_stage')
            ~ ". Check that table's sync, or set var hubspot_pipeline_id to a pipeline with stages."
        ) }}
    {%- endif -%}
{%- endif -%}
{%- set probability = crm_adapter_in_range(stage.probability.sql, 0, 1) -%}

with

stages as (
    select
        {{ crm_adapter_text(stage.label.sql) }} as stage_name,
        {{ crm_adapter_text(
            'row_number() over (order by ' ~ stage.display_order.sql ~ ', ' ~ stage.stage_id.sql ~ ')'
        ) }} as stage_order,
        {{ crm_adapter_text(probability) }} as default_probability,
        case
            when
                {{ crm_adapter_flag(stage.is_closed) }}
                or {{ crm_adapter_flag(stage.closed_won) }}
                or {{ probability }} = 0
                then 'true'
            else 'false'
        end as is_closed,
        case when {{ crm_adapter_flag(stage.closed_won) }} then 'true' else 'false' end as is_won,
        {{ crm_adapter_deleted_reason(stage) }} as source_reject_reason
    from {{ crm_adapter_records(source('fivetran_hubspot', 'deal_pipeline_stage'), stage, 'stage_id') }}
    where
        {{ crm_adapter_text(stage.pipeline_id.sql) }}
        = {{ crm_sql_string(var('hubspot_pipeline_id', 'default')) }}
)

select * from stages
