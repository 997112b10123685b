{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Tickets. account_id / contact_id: the ticket's lowest associated company / contact id
    (ticket_company, ticket_contact; null when the table is not synced or the ticket has none;
    deleted associations are not read); closed_at: property_closed_date; priority:
    property_hs_ticket_priority (LOW, MEDIUM, HIGH, URGENT; macro crm_ticket_priority); status:
    the label of the ticket's pipeline stage (ticket_pipeline_stage), else its stage id.
-#}
{%- set ticket = crm_adapter_columns(
    source('fivetran_hubspot', 'ticket'),
    required=['id', 'property_createdate'],
    optional=['property_closed_date', 'property_hs_ticket_priority', 'property_hs_pipeline_stage'],
    table_optional=true,
) -%}
{%- set ticket_company = crm_adapter_columns(
    source('fivetran_hubspot', 'ticket_company'),
    required=['ticket_id', 'company_id'],
    table_optional=true,
) -%}
{%- set ticket_contact = crm_adapter_columns(
    source('fivetran_hubspot', 'ticket_contact'),
    required=['ticket_id', 'contact_id'],
    table_optional=true,
) -%}
{%- set ticket_stage = crm_adapter_columns(
    source('fivetran_hubspot', 'ticket_pipeline_stage'),
    required=['stage_id', 'label'],
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
            {{ crm_adapter_timestamp(ticket.property_createdate) }} as created_at,
            {{ crm_adapter_timestamp(ticket.property_closed_date) }} as closed_at,
            {{ crm_ticket_priority(ticket.property_hs_ticket_priority.sql) }} as priority,
            {{ crm_adapter_text(ticket.property_hs_pipeline_stage.sql) }} as stage_id,
            {{ crm_adapter_deleted_reason(ticket) }} as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_hubspot', 'ticket'), ticket, 'id') }}
    ),

    companies as (
        {%- if ticket_company is none %}
        select
            cast(null as {{ dbt.type_string() }}) as ticket_id,
            cast(null as {{ dbt.type_string() }}) as account_id
        where 1 = 0
        {%- else %}
        select
            {{ crm_adapter_text(ticket_company.ticket_id.sql) }} as ticket_id,
            min({{ crm_adapter_text(ticket_company.company_id.sql) }}) as account_id
        from
            {{ crm_adapter_records(
                source('fivetran_hubspot', 'ticket_company'), ticket_company,
                ['ticket_id', 'company_id']
            ) }}
        where {{ crm_adapter_deleted_reason(ticket_company) }} is null
        group by 1
        {%- endif %}
    ),

    contacts as (
        {%- if ticket_contact is none %}
        select
            cast(null as {{ dbt.type_string() }}) as ticket_id,
            cast(null as {{ dbt.type_string() }}) as contact_id
        where 1 = 0
        {%- else %}
        select
            {{ crm_adapter_text(ticket_contact.ticket_id.sql) }} as ticket_id,
            min({{ crm_adapter_text(ticket_contact.contact_id.sql) }}) as contact_id
        from
            {{ crm_adapter_records(
                source('fivetran_hubspot', 'ticket_contact'), ticket_contact,
                ['ticket_id', 'contact_id']
            ) }}
        where {{ crm_adapter_deleted_reason(ticket_contact) }} is null
        group by 1
        {%- endif %}
    ),

    stages as (
        {%- if ticket_stage is none %}
        select
            cast(null as {{ dbt.type_string() }}) as stage_id,
            cast(null as {{ dbt.type_string() }}) as label
        where 1 = 0
        {%- else %}
        select
            {{ crm_adapter_text(ticket_stage.stage_id.sql) }} as stage_id,
            {{ crm_adapter_text(ticket_stage.label.sql) }} as label
        from
            {{ crm_adapter_records(
                source('fivetran_hubspot', 'ticket_pipeline_stage'), ticket_stage, 'stage_id'
            ) }}
        where {{ crm_adapter_deleted_reason(ticket_stage) }} is null
        {%- endif %}
    ),

    final as (
        select
            tickets.ticket_id,
            companies.account_id,
            contacts.contact_id,
            {#- a CRM does not know the product's users #}
            cast(null as {{ dbt.type_string() }}) as product_user_id,
            tickets.created_at,
            tickets.closed_at,
            tickets.priority,
            coalesce(stages.label, tickets.stage_id) as status,
            tickets.source_reject_reason
        from tickets
        left join companies
            on tickets.ticket_id = companies.ticket_id
        left join contacts
            on tickets.ticket_id = contacts.ticket_id
        left join stages
            on tickets.stage_id = stages.stage_id
    )

    select * from final

{%- endif %}
