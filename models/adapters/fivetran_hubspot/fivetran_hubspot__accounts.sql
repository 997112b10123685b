{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Companies. created_at: property_createdate; a company without one (a schema lacking the
    column, or an empty value) is created at its earliest deal's createdate (deals of which it
    is the primary company, not rejected by the adapter), as the file importers do, which
    fivetran_hubspot__findings reports (derived_from_deals); without deals it stays empty and
    staging rejects it (missing_required:created_at).
-#}
{%- set company = crm_adapter_columns(
    source('fivetran_hubspot', 'company'),
    required=['id', 'property_name'],
    optional=[
        'property_industry', 'property_numberofemployees', 'property_country',
        'property_hubspot_owner_id', 'property_createdate',
    ],
) -%}

with

companies as (
    select
        {{ crm_adapter_text(company.id.sql) }} as account_id,
        {{ crm_adapter_text(company.property_name.sql) }} as account_name,
        {{ crm_adapter_text(company.property_industry.sql) }} as industry,
        {{ crm_adapter_text(company.property_numberofemployees.sql) }} as employee_count,
        {{ crm_adapter_text(company.property_country.sql) }} as country,
        cast(null as {{ dbt.type_string() }}) as segment,
        {{ crm_adapter_text(company.property_hubspot_owner_id.sql) }} as owner_id,
        {{ crm_adapter_timestamp(company.property_createdate) }} as created_at,
        {{ crm_adapter_deleted_reason(company) }} as source_reject_reason
    from {{ crm_adapter_records(source('fivetran_hubspot', 'company'), company, 'id') }}
),

-- the earliest created_at of each company's deals
first_deals as (
    select
        account_id,
        min(created_at) as first_deal_at
    from {{ ref('fivetran_hubspot__opportunities') }}
    where source_reject_reason is null
    group by 1
),

final as (
    select
        companies.account_id,
        companies.account_name,
        companies.industry,
        companies.employee_count,
        companies.country,
        companies.segment,
        companies.owner_id,
        coalesce(nullif(trim(companies.created_at), ''), first_deals.first_deal_at) as created_at,
        companies.source_reject_reason,
        nullif(trim(companies.created_at), '') is null and first_deals.first_deal_at is not null
            as is_created_at_derived
    from companies
    left join first_deals
        on companies.account_id = first_deals.account_id
)

select * from final
