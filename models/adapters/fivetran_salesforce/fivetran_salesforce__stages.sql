{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{#-
    Stages from opportunity_stage when synced (stage_name: api_name, else master_label; order:
    sort_order; probability: default_probability / 100). When the table is not synced, the
    stages are derived from the deals: every stage name of opportunity, closed / won when a
    deal in it is, probability the average of the deals' probability / 100, ordered open stages
    first by that probability, then closed ones.
-#}
{%- set stage = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity_stage'),
    required=['master_label', 'is_closed', 'is_won'],
    optional=['api_name', 'sort_order', 'default_probability', '_fivetran_deleted'],
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
            {{ crm_adapter_text(stage.default_probability.sql ~ ' / 100.0') }}
                as default_probability,
            {{ crm_adapter_text(stage.is_closed.sql) }} as is_closed,
            {{ crm_adapter_text(stage.is_won.sql) }} as is_won,
            {{ crm_adapter_deleted_reason([stage['_fivetran_deleted']]) }} as source_reject_reason
        from {{ source('fivetran_salesforce', 'opportunity_stage') }}
    )

    select * from stages

{%- else %}
{%- set opportunity = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity'),
    required=['stage_name'],
    optional=['is_closed', 'is_won', 'probability'],
) -%}

with

opportunities as (
    select
        {{ opportunity.stage_name.sql }} as stage_name,
        case when {{ crm_adapter_flag(opportunity.is_closed) }} then 1 else 0 end as closed_flag,
        case when {{ crm_adapter_flag(opportunity.is_won) }} then 1 else 0 end as won_flag,
        {{ opportunity.probability.sql }} as probability
    from {{ source('fivetran_salesforce', 'opportunity') }}
    where {{ opportunity.stage_name.sql }} is not null
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
