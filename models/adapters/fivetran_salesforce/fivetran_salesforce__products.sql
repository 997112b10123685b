{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{%- set product = crm_adapter_columns(
    source('fivetran_salesforce', 'product_2'),
    required=['id', 'name'],
    optional=['family'],
    table_optional=true,
) -%}

{%- if product is none %}

select
    cast(null as {{ dbt.type_string() }}) as product_id,
    cast(null as {{ dbt.type_string() }}) as product_name,
    cast(null as {{ dbt.type_string() }}) as product_family,
    cast(null as {{ dbt.type_string() }}) as list_price,
    cast(null as {{ dbt.type_string() }}) as source_reject_reason
where 1 = 0

{%- else %}

    with

    products as (
        select
            {{ crm_adapter_text(product.id.sql) }} as product_id,
            {{ crm_adapter_text(product.name.sql) }} as product_name,
            {{ crm_adapter_text(product.family.sql) }} as product_family,
            cast(null as {{ dbt.type_string() }}) as list_price,
            {{ crm_adapter_deleted_reason(product) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'product_2'), product, 'id') }}
    )

    select * from products

{%- endif %}
