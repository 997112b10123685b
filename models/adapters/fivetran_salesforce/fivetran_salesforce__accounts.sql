{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{%- set account = crm_adapter_columns(
    source('fivetran_salesforce', 'account'),
    required=['id', 'name'],
    optional=[
        'industry', 'number_of_employees', 'billing_country', 'owner_id', 'created_date',
        'is_deleted', '_fivetran_deleted',
    ],
) -%}

with

accounts as (
    select
        {{ crm_adapter_text(account.id.sql) }} as account_id,
        {{ crm_adapter_text(account.name.sql) }} as account_name,
        {{ crm_adapter_text(account.industry.sql) }} as industry,
        {{ crm_adapter_text(account.number_of_employees.sql) }} as employee_count,
        {{ crm_adapter_text(account.billing_country.sql) }} as country,
        cast(null as {{ dbt.type_string() }}) as segment,
        {{ crm_adapter_text(account.owner_id.sql) }} as owner_id,
        {{ crm_adapter_timestamp(account.created_date) }} as created_at,
        {{ crm_adapter_deleted_reason([account.is_deleted, account['_fivetran_deleted']]) }}
            as source_reject_reason
    from {{ source('fivetran_salesforce', 'account') }}
)

select * from accounts
