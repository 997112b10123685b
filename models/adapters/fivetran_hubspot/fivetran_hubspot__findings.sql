{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Findings of the HubSpot adapter, which dq_findings reports with the contract's own (macro
    crm_adapter_findings): stages.default_probability out_of_range, a deal_pipeline_stage
    probability of the pipeline outside 0-1 (the stage's default is null);
    accounts.created_at derived_from_deals, a company without property_createdate created at
    its earliest deal's (raw_value: that date).
-#}
{%- set stage = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_pipeline_stage'),
    required=['stage_id', 'pipeline_id', 'label'],
    optional=['probability'],
) -%}
{%- set text = dbt.type_string() -%}

with

probability_findings as (
    select
        cast('stages' as {{ text }}) as table_name,
        {{ crm_adapter_text(stage.label.sql) }} as row_key,
        cast('default_probability' as {{ text }}) as column_name,
        cast('out_of_range' as {{ text }}) as finding,
        {{ crm_adapter_text(stage.probability.sql) }} as raw_value
    from {{ crm_adapter_records(source('fivetran_hubspot', 'deal_pipeline_stage'), stage, 'stage_id') }}
    where
        {{ crm_adapter_text(stage.pipeline_id.sql) }}
        = {{ crm_sql_string(var('hubspot_pipeline_id', 'default')) }}
        and {{ crm_adapter_deleted_reason(stage) }} is null
        and {{ stage.probability.sql }} is not null
        and {{ crm_adapter_in_range(stage.probability.sql, 0, 1) }} is null
),

account_findings as (
    select
        cast('accounts' as {{ text }}) as table_name,
        account_id as row_key,
        cast('created_at' as {{ text }}) as column_name,
        cast('derived_from_deals' as {{ text }}) as finding,
        created_at as raw_value
    from {{ ref('fivetran_hubspot__accounts') }}
    where is_created_at_derived and source_reject_reason is null
),

final as (
    select * from probability_findings
    union all
    select * from account_findings
)

select * from final
