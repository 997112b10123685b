{#
    Custom schemas are used as given (`marts`, not `main_marts`) so that SQL clients and BI tools
    find the marts under a stable name. Without a custom schema a node lands in the target schema.

    Installed as a package in another dbt project (project_name is the root project's name),
    the root's warehouse is not ours to lay out: dbt's own naming applies there
    (`<target schema>_<custom schema>`, e.g. analytics_marts).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif project_name != 'crm_metrics' -%}
        {{ default__generate_schema_name(custom_schema_name, node) }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
