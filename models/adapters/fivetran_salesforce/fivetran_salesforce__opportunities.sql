{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{%- set loss_reason_column = var('salesforce_loss_reason_column', none) -%}
{%- set presales_column = var('salesforce_presales_owner_column', none) -%}
{%- set opportunity = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity'),
    required=['id', 'account_id', 'owner_id', 'created_date', 'close_date', 'stage_name'],
    optional=[
        'name', 'type', 'lead_source', 'amount', 'currency_iso_code', 'is_closed', 'is_won',
    ] + ([loss_reason_column] if loss_reason_column else [])
    + ([presales_column] if presales_column else []),
) -%}
{%- set loss_reason_sql = opportunity[loss_reason_column].sql if loss_reason_column else 'null' -%}
{%- set presales_sql = opportunity[presales_column].sql if presales_column else 'null' -%}
{%- set type_text = crm_adapter_text(opportunity.type.sql) -%}

with

opportunities as (
    select
        {{ crm_adapter_text(opportunity.id.sql) }} as opportunity_id,
        {{ crm_adapter_text(opportunity.account_id.sql) }} as account_id,
        {{ crm_adapter_text(opportunity.owner_id.sql) }} as owner_id,
        {{ crm_adapter_text(presales_sql) }}
            as presales_owner_id,
        {{ crm_adapter_text(opportunity.name.sql) }} as opportunity_name,
        {#- Salesforce's Type picklist, in the contract's words; others stay (a finding) #}
        case
            when lower({{ type_text }}) like '%renew%' then 'renewal'
            when lower({{ type_text }}) like '%new%' then 'new_business'
            when
                lower({{ type_text }}) like '%existing%'
                or lower({{ type_text }}) like '%upgrade%'
                or lower({{ type_text }}) like '%upsell%'
                or lower({{ type_text }}) like '%expansion%'
                then 'expansion'
            else {{ type_text }}
        end as opportunity_type,
        {{ crm_adapter_text(opportunity.lead_source.sql) }} as lead_source,
        {{ crm_adapter_timestamp(opportunity.created_date) }} as created_at,
        {{ crm_adapter_text(opportunity.close_date.sql) }} as close_date,
        {{ crm_adapter_text(opportunity.amount.sql) }} as amount,
        {{ crm_adapter_text(opportunity.currency_iso_code.sql) }} as currency_code,
        {{ crm_adapter_text(opportunity.stage_name.sql) }} as stage_name,
        {{ crm_adapter_text(opportunity.is_closed.sql) }} as is_closed,
        {{ crm_adapter_text(opportunity.is_won.sql) }} as is_won,
        {{ crm_adapter_text(loss_reason_sql) }}
            as loss_reason,
        cast(null as {{ dbt.type_string() }}) as closed_at,
        {{ crm_adapter_deleted_reason(opportunity) }}
            as source_reject_reason
    from {{ crm_adapter_records(source('fivetran_salesforce', 'opportunity'), opportunity, 'id') }}
)

select * from opportunities
