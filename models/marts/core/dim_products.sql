{#- One row per accepted product (list_price in the reporting currency as given). -#}
with

products as (
    select product_id, product_name, product_family, list_price
    from {{ ref('int_products_accepted') }}
)

select * from products
