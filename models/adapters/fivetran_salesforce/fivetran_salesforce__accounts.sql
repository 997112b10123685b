{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{#-
    Accounts. created_at: created_date; an account without one (a schema lacking the column, or
    an empty value) is created at its earliest deal's created_date, as the file importers do,
    which fivetran_salesforce__findings reports (derived_from_deals); without deals it stays
    empty and staging rejects it (missing_required:created_at).
-#}
{%- set account = crm_adapter_columns(
    source('fivetran_salesforce', 'account'),
    required=['id', 'name'],
    optional=['industry', 'number_of_employees', 'billing_country', 'owner_id', 'created_date'],
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
        {{ crm_adapter_deleted_reason(account) }} as source_reject_reason
    from {{ crm_adapter_records(source('fivetran_salesforce', 'account'), account, 'id') }}
),

-- the earliest created_at of each account's deals (deleted ones are not read)
first_deals as (
    select
        account_id,
        min(created_at) as first_deal_at
    from {{ ref('fivetran_salesforce__opportunities') }}
    where source_reject_reason is null
    group by 1
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.industry,
        accounts.employee_count,
        accounts.country,
        accounts.segment,
        accounts.owner_id,
        coalesce(nullif(trim(accounts.created_at), ''), first_deals.first_deal_at) as created_at,
        accounts.source_reject_reason,
        nullif(trim(accounts.created_at), '') is null and first_deals.first_deal_at is not null
            as is_created_at_derived
    from accounts
    left join first_deals
        on accounts.account_id = first_deals.account_id
)

select * from final
