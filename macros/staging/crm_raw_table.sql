{#
    The raw table behind a staging model, as the contract describes it: crm_raw_table(name) is
    a subquery with every contract column as text `raw_<column>` plus `source_reject_reason` (a
    source adapter's own reason, such as deleted_in_source; null otherwise).

    This is the one macro that reads the warehouse while compiling (through
    crm_present_columns): which columns the raw relation has.
      - absent optional column: null;
      - absent required column or required table: the build fails naming them;
      - absent optional table: an empty stand-in with the contract's columns.
    Without a warehouse to read (at parse time, and with var crm_compile_offline, which the
    lint's templater sets in .sqlfluff) every contract column is taken as present.
    The raw relation comes from crm_raw_relation (macros/adapters): the contract's tables or a
    source adapter's models.
#}
{% macro crm_raw_table(table_name) %}
{%- set spec = crm_raw_contract()['tables'][table_name] -%}
{%- set src = crm_raw_relation(table_name) -%}
{%- set present = crm_present_columns(src, table_name, spec) -%}
{%- set has_source_reason = crm_source_system() != 'contract'
    and table_name in crm_source_systems()[crm_source_system()] -%}
(
    select
    {%- for col in spec['columns'] %}
        {%- if present is not none and present[col['name']] is not none %}
        cast({{ adapter.quote(present[col['name']]) }} as {{ dbt.type_string() }}) as raw_{{ col['name'] }},
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as raw_{{ col['name'] }},
        {%- endif %}
    {%- endfor %}
        {{ 'source_reject_reason' if has_source_reason and present is not none
            else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as source_reject_reason
    {%- if present is not none %}
    from {{ src }}
    {%- else %}
    where 1 = 0
    {%- endif %}
) as raw_rows
{%- endmacro %}


{#-
    True when the raw tables are the bundled demo seeds: the contract path with neither raw_dir
    nor raw_schema set, and var crm_demo_seeds not false (see dbt_project.yml).
-#}
{% macro crm_uses_demo_seeds() -%}
    {{ return(var('raw_dir', none) is none and var('raw_schema', none) is none
        and var('source_system', 'contract') in (none, 'contract')
        and var('crm_demo_seeds', true) is not false) }}
{%- endmacro %}


{#-
    Which contract columns the raw relation has: a dict contract name → actual column name
    (matched case-insensitively), or none for an absent optional table (or `src` none: a source
    adapter without the table). At parse time, and with var crm_compile_offline, every column
    is taken as present. Raises for an absent required table or required column.
-#}
{% macro crm_present_columns(src, table_name, spec) %}
    {%- set names = {} -%}
    {%- if src is none -%}{{ return(none) }}{%- endif -%}
    {%- if not execute or var('crm_compile_offline', false) -%}
        {%- for col in spec['columns'] -%}{%- do names.update({col['name']: col['name']}) -%}{%- endfor -%}
        {{ return(names) }}
    {%- endif -%}
    {%- do crm_check_raw_schema() -%}
    {%- set relation = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
    {%- if relation is none -%}
        {%- if spec['required'] -%}
            {{ exceptions.raise_compiler_error(
                "Raw table '" ~ table_name ~ "' is required but was not found (looked for "
                ~ src ~ "). Provide " ~ table_name ~ ".csv or " ~ table_name
                ~ ".parquet in the raw folder, or the table in schema '" ~ src.schema ~ "'."
            ) }}
        {%- endif -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set actual = {} -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do actual.update({column.name | lower: column.name}) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for col in spec['columns'] -%}
        {%- set found = actual.get(col['name'] | lower) -%}
        {%- do names.update({col['name']: found}) -%}
        {%- if found is none and col['required'] -%}{%- do missing.append(col['name']) -%}{%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "Raw table '" ~ table_name ~ "' lacks required column(s) " ~ (missing | join(', '))
            ~ " (columns found: " ~ (actual.values() | list | join(', ')) ~ "). "
            ~ "Rename the column or see contract/raw_schema.yml."
        ) }}
    {%- endif -%}
    {{ return(names) }}
{% endmacro %}
