{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Deals. account_id: the deal's primary company (deal_company type_id 5), else its lowest
    company id; stage_name: the label of deal_pipeline_stage_id; is_closed / is_won come from
    the stage (fivetran_hubspot__stages). Deals of another pipeline than var
    hubspot_pipeline_id are rejected with other_pipeline (their stages are not in `stages`).
-#}
{%- set deal = crm_adapter_columns(
    source('fivetran_hubspot', 'deal'),
    required=['deal_id', 'deal_pipeline_id', 'deal_pipeline_stage_id'],
    optional=[
        'owner_id', 'property_hubspot_owner_id', 'property_dealname', 'property_dealtype',
        'property_hs_analytics_source', 'property_createdate', 'property_closedate',
        'property_amount', 'property_deal_currency_code', 'property_closed_lost_reason',
    ],
) -%}
{%- set association = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_company'),
    required=['deal_id', 'company_id'],
    optional=['type_id'],
) -%}
{%- set pipeline_id = crm_sql_string(var('hubspot_pipeline_id', 'default')) -%}

with

deals as (
    select
        {{ crm_adapter_text(deal.deal_id.sql) }} as opportunity_id,
        {{ crm_adapter_text(deal.deal_pipeline_id.sql) }} as pipeline_id,
        {{ crm_adapter_text(deal.deal_pipeline_stage_id.sql) }} as stage_id,
        {{ crm_adapter_coalesce_text([deal.property_hubspot_owner_id.sql, deal.owner_id.sql]) }}
            as owner_id,
        {{ crm_adapter_text(deal.property_dealname.sql) }} as opportunity_name,
        lower({{ crm_adapter_text(deal.property_dealtype.sql) }}) as deal_type,
        {{ crm_adapter_text(deal.property_hs_analytics_source.sql) }} as lead_source,
        {{ crm_adapter_timestamp(deal.property_createdate) }} as created_at,
        {{ crm_adapter_timestamp(deal.property_closedate) }} as close_date,
        {{ crm_adapter_text(deal.property_amount.sql) }} as amount,
        {{ crm_adapter_text(deal.property_deal_currency_code.sql) }} as currency_code,
        {{ crm_adapter_text(deal.property_closed_lost_reason.sql) }} as loss_reason,
        {{ crm_adapter_deleted_reason(deal) }}
            as deleted_reason
    from {{ crm_adapter_records(source('fivetran_hubspot', 'deal'), deal, 'deal_id') }}
),

associations as (
    select
        {{ crm_adapter_text(association.deal_id.sql) }} as opportunity_id,
        {{ crm_adapter_text(association.company_id.sql) }} as account_id,
        row_number() over (
            partition by {{ association.deal_id.sql }}
            order by
                case when {{ association.type_id.sql }} = 5 then 0 else 1 end,
                {{ association.company_id.sql }}
        ) as association_rank
    from
        {{ crm_adapter_records(
            source('fivetran_hubspot', 'deal_company'), association, ['deal_id', 'company_id', 'type_id']
        ) }}
    where {{ crm_adapter_deleted_reason(association) }} is null
),

primary_companies as (
    select opportunity_id, account_id
    from associations
    where association_rank = 1
),

-- stage_id, stage_name: the labels of the pipeline's stages
stage_labels as (
    {{ crm_hubspot_stage_labels() }}
),

stages as (
    select stage_name, is_closed, is_won
    from {{ ref('fivetran_hubspot__stages') }}
),

final as (
    select
        deals.opportunity_id,
        primary_companies.account_id,
        deals.owner_id,
        cast(null as {{ dbt.type_string() }}) as presales_owner_id,
        deals.opportunity_name,
        case
            when deals.deal_type = 'newbusiness' then 'new_business'
            when deals.deal_type = 'existingbusiness' then 'expansion'
            when deals.deal_type like '%renew%' then 'renewal'
            else deals.deal_type
        end as opportunity_type,
        deals.lead_source,
        deals.created_at,
        deals.close_date,
        deals.amount,
        deals.currency_code,
        coalesce(stage_labels.stage_name, deals.stage_id) as stage_name,
        stages.is_closed,
        stages.is_won,
        deals.loss_reason,
        cast(null as {{ dbt.type_string() }}) as closed_at,
        coalesce(
            deals.deleted_reason,
            case
                when
                    deals.pipeline_id is null
                    or deals.pipeline_id
                    <> {{ pipeline_id }}
                    then 'other_pipeline'
            end
        ) as source_reject_reason
    from deals
    left join primary_companies
        on deals.opportunity_id = primary_companies.opportunity_id
    left join stage_labels
        on deals.stage_id = stage_labels.stage_id
    left join stages
        on stage_labels.stage_name = stages.stage_name
)

select * from final
