{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{%- set line_item = crm_adapter_columns(
    source('fivetran_salesforce', 'opportunity_line_item'),
    required=['id', 'opportunity_id', 'product_2_id'],
    optional=['quantity', 'unit_price'],
    table_optional=true,
) -%}

{%- if line_item is none %}

select
    cast(null as {{ dbt.type_string() }}) as line_item_id,
    cast(null as {{ dbt.type_string() }}) as opportunity_id,
    cast(null as {{ dbt.type_string() }}) as product_id,
    cast(null as {{ dbt.type_string() }}) as quantity,
    cast(null as {{ dbt.type_string() }}) as unit_price,
    cast(null as {{ dbt.type_string() }}) as source_reject_reason
where 1 = 0

{%- else %}

    with

    line_items as (
        select
            {{ crm_adapter_text(line_item.id.sql) }} as line_item_id,
            {{ crm_adapter_text(line_item.opportunity_id.sql) }} as opportunity_id,
            {{ crm_adapter_text(line_item.product_2_id.sql) }} as product_id,
            {{ crm_adapter_text(line_item.quantity.sql) }} as quantity,
            {{ crm_adapter_text(line_item.unit_price.sql) }} as unit_price,
            {{ crm_adapter_deleted_reason(line_item) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'opportunity_line_item'), line_item, 'id') }}
    )

    select * from line_items

{%- endif %}
