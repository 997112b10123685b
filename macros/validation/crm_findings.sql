{#
    Findings of one table: one select per kind of faulty value on an accepted row, unioned.
    Returns an empty string when the table's contract has nothing that can give a finding.
      unknown_enum_value   a value outside the column's enum (normalised to other/unknown)
      unparseable          an optional value that does not parse (nulled)
      negative_value       a negative value in a non-negative column (nulled)
      orphan_reference     an optional reference to a value absent from its table (nulled)
      parent_rejected      an optional reference to a rejected row (nulled)
      not_month_start      a period_month that is not the first of its month (moved to it)
      <finding rule>       a rule of the contract's finding_rules (value kept)
#}
{% macro crm_findings(table_name) %}
{%- set spec = crm_raw_contract()['tables'][table_name] -%}
{%- set selects = [] -%}
{%- set relation = ref('int_' ~ table_name ~ '_validated') -%}
{%- for col in spec['columns'] -%}
    {%- set text = "nullif(trim(raw_" ~ col['name'] ~ "), '')" -%}
    {%- set kind = none -%}
    {%- if col['enum'] -%}
        {%- set values = [] -%}
        {%- for value in col['enum'] -%}{%- do values.append("'" ~ (value | lower) ~ "'") -%}{%- endfor -%}
        {%- set kind = "case when " ~ text ~ " is not null and lower(" ~ text ~ ") not in ("
            ~ values | join(', ') ~ ") then 'unknown_enum_value' end" -%}
    {%- elif col['type'] != 'text' and not col['required'] -%}
        {%- set negative = "case when " ~ crm_parse_number(text) ~ " < 0 then 'negative_value' else 'unparseable' end"
            if col['non_negative'] else "'unparseable'" -%}
        {%- set kind = "case when " ~ text ~ " is not null and " ~ col['name'] ~ " is null then "
            ~ negative ~ " end" -%}
    {%- endif -%}
    {%- if kind -%}
        {%- do selects.append(crm_finding_select(table_name, relation, col['name'], kind)) -%}
    {%- endif -%}
    {%- if col['month_start'] -%}
        {%- set kind = "case when " ~ col['name'] ~ " <> " ~ crm_parse_date(text)
            ~ " then 'not_month_start' end" -%}
        {%- do selects.append(crm_finding_select(table_name, relation, col['name'], kind)) -%}
    {%- endif -%}
    {%- if col['references'] and col['orphan_outcome'] == 'null' -%}
        {%- set kind = "case dq_orphan_" ~ col['name'] ~ " when 'orphan' then 'orphan_reference'"
            ~ " when 'parent_rejected' then 'parent_rejected' end" -%}
        {%- do selects.append(crm_finding_select(table_name, relation, col['name'], kind)) -%}
    {%- endif -%}
{%- endfor -%}
{%- for rule in spec['finding_rules'] -%}
    {%- set kind = "case when " ~ rule['when'] ~ " then '" ~ rule['finding'] ~ "' end" -%}
    {%- do selects.append(crm_finding_select(table_name, relation, rule['column'], kind)) -%}
{%- endfor -%}
{{ return(selects | join('\n    union all\n')) }}
{% endmacro %}

{% macro crm_finding_select(table_name, relation, column_name, kind_expr) -%}
    select
        '{{ table_name }}' as table_name,
        dq_row_key as row_key,
        '{{ column_name }}' as column_name,
        finding,
        raw_value
    from (
        select
            dq_row_key,
            {{ kind_expr }} as finding,
            raw_{{ column_name }} as raw_value
        from {{ relation }}
        where reject_reason is null
    ) as checked
    where finding is not null
{%- endmacro %}
