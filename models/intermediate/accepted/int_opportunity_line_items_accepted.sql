{#- Accepted opportunity_line_items rows: the only place a model filters out rejected rows. -#}
select
    line_item_id,
    opportunity_id,
    product_id,
    quantity,
    unit_price
from {{ ref('int_opportunity_line_items_validated') }}
where reject_reason is null
