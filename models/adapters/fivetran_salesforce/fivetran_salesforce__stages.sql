{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{#-
    Stages from opportunity_stage when synced, as it is (stage_name: api_name, else
    master_label; order: sort_order; probability: default_probability / 100, null when outside
    0-100, which fivetran_salesforce__findings reports). When the table is not synced, the
    stages are derived from the deals the adapter reads (one per record, none deleted: macro
    crm_adapter_records): every stage name of opportunity, closed / won when a deal in it is,
    probability the mean of the deals' probability / 100 over the probabilities within 0-100
    (one outside is a finding and feeds nothing; null when none is left), ordered open stages
    first by that probability, then closed ones.
-#}
{%- set stage = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity_stage'),
    required=['id', 'master_label', 'is_closed', 'is_won'],
    optional=['api_name', 'sort_order', 'default_probability'],
    table_optional=true,
) -%}

{%- if stage is not none %}

    with

    stages as (
        select
            {{ crm_adapter_text(
                'coalesce(' ~ stage.api_name.sql ~ ', ' ~ stage.master_label.sql ~ ')'
            ) }}
                as stage_name,
            {{ crm_adapter_text(stage.sort_order.sql) }} as stage_order,
            {{ crm_adapter_text(
                crm_adapter_in_range(stage.default_probability.sql, 0, 100) ~ ' / 100.0'
            ) }}
                as default_probability,
            {{ crm_adapter_text(stage.is_closed.sql) }} as is_closed,
            {{ crm_adapter_text(stage.is_won.sql) }} as is_won,
            {{ crm_adapter_deleted_reason(stage) }} as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'opportunity_stage'), stage, 'id') }}
    )

    select * from stages

{%- else %}
{%- set opportunity = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity'),
    required=['id', 'stage_name'],
    optional=['is_closed', 'is_won', 'probability'],
) -%}

with

opportunities as (
    select
        {{ opportunity.stage_name.sql }} as stage_name,
        case when {{ crm_adapter_flag(opportunity.is_closed) }} then 1 else 0 end as closed_flag,
        case when {{ crm_adapter_flag(opportunity.is_won) }} then 1 else 0 end as won_flag,
        {{ crm_adapter_in_range(opportunity.probability.sql, 0, 100) }} as probability
    from {{ crm_adapter_records(source('fivetran_salesforce', 'opportunity'), opportunity, 'id') }}
    where
        {{ opportunity.stage_name.sql }} is not null
        and {{ crm_adapter_deleted_reason(opportunity) }} is null
),

stage_facts as (
    select
        stage_name,
        max(closed_flag) as closed_flag,
        max(won_flag) as won_flag,
        avg(probability) / 100.0 as default_probability
    from opportunities
    group by 1
),

stages as (
    select
        {{ crm_adapter_text('stage_name') }} as stage_name,
        {{ crm_adapter_text(
            'row_number() over (order by closed_flag, won_flag desc, default_probability, stage_name)'
        ) }} as stage_order,
        {{ crm_adapter_text('default_probability') }} as default_probability,
        case when closed_flag = 1 then 'true' else 'false' end as is_closed,
        case when won_flag = 1 then 'true' else 'false' end as is_won,
        cast(null as {{ dbt.type_string() }}) as source_reject_reason
    from stage_facts
)

select * from stages

{%- endif %}
