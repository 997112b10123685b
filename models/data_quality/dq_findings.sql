{#
    One row per finding: a faulty value on a row that is still used (nulled or normalised, or
    kept where history wins). See macros/validation/crm_findings.sql for the kinds.
#}
{%- set parts = [] -%}
{%- for table_name in crm_raw_contract()['tables'] -%}
    {%- set part = crm_findings(table_name) -%}
    {%- if part | trim -%}{%- do parts.append(part) -%}{%- endif -%}
{%- endfor %}
with

column_findings as (
    {{ parts | join('\n    union all\n') }}
),

opportunity_findings as (
    select table_name, row_key, column_name, finding, raw_value
    from {{ ref('int_opportunity_findings') }}
),

final as (
    select * from column_findings
    union all
    select * from opportunity_findings
)

select * from final
