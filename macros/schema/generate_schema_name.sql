{#
    Custom schemas are used as given (`marts`, not `main_marts`) so that SQL clients and BI tools
    find the marts under a stable name. Without a custom schema a node lands in the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
