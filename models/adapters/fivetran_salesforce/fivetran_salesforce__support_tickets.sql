{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{%- set ticket = crm_adapter_columns(
    source('fivetran_salesforce', 'case'),
    required=['id', 'created_date'],
    optional=['account_id', 'contact_id', 'closed_date', 'priority', 'status'],
    table_optional=true,
) -%}

{%- if ticket is none %}

select
    cast(null as {{ dbt.type_string() }}) as ticket_id,
    cast(null as {{ dbt.type_string() }}) as account_id,
    cast(null as {{ dbt.type_string() }}) as contact_id,
    cast(null as {{ dbt.type_string() }}) as product_user_id,
    cast(null as {{ dbt.type_string() }}) as created_at,
    cast(null as {{ dbt.type_string() }}) as closed_at,
    cast(null as {{ dbt.type_string() }}) as priority,
    cast(null as {{ dbt.type_string() }}) as status,
    cast(null as {{ dbt.type_string() }}) as source_reject_reason
where 1 = 0

{%- else %}

    with

    tickets as (
        select
            {{ crm_adapter_text(ticket.id.sql) }} as ticket_id,
            {{ crm_adapter_text(ticket.account_id.sql) }} as account_id,
            {{ crm_adapter_text(ticket.contact_id.sql) }} as contact_id,
            {#- a CRM does not know the product's users #}
            cast(null as {{ dbt.type_string() }}) as product_user_id,
            {{ crm_adapter_timestamp(ticket.created_date) }} as created_at,
            {{ crm_adapter_timestamp(ticket.closed_date) }} as closed_at,
            {{ crm_ticket_priority(ticket.priority.sql) }} as priority,
            {{ crm_adapter_text(ticket.status.sql) }} as status,
            {{ crm_adapter_deleted_reason(ticket) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'case'), ticket, 'id') }}
    )

    select * from tickets

{%- endif %}
