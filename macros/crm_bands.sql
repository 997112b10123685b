{#
    Bands over half-open intervals [lo, hi) from a list of edges (vars amount_band_edges,
    age_band_edges_days and employee_band_edges). Labels: amounts in thousands (`0-5k`,
    `5k-25k`, `100k+`), ages in days (`0-30d`, `180d+`), counts plain below 1000 and in
    thousands from 1000 (`50-250`, `250-1k`, `1.5k-5k`, `5k+`). A null value, or one below the
    first edge, is `unknown`.
#}
{% macro crm_band(expr, edges, unit) -%}
    {%- set labels = [] -%}
    {%- for edge in edges -%}
        {%- if unit == 'k' -%}
            {%- set text = (edge / 1000) | int if edge % 1000 == 0 else edge / 1000 -%}
            {%- do labels.append(('0' if edge == 0 else text ~ 'k')) -%}
        {%- elif unit == 'count' -%}
            {%- set text = (edge / 1000) | int if edge % 1000 == 0 else edge / 1000 -%}
            {%- do labels.append((edge | string) if edge < 1000 else text ~ 'k') -%}
        {%- else -%}
            {%- do labels.append(edge ~ 'd') -%}
        {%- endif -%}
    {%- endfor -%}
    case
    {%- for edge in edges | reverse %}
        {%- set i = edges | length - loop.index %}
        when {{ expr }} >= {{ edge }} then '
            {%- if i == edges | length - 1 -%}
                {{ labels[i] }}+
            {%- else -%}
                {{ labels[i] | replace('d', '') if unit == 'd' else labels[i] }}-{{ labels[i + 1] }}
            {%- endif -%}'
    {%- endfor %}
        else 'unknown'
    end
{%- endmacro %}

{% macro crm_amount_band(expr) -%}
    {{ crm_band(expr, var('amount_band_edges'), 'k') }}
{%- endmacro %}

{% macro crm_age_band(expr) -%}
    {{ crm_band(expr, var('age_band_edges_days'), 'd') }}
{%- endmacro %}

{% macro crm_employee_band(expr) -%}
    {{ crm_band(expr, var('employee_band_edges'), 'count') }}
{%- endmacro %}
