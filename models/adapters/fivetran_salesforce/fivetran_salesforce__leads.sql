{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{%- set lead = crm_adapter_columns(
    source('fivetran_salesforce', 'lead'),
    required=['id', 'created_date'],
    optional=[
        'lead_source', 'owner_id', 'status', 'converted_date', 'converted_opportunity_id',
        'converted_account_id', 'title',
    ],
    table_optional=true,
) -%}

{%- if lead is none %}

select
    {%- for name in [
        'lead_id', 'created_at', 'lead_source', 'owner_id', 'status', 'mql_at', 'sql_at',
        'converted_at', 'converted_opportunity_id', 'converted_account_id', 'disqualified_at',
        'disqualify_reason', 'title', 'accepted_at',
    ] %}
    cast(null as {{ dbt.type_string() }}) as {{ name }},
    {%- endfor %}
    cast(null as {{ dbt.type_string() }}) as source_reject_reason
where 1 = 0

{%- else %}

    with

    leads as (
        select
            {{ crm_adapter_text(lead.id.sql) }} as lead_id,
            {{ crm_adapter_timestamp(lead.created_date) }} as created_at,
            {#- a lead without a source is still a lead: the contract requires one #}
            coalesce({{ crm_adapter_text(lead.lead_source.sql) }}, 'unknown') as lead_source,
            {{ crm_adapter_text(lead.owner_id.sql) }} as owner_id,
            {{ crm_adapter_text(lead.status.sql) }} as status,
            cast(null as {{ dbt.type_string() }}) as mql_at,
            cast(null as {{ dbt.type_string() }}) as sql_at,
            {{ crm_adapter_timestamp(lead.converted_date) }} as converted_at,
            {{ crm_adapter_text(lead.converted_opportunity_id.sql) }} as converted_opportunity_id,
            {{ crm_adapter_text(lead.converted_account_id.sql) }} as converted_account_id,
            cast(null as {{ dbt.type_string() }}) as disqualified_at,
            cast(null as {{ dbt.type_string() }}) as disqualify_reason,
            {{ crm_adapter_text(lead.title.sql) }} as title,
            {#- Salesforce keeps no sales-accepted time #}
            cast(null as {{ dbt.type_string() }}) as accepted_at,
            {{ crm_adapter_deleted_reason(lead) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'lead'), lead, 'id') }}
    )

    select * from leads

{%- endif %}
