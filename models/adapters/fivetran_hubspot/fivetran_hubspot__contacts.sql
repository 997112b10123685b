{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Contacts. account_id: property_associatedcompanyid (HubSpot's primary company of the
    contact); full_name: first and last name; title: property_jobtitle.
-#}
{%- set contact = crm_adapter_columns(
    source('fivetran_hubspot', 'contact'),
    required=['id'],
    optional=[
        'property_associatedcompanyid', 'property_firstname', 'property_lastname',
        'property_jobtitle', 'property_createdate',
    ],
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
            {{ crm_adapter_text(contact.property_associatedcompanyid.sql) }} as account_id,
            nullif(trim(
                coalesce({{ crm_adapter_text(contact.property_firstname.sql) }}, '') || ' '
                || coalesce({{ crm_adapter_text(contact.property_lastname.sql) }}, '')
            ), '') as full_name,
            {{ crm_adapter_text(contact.property_jobtitle.sql) }} as title,
            {{ crm_adapter_timestamp(contact.property_createdate) }} as created_at,
            {{ crm_adapter_deleted_reason(contact) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_hubspot', 'contact'), contact, 'id') }}
    )

    select * from contacts

{%- endif %}
