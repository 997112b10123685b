{#- Whole calendar months from one date to another, counted by month boundaries crossed. -#}
{% macro crm_months_between(start_expr, end_expr) -%}
    cast({{ dbt.datediff(start_expr, end_expr, 'month') }} as integer)
{%- endmacro %}

{#-
    The month spine of every model that generates its months: one row per month, as column
    `period_month` (a date), from start_expr (the first day of a month) to end_expr (a date,
    inclusive: the last month starts on or before it). The bounds are scalar expressions over
    `from_relation` (a one-row relation or CTE); no row when either is null.
-#}
{% macro crm_month_series(from_relation, start_expr, end_expr) -%}
    {{ return(adapter.dispatch('crm_month_series', 'crm_metrics')(from_relation, start_expr, end_expr)) }}
{%- endmacro %}

{% macro default__crm_month_series(from_relation, start_expr, end_expr) -%}
    select cast(series.period_month as date) as period_month
    from {{ from_relation }}
    cross join lateral generate_series(
        cast({{ start_expr }} as timestamp),
        cast({{ end_expr }} as timestamp),
        interval '1 month'
    ) as series (period_month)
{%- endmacro %}

{% macro duckdb__crm_month_series(from_relation, start_expr, end_expr) -%}
    select cast(unnest(generate_series(
        cast({{ start_expr }} as timestamp),
        cast({{ end_expr }} as timestamp),
        interval '1 month'
    )) as date) as period_month
    from {{ from_relation }}
{%- endmacro %}

{% macro spark__crm_month_series(from_relation, start_expr, end_expr) -%}
    select explode(sequence(
        cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 month
    )) as period_month
    from {{ from_relation }}
{%- endmacro %}
