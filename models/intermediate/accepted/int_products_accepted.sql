{#- Accepted products rows: the only place a model filters out rejected rows. -#}
select
    product_id,
    product_name,
    product_family,
    list_price
from {{ ref('int_products_validated') }}
where reject_reason is null
