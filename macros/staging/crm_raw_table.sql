{#
    The raw table behind a staging model, as the contract describes it. crm_raw_table(name)
    returns a dict:
      - sql: a subquery with every contract column as text `raw_<column>`, plus
        `source_reject_reason` (a source adapter's own reason, such as deleted_in_source, or
        deleted_in_source where the raw table's deleted marker says so; null otherwise) and,
        when the table carries the loaded-at marker, `dq_loaded_at` (a timestamp);
      - versions: true when it carries the loaded-at marker (the staging model then keeps the
        latest load of each key and marks the older rows superseded);
      - deleted: true when it carries the deleted marker.
    The markers (docs/raw-data.md "Loads") are the columns named by vars crm_loaded_at_column
    (default _loaded_at) and crm_deleted_column (default _deleted); a table without them
    compiles to the same SQL as before they existed.

    This is the one macro that reads the warehouse while compiling (through
    crm_present_columns): which columns the raw relation has.
      - absent optional column: null;
      - absent required column or required table: the build fails naming them;
      - absent optional table: an empty stand-in with the contract's columns.
    Without a warehouse to read (at parse time, and with var crm_compile_offline, which the
    lint's templater sets in .sqlfluff) every contract column and both markers are taken as
    present (as text), so the lint reads the longest form.
    The raw relation comes from crm_raw_relation (macros/adapters): the contract's tables or a
    source adapter's models.
#}
{% macro crm_raw_table(table_name) %}
{%- set spec = crm_raw_contract()['tables'][table_name] -%}
{%- set src = crm_raw_relation(table_name) -%}
{%- set present = crm_present_columns(src, table_name, spec) -%}
{%- set has_source_reason = crm_source_system() != 'contract'
    and table_name in crm_source_systems()[crm_source_system()] -%}
{%- set loaded_at = none if present is none else present.get('_loaded_at') -%}
{%- set deleted = none if present is none else present.get('_deleted') -%}
{%- set reason = 'source_reject_reason' if has_source_reason and present is not none
    else 'cast(null as ' ~ dbt.type_string() ~ ')' -%}
{%- if deleted is not none -%}
    {%- set deleted_reason = "case when " ~ crm_load_deleted(table_name, deleted)
        ~ " then 'deleted_in_source' end" -%}
    {%- set reason = ('coalesce(source_reject_reason, ' ~ deleted_reason ~ ')')
        if has_source_reason else deleted_reason -%}
{%- endif -%}
{%- set sql -%}
(
    select
    {%- for col in spec['columns'] %}
        {%- if present is not none and present[col['name']] is not none %}
        cast({{ adapter.quote(present[col['name']]) }} as {{ dbt.type_string() }}) as raw_{{ col['name'] }},
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as raw_{{ col['name'] }},
        {%- endif %}
    {%- endfor %}
        {{ reason }} as source_reject_reason
    {%- if loaded_at is not none %},
        {{ crm_load_instant(table_name, loaded_at) }} as dq_loaded_at
    {%- endif %}
    {%- if present is not none %}
    from {{ src }}
    {%- else %}
    where 1 = 0
    {%- endif %}
) as raw_rows
{%- endset -%}
{{ return({'sql': sql, 'versions': loaded_at is not none, 'deleted': deleted is not none}) }}
{%- endmacro %}


{#-
    The loaded-at marker `column` (an entry of crm_present_columns: name and data type) as a
    timestamp in UTC: a timestamp (one with a time zone converted) or a date as it is; a number
    as epoch seconds; text as ISO 8601 (crm_parse_timestamp) or as epoch seconds with an
    optional fraction (dlt's _dlt_load_id). Any other non-empty text fails the query naming the
    table, the column and the value: an instant misread would pick the wrong version.
-#}
{% macro crm_load_instant(table_name, column) %}
    {%- set sql = adapter.quote(column['name']) -%}
    {%- set data_type = column['type'] or 'text' -%}
    {%- if data_type.startswith('timestamp') or data_type.startswith('date') -%}
        {{ crm_adapter_utc({'sql': sql, 'type': data_type}) }}
    {%- elif crm_load_is_number_type(data_type) -%}
        {{ crm_epoch_seconds_timestamp(sql) }}
    {%- else -%}
        {%- set text = "nullif(trim(cast(" ~ sql ~ " as " ~ dbt.type_string() ~ ")), '')" -%}
        {%- set message = "'Raw table " ~ table_name ~ ": load marker column " ~ column['name']
            ~ " (var crm_loaded_at_column) holds ''' || " ~ text
            ~ " || ''', which is no timestamp (ISO 8601, or epoch seconds)'" %}
    case
        when {{ text }} is null then null
        when {{ crm_parse_timestamp(text) }} is not null
            then {{ crm_parse_timestamp(text) }}
        when {{ crm_regex_full_match(text, '[0-9]+([.][0-9]+)?') }}
            then {{ crm_epoch_seconds_timestamp(text) }}
        else cast(cast({{ crm_raise_error(message) }} as {{ dbt.type_string() }}) as {{ dbt.type_timestamp() }})
    end
    {%- endif -%}
{%- endmacro %}


{#-
    The deleted marker `column` as a boolean, never null: a boolean as it is (null: false); a
    timestamp or date (Stitch's _sdc_deleted_at, Airbyte's _ab_cdc_deleted_at): true when not
    null; a number: true when not 0; text: empty is false, a boolean word (true/false, t/f, 1/0,
    yes/no, y/n, any case) its value, an ISO 8601 instant true. Any other text fails the query
    naming table, column and value.
-#}
{% macro crm_load_deleted(table_name, column) %}
    {%- set sql = adapter.quote(column['name']) -%}
    {%- set data_type = column['type'] or 'text' -%}
    {%- if data_type.startswith('bool') -%}
        coalesce({{ sql }}, false)
    {%- elif data_type.startswith('timestamp') or data_type.startswith('date') -%}
        ({{ sql }} is not null)
    {%- elif crm_load_is_number_type(data_type) -%}
        coalesce({{ sql }} <> 0, false)
    {%- else -%}
        {%- set text = "nullif(trim(cast(" ~ sql ~ " as " ~ dbt.type_string() ~ ")), '')" -%}
        {%- set message = "'Raw table " ~ table_name ~ ": load marker column " ~ column['name']
            ~ " (var crm_deleted_column) holds ''' || " ~ text
            ~ " || ''', which is no boolean and no ISO 8601 timestamp'" -%}
        (case
            when {{ text }} is null then false
            when {{ crm_parse_boolean(text) }} is not null then {{ crm_parse_boolean(text) }}
            when {{ crm_parse_timestamp(text) }} is not null then true
            else cast(cast({{ crm_raise_error(message) }} as {{ dbt.type_string() }}) as boolean)
        end)
    {%- endif -%}
{%- endmacro %}


{#- True for a numeric data type as the engines spell it in their catalogues. -#}
{% macro crm_load_is_number_type(data_type) %}
    {%- for prefix in ['tinyint', 'smallint', 'integer', 'int', 'bigint', 'hugeint', 'ubigint',
        'uinteger', 'usmallint', 'utinyint', 'double', 'float', 'real', 'decimal', 'numeric'] -%}
        {%- if data_type.startswith(prefix) -%}{{ return(true) }}{%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}


{#- Epoch seconds (a number, or the text of one) as a timestamp in UTC, to the microsecond. -#}
{% macro crm_epoch_seconds_timestamp(expr) -%}
    {{ return(adapter.dispatch('crm_epoch_seconds_timestamp', 'crm_metrics')(expr)) }}
{%- endmacro %}

{% macro default__crm_epoch_seconds_timestamp(expr) -%}
    make_timestamp(cast(round(cast({{ expr }} as double) * 1000000) as bigint))
{%- endmacro %}

{% macro postgres__crm_epoch_seconds_timestamp(expr) -%}
    (to_timestamp(cast({{ expr }} as double precision)) at time zone 'UTC')
{%- endmacro %}

{% macro spark__crm_epoch_seconds_timestamp(expr) -%}
    timestamp_micros(cast(round(cast({{ expr }} as double) * 1000000) as bigint))
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
    adapter without the table); and the load markers, under keys `_loaded_at` and `_deleted`:
    {'name': the actual column, 'type': its data type in lower case}, or none when absent. At
    parse time, and with var crm_compile_offline, every column and marker is taken as present.
    Raises for an absent required table or required column.
-#}
{% macro crm_present_columns(src, table_name, spec) %}
    {%- set names = {} -%}
    {%- if src is none -%}{{ return(none) }}{%- endif -%}
    {%- if not execute or var('crm_compile_offline', false) -%}
        {%- for col in spec['columns'] -%}{%- do names.update({col['name']: col['name']}) -%}{%- endfor -%}
        {%- for marker, var_name, default in crm_load_marker_vars() -%}
            {%- do names.update({marker: {'name': var(var_name, default), 'type': none}}) -%}
        {%- endfor -%}
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
    {%- set types = {} -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do actual.update({column.name | lower: column.name}) -%}
        {%- do types.update({column.name | lower: column.data_type | lower}) -%}
    {%- endfor -%}
    {%- for marker, var_name, default in crm_load_marker_vars() -%}
        {%- set wanted = (var(var_name, default) or '') | lower -%}
        {%- do names.update({marker: {'name': actual[wanted], 'type': types[wanted]}
            if wanted in actual else none}) -%}
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


{#- The load markers: (key in crm_present_columns, the var naming the raw column, its default). -#}
{% macro crm_load_marker_vars() %}
    {{ return([
        ('_loaded_at', 'crm_loaded_at_column', '_loaded_at'),
        ('_deleted', 'crm_deleted_column', '_deleted'),
    ]) }}
{%- endmacro %}
