{#
    Type names that differ between engines. DuckDB and Spark say `double`, PostgreSQL says
    `double precision`; DuckDB and PostgreSQL say `varchar`, Spark wants `string` (its varchar
    needs a length). Models cast with these macros; YAML contracts (where macros are not
    available) spell the same choice inline:
        data_type: "{{ 'double precision' if target.type == 'postgres' else 'double' }}"
        data_type: "{{ 'string' if target.type == 'spark' else 'varchar' }}"
#}

{% macro crm_double_type() -%}
    {{ return(adapter.dispatch('crm_double_type', 'crm_metrics')()) }}
{%- endmacro %}

{% macro default__crm_double_type() -%}
    double
{%- endmacro %}

{% macro postgres__crm_double_type() -%}
    double precision
{%- endmacro %}

{% macro crm_string_type() -%}
    {{ return(adapter.dispatch('crm_string_type', 'crm_metrics')()) }}
{%- endmacro %}

{% macro default__crm_string_type() -%}
    varchar
{%- endmacro %}

{% macro spark__crm_string_type() -%}
    string
{%- endmacro %}
