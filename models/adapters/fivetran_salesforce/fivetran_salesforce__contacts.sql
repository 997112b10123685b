{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{%- set contact = crm_adapter_columns(
    source('fivetran_salesforce', 'contact'),
    required=['id'],
    optional=['account_id', 'name', 'first_name', 'last_name', 'title', 'created_date'],
    table_optional=true,
) -%}

{%- if contact is none %}

select
    cast(null as {{ dbt.type_string() }}) as contact_id,
    cast(null as {{ dbt.type_string() }}) as account_id,
    cast(null as {{ dbt.type_string() }}) as full_name,
    cast(null as {{ dbt.type_string() }}) as title,
    cast(null as {{ dbt.type_string() }}) as created_at,
    cast(null as {{ dbt.type_string() }}) as source_reject_reason
where 1 = 0

{%- else %}

    with

    contacts as (
        select
            {{ crm_adapter_text(contact.id.sql) }} as contact_id,
            {{ crm_adapter_text(contact.account_id.sql) }} as account_id,
            {#- name is Salesforce's compound name; a schema without it has its parts #}
            {{ crm_adapter_coalesce_text([
                contact.name.sql,
                "nullif(trim(coalesce(" ~ crm_adapter_text(contact.first_name.sql) ~ ", '') || ' ' || "
                    ~ "coalesce(" ~ crm_adapter_text(contact.last_name.sql) ~ ", '')), '')",
            ]) }} as full_name,
            {{ crm_adapter_text(contact.title.sql) }} as title,
            {{ crm_adapter_timestamp(contact.created_date) }} as created_at,
            {{ crm_adapter_deleted_reason(contact) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'contact'), contact, 'id') }}
    )

    select * from contacts

{%- endif %}
