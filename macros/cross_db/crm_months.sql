{#- Whole calendar months from one date to another, counted by month boundaries crossed. -#}
{% macro crm_months_between(start_expr, end_expr) -%}
    cast({{ dbt.datediff(start_expr, end_expr, 'month') }} as integer)
{%- endmacro %}
