{#
    `dbt source freshness`: the latest load marker of a source table (its `loaded_at_field`,
    declared with the thresholds in the sources' YAML). Overrides dbt's collect_freshness (the
    root project's macro of that name is the one dbt runs, on every engine) so that:
      - a table without the marker column (the demo seeds, raw files without `_loaded_at`), or
        an optional table that is absent, is reported by a warning naming the table and the
        column instead of failing the run on a missing column. Its freshness cannot be
        measured: it is recorded as loaded now (age 0, status pass) and the warning says so;
        `--warn-error` turns the warning into a failure for those who want one;
      - the marker is read by the rule staging reads it with (macro crm_load_instant,
        macros/staging/crm_raw_table.sql): a timestamp as it is, text as ISO 8601 or epoch
        seconds (dlt), a number as epoch seconds; a value that is no instant fails, naming it.
    A loaded_at_field that is an expression rather than a column name is left to dbt's own
    macro.
#}
{% macro collect_freshness(source, loaded_at_field, filter) %}
    {%- set field = (loaded_at_field | string).strip().strip('"').strip('`') -%}
    {%- if not crm_is_plain_name(field) -%}
        {{ return(adapter.dispatch('collect_freshness', 'dbt')(source, loaded_at_field, filter)) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(
        database=source.database, schema=source.schema, identifier=source.identifier) -%}
    {%- set found = namespace(column=none) -%}
    {%- if relation is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name | lower == field | lower -%}
                {%- set found.column = column -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if found.column is none -%}
        {%- do exceptions.warn(
            "source table " ~ source.schema ~ "." ~ source.identifier ~ (" does not exist" if relation is none
                else " has no column " ~ field) ~ " (no load marker): its freshness is not "
            ~ "measured and is reported as loaded now"
        ) -%}
        {%- call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
            select
                {{ current_timestamp() }} as max_loaded_at,
                {{ current_timestamp() }} as snapshotted_at
        {%- endcall -%}
        {{ return(load_result('collect_freshness')) }}
    {%- endif -%}
    {%- call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
        {#- a load writes one marker value: text is parsed once per load, not once per row -#}
        select
            max({{ crm_load_instant(
                source.identifier, {'name': found.column.name, 'type': found.column.data_type | lower}
            ) }}) as max_loaded_at,
            {{ current_timestamp() }} as snapshotted_at
        from (
            select distinct {{ adapter.quote(found.column.name) }}
            from {{ relation }}
            {%- if filter %}
            where {{ filter }}
            {%- endif %}
        ) as markers
    {%- endcall -%}
    {{ return(load_result('collect_freshness')) }}
{% endmacro %}


{#- True when `text` is a plain column name (letters, digits, underscores). -#}
{% macro crm_is_plain_name(text) -%}
    {%- set allowed = 'abcdefghijklmnopqrstuvwxyz0123456789_' -%}
    {%- set plain = namespace(ok=(text | length) > 0) -%}
    {%- for character in text | lower -%}
        {%- if character not in allowed -%}{%- set plain.ok = false -%}{%- endif -%}
    {%- endfor -%}
    {{ return(plain.ok) }}
{%- endmacro %}
