{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{%- set role = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity_contact_role'),
    required=['id', 'opportunity_id', 'contact_id'],
    optional=['role', 'is_primary'],
    table_optional=true,
) -%}

{%- if role is none %}

select
    cast(null as {{ dbt.type_string() }}) as opportunity_id,
    cast(null as {{ dbt.type_string() }}) as contact_id,
    cast(null as {{ dbt.type_string() }}) as role,
    cast(null as {{ dbt.type_string() }}) as is_primary,
    cast(null as {{ dbt.type_string() }}) as source_reject_reason
where 1 = 0

{%- else %}

    with

    contact_roles as (
        select
            {{ crm_adapter_text(role.opportunity_id.sql) }} as opportunity_id,
            {{ crm_adapter_text(role.contact_id.sql) }} as contact_id,
            {{ crm_adapter_text(role.role.sql) }} as role,
            {{ crm_adapter_text(role.is_primary.sql) }} as is_primary,
            {{ crm_adapter_deleted_reason(role) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'opportunity_contact_role'), role, 'id') }}
    )

    select * from contact_roles

{%- endif %}
