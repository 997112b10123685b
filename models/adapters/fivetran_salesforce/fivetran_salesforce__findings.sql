{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{#-
    Findings of the Salesforce adapter, which dq_findings reports with the contract's own
    (macro crm_adapter_findings): values the adapter left out of what it derives, or derived.
      - stages.default_probability out_of_range: opportunity_stage's default_probability
        outside 0-100 (the stage's default is null);
      - opportunities.probability out_of_range: without opportunity_stage, a deal's probability
        outside 0-100, left out of its stage's default (only deals that feed it: not deleted);
      - accounts.created_at derived_from_deals: an account without created_date, created at
        its earliest deal's created_date (raw_value: that date).
-#}
{%- set stage = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity_stage'),
    required=['id', 'master_label'],
    optional=['api_name', 'default_probability'],
    table_optional=true,
) -%}
{%- set opportunity = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity'),
    required=['id', 'stage_name'],
    optional=['probability'],
) -%}
{%- set text = dbt.type_string() -%}

with

{%- if stage is not none %}

    probability_findings as (
        select
            'stages' as table_name,
            {{ crm_adapter_text(
                'coalesce(' ~ stage.api_name.sql ~ ', ' ~ stage.master_label.sql ~ ')'
            ) }} as row_key,
            'default_probability' as column_name,
            'out_of_range' as finding,
            {{ crm_adapter_text(stage.default_probability.sql) }} as raw_value
        from {{ crm_adapter_records(source('fivetran_salesforce', 'opportunity_stage'), stage, 'id') }}
        where
            {{ crm_adapter_deleted_reason(stage) }} is null
            and {{ stage.default_probability.sql }} is not null
            and {{ crm_adapter_in_range(stage.default_probability.sql, 0, 100) }} is null
    ),
{%- else %}

probability_findings as (
    select
        'opportunities' as table_name,
        {{ crm_adapter_text(opportunity.id.sql) }} as row_key,
        'probability' as column_name,
        'out_of_range' as finding,
        {{ crm_adapter_text(opportunity.probability.sql) }} as raw_value
    from {{ crm_adapter_records(source('fivetran_salesforce', 'opportunity'), opportunity, 'id') }}
    where
        {{ crm_adapter_deleted_reason(opportunity) }} is null
        and {{ opportunity.stage_name.sql }} is not null
        and {{ opportunity.probability.sql }} is not null
        and {{ crm_adapter_in_range(opportunity.probability.sql, 0, 100) }} is null
),
{%- endif %}

account_findings as (
    select
        'accounts' as table_name,
        account_id as row_key,
        'created_at' as column_name,
        'derived_from_deals' as finding,
        created_at as raw_value
    from {{ ref('fivetran_salesforce__accounts') }}
    where is_created_at_derived and source_reject_reason is null
),

final as (
    select
        cast(table_name as {{ text }}) as table_name,
        cast(row_key as {{ text }}) as row_key,
        cast(column_name as {{ text }}) as column_name,
        cast(finding as {{ text }}) as finding,
        cast(raw_value as {{ text }}) as raw_value
    from probability_findings
    union all
    select
        cast(table_name as {{ text }}) as table_name,
        cast(row_key as {{ text }}) as row_key,
        cast(column_name as {{ text }}) as column_name,
        cast(finding as {{ text }}) as finding,
        cast(raw_value as {{ text }}) as raw_value
    from account_findings
)

select * from final
