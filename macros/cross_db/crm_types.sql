{#
    Type names that differ between engines.
    - double: DuckDB and Spark say `double`, PostgreSQL `double precision`. Spelled once, in var
      crm_double_type of dbt_project.yml (by target.type), which both this macro (for SQL) and
      the model YAML contracts read (`data_type: "{{ var('crm_double_type')[target.type] }}"`:
      dbt renders model YAML without project macros).
    - text: contracts say `data_type: string`, which dbt aliases to each engine's text type;
      SQL casts use crm_string_type (`varchar`; Spark wants `string`, its varchar needs a length).
#}

{% macro crm_double_type() -%}
    {{ return(var('crm_double_type').get(target.type, 'double')) }}
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
