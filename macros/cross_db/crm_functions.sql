{#- Interpolated percentile (the spec's medians and percentiles). -#}
{% macro crm_percentile_cont(expr, fraction) -%}
    {{ return(adapter.dispatch('crm_percentile_cont', 'crm_metrics')(expr, fraction)) }}
{%- endmacro %}

{% macro default__crm_percentile_cont(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__crm_percentile_cont(expr, fraction) -%}
    quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}

{% macro spark__crm_percentile_cont(expr, fraction) -%}
    percentile({{ expr }}, {{ fraction }})
{%- endmacro %}

{#-
    Fractional days between two timestamps (seconds / 86400), a double on every engine (Spark
    would make `bigint / 86400.0` a decimal).
-#}
{% macro crm_days_between(start_expr, end_expr) -%}
    ({{ dbt.datediff(start_expr, end_expr, 'second') }} / cast(86400 as {{ crm_metrics.crm_double_type() }}))
{%- endmacro %}

{#-
    One row per day from start_expr to end_expr (dates, inclusive), as column `date_day`.
    The bounds are scalar expressions over `from_relation` (a one-row relation or CTE).
-#}
{% macro crm_date_series(from_relation, start_expr, end_expr) -%}
    {{ return(adapter.dispatch('crm_date_series', 'crm_metrics')(from_relation, start_expr, end_expr)) }}
{%- endmacro %}

{% macro default__crm_date_series(from_relation, start_expr, end_expr) -%}
    select cast(series.date_day as date) as date_day
    from {{ from_relation }}
    cross join lateral generate_series(
        cast({{ start_expr }} as timestamp),
        cast({{ end_expr }} as timestamp),
        interval '1 day'
    ) as series (date_day)
{%- endmacro %}

{% macro duckdb__crm_date_series(from_relation, start_expr, end_expr) -%}
    select cast(unnest(generate_series(
        cast({{ start_expr }} as timestamp),
        cast({{ end_expr }} as timestamp),
        interval '1 day'
    )) as date) as date_day
    from {{ from_relation }}
{%- endmacro %}

{% macro spark__crm_date_series(from_relation, start_expr, end_expr) -%}
    select explode(sequence(
        cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 day
    )) as date_day
    from {{ from_relation }}
{%- endmacro %}

{#- Row fingerprint over text expressions (exact-duplicate detection). -#}
{% macro crm_row_hash(exprs, prefix='') -%}
    md5(
        {%- for expr in exprs %}
        coalesce({{ prefix }}{{ expr }}, '<null>'){{ " || '|' ||" if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#-
    Fail the query with `message_expr` (a text expression) as the error message, evaluated per
    row: used by tests whose failure must explain itself.
-#}
{% macro crm_raise_error(message_expr) -%}
    {{ return(adapter.dispatch('crm_raise_error', 'crm_metrics')(message_expr)) }}
{%- endmacro %}

{% macro default__crm_raise_error(message_expr) -%}
    error({{ message_expr }})
{%- endmacro %}

{#- PostgreSQL has no error function in plain SQL: a failing cast carries the text. -#}
{% macro postgres__crm_raise_error(message_expr) -%}
    cast(({{ message_expr }}) as integer)
{%- endmacro %}

{% macro spark__crm_raise_error(message_expr) -%}
    raise_error({{ message_expr }})
{%- endmacro %}
