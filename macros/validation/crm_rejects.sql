{#
    dq_<table>_rejects: one row per rejected raw row, with the raw columns as text (untouched)
    and reject_reason. Rows here are left out of everything downstream.
#}
{% macro crm_rejects(table_name) %}
{%- set spec = crm_raw_contract()['tables'][table_name] -%}
with

validated as (
    select * from {{ ref('int_' ~ table_name ~ '_validated') }}
),

rejected as (
    select
    {%- for col in spec['columns'] %}
        raw_{{ col['name'] }} as {{ col['name'] }},
    {%- endfor %}
        dq_row_key,
        reject_reason
    from validated
    where reject_reason is not null
)

select * from rejected
{% endmacro %}
