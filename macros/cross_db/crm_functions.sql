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
    {{ return(crm_metrics.crm_series(from_relation, start_expr, end_expr, 'day', 'date_day')) }}
{%- endmacro %}

{#-
    One row per `unit` (day, month) from start_expr to end_expr (inclusive: the last row is on
    or before end_expr), as date column `column_name`; no row when a bound is null.
-#}
{% macro crm_series(from_relation, start_expr, end_expr, unit, column_name) -%}
    {{ return(adapter.dispatch('crm_series', 'crm_metrics')(
        from_relation, start_expr, end_expr, unit, column_name
    )) }}
{%- endmacro %}

{% macro default__crm_series(from_relation, start_expr, end_expr, unit, column_name) -%}
    select cast(series.{{ column_name }} as date) as {{ column_name }}
    from {{ from_relation }}
    cross join lateral generate_series(
        cast({{ start_expr }} as timestamp),
        cast({{ end_expr }} as timestamp),
        interval '1 {{ unit }}'
    ) as series ({{ column_name }})
{%- endmacro %}

{% macro duckdb__crm_series(from_relation, start_expr, end_expr, unit, column_name) -%}
    select cast(unnest(generate_series(
        cast({{ start_expr }} as timestamp),
        cast({{ end_expr }} as timestamp),
        interval '1 {{ unit }}'
    )) as date) as {{ column_name }}
    from {{ from_relation }}
{%- endmacro %}

{% macro spark__crm_series(from_relation, start_expr, end_expr, unit, column_name) -%}
    select explode(sequence(
        cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 {{ unit }}
    )) as {{ column_name }}
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

{#-
    `not materialized` after a CTE's `as` on DuckDB, nothing elsewhere. DuckDB 2.0 materialises
    a CTE that is read more than once; for a wide CTE over millions of rows that means writing
    every column to a buffer (spilling to disk past memory_limit) and scanning it again per
    reader. Inlined, each reader computes only the columns it uses. The staging models' counted
    CTE is the case: at scale 10, stg_crm__activities took 47 s materialised and 12 s inlined;
    its source_rows CTE (read again by key_counts, for the key only) is the other.
    PostgreSQL (12 and later) takes the syntax too, but is left at its own default (not measured
    there); Spark 4.3 has no such syntax.
-#}
{% macro crm_inline_cte() -%}
    {{ return(adapter.dispatch('crm_inline_cte', 'crm_metrics')()) }}
{%- endmacro %}

{% macro default__crm_inline_cte() -%}
{%- endmacro %}

{% macro duckdb__crm_inline_cte() -%}
    not materialized
{%- endmacro %}

{#-
    The last non-null value of `expr` in the rows of `partition_by` up to the current row in
    `order_by` order (null until the first non-null one): a value carried forward over rows
    that leave it empty. One window pass: DuckDB and Spark skip nulls in last_value; PostgreSQL
    (15, as in CI, has no IGNORE NULLS) picks the n-th non-null value, n being the count so far.
    int_opportunity_states carried amounts and close dates forward with a running count and a
    max over each count's rows instead: two more window passes, about 4 s of 17 s over the 6M
    history rows of scale 10.
-#}
{% macro crm_carry_forward(expr, partition_by, order_by) -%}
    {{ return(adapter.dispatch('crm_carry_forward', 'crm_metrics')(expr, partition_by, order_by)) }}
{%- endmacro %}

{% macro crm_running_window(partition_by, order_by) -%}
    partition by {{ partition_by }} order by {{ order_by }}
    rows between unbounded preceding and current row
{%- endmacro %}

{% macro default__crm_carry_forward(expr, partition_by, order_by) -%}
    (array_agg({{ expr }}) filter (where {{ expr }} is not null) over (
        {{ crm_metrics.crm_running_window(partition_by, order_by) }}
    ))[count({{ expr }}) over ({{ crm_metrics.crm_running_window(partition_by, order_by) }})]
{%- endmacro %}

{% macro duckdb__crm_carry_forward(expr, partition_by, order_by) -%}
    last_value({{ expr }} ignore nulls) over (
        {{ crm_metrics.crm_running_window(partition_by, order_by) }}
    )
{%- endmacro %}

{% macro spark__crm_carry_forward(expr, partition_by, order_by) -%}
    last({{ expr }}, true) over ({{ crm_metrics.crm_running_window(partition_by, order_by) }})
{%- endmacro %}

{#- Text compared by code point (binary, case-sensitive) in order by and comparisons: DuckDB and
    Spark compare strings so already; PostgreSQL follows the database's collation unless told. -#}
{% macro crm_binary_text(expr) -%}
    {{ return(adapter.dispatch('crm_binary_text', 'crm_metrics')(expr)) }}
{%- endmacro %}

{% macro default__crm_binary_text(expr) -%}
    {{ expr }}
{%- endmacro %}

{% macro postgres__crm_binary_text(expr) -%}
    ({{ expr }} collate "C")
{%- endmacro %}

{#-
    A timestamp plus a whole number of hours or days (`unit` hour or day, `count` a literal
    integer), exact to the fraction of a second on every engine, null for a null timestamp.
    dbt.dateadd on Spark goes through to_unix_timestamp, which drops fractions of a second, so a
    48-hour activation boundary would differ between engines. Days are 24-hour days (UTC).
-#}
{% macro crm_timestamp_add(unit, count, expr) -%}
    {{ return(adapter.dispatch('crm_timestamp_add', 'crm_metrics')(unit, count, expr)) }}
{%- endmacro %}

{% macro default__crm_timestamp_add(unit, count, expr) -%}
    ({{ expr }} + interval '{{ count }} {{ unit }}')
{%- endmacro %}

{% macro spark__crm_timestamp_add(unit, count, expr) -%}
    ({{ expr }} + interval {{ count }} {{ unit }})
{%- endmacro %}
