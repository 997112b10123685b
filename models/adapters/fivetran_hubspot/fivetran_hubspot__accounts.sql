{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

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
        {{ crm_adapter_deleted_reason(company) }}
            as source_reject_reason
    from {{ crm_adapter_records(source('fivetran_hubspot', 'company'), company, 'id') }}
)

select * from companies
