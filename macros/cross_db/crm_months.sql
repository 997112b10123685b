{#- Whole calendar months from one date to another, counted by month boundaries crossed. -#}
{% macro crm_months_between(start_expr, end_expr) -%}
    cast({{ dbt.datediff(start_expr, end_expr, 'month') }} as integer)
{%- endmacro %}

{#-
    One row per month, as column `period_month` (a date), from start_expr (the first day of a
    month) to end_expr (a date, inclusive: the last month starts on or before it). The bounds
    are scalar expressions over `from_relation` (a one-row relation or CTE); no row when either
    is null. Only int_months calls it: every monthly model reads its months from int_months
    (macro crm_spine_months below).
-#}
{% macro crm_month_series(from_relation, start_expr, end_expr) -%}
    {{ return(crm_metrics.crm_series(from_relation, start_expr, end_expr, 'month', 'period_month')) }}
{%- endmacro %}

{#-
    The months of int_months (the one month spine) from first_expr to last_expr (inclusive),
    columns period_month and next_month_start: the `months` step of every monthly model. The
    bounds are expressions over `bounds_relation` (a one-row CTE); no row when it has none.
-#}
{% macro crm_spine_months(bounds_relation, first_expr, last_expr) -%}
    select
        int_months.period_month,
        int_months.next_month_start
    from {{ ref('int_months') }} as int_months
    inner join {{ bounds_relation }}
        on
            int_months.period_month >= {{ first_expr }}
            and int_months.period_month <= {{ last_expr }}
{%- endmacro %}
