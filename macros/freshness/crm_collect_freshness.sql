{#
    `dbt source freshness`: the latest load marker of a source table (its `loaded_at_field`,
    declared with the thresholds in the sources' YAML). Overrides dbt's collect_freshness (the
    root project's macro of that name is the one dbt runs, on every engine) so that:
      - a table without the marker column (the demo seeds, raw files without `_loaded_at`), or
        an optional table that is absent, is reported by a warning naming the table and the
        column instead of failing the run on a missing column. Its freshness cannot be
        measured: it is recorded as loaded now (age 0, status pass) and the warning says so;
        `--warn-error` turns the warning into a failure for those who want one;
      - a marker written as text (a CSV file, ISO 8601 text, dlt's epoch seconds) or as epoch
        seconds is read as the instant it names (macro crm_loaded_at_instant).
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
            max({{ crm_loaded_at_instant(adapter.quote(found.column.name), found.column) }})
                as max_loaded_at,
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


{#-
    A load marker column as a timestamp: a timestamp as it is; a number as epoch seconds; text
    as epoch seconds when it is digits (dlt's _dlt_load_id), else as ISO 8601 (a value without
    an offset is UTC; on PostgreSQL and Spark, the session's time zone, UTC in profiles.yml's
    Spark target). A text that is not an instant counts as no marker on DuckDB (try_cast).
-#}
{% macro crm_loaded_at_instant(expression, column) -%}
    {%- if column.is_string() -%}
        {{ adapter.dispatch('crm_loaded_at_from_text', 'crm_metrics')(expression) }}
    {%- elif column.is_number() -%}
        {{ adapter.dispatch('crm_loaded_at_from_epoch', 'crm_metrics')(expression) }}
    {%- else -%}
        {{ expression }}
    {%- endif -%}
{%- endmacro %}

{% macro default__crm_loaded_at_from_epoch(expression) -%}
    to_timestamp(cast({{ expression }} as double precision))
{%- endmacro %}

{% macro duckdb__crm_loaded_at_from_epoch(expression) -%}
    timezone('UTC', to_timestamp(cast({{ expression }} as double)))
{%- endmacro %}

{% macro spark__crm_loaded_at_from_epoch(expression) -%}
    timestamp_seconds(cast({{ expression }} as double))
{%- endmacro %}

{% macro default__crm_loaded_at_from_text(expression) -%}
    case
        when trim({{ expression }}) ~ '^[0-9]+([.][0-9]+)?$'
            then {{ default__crm_loaded_at_from_epoch('trim(' ~ expression ~ ')') }}
        else cast(nullif(trim({{ expression }}), '') as timestamp with time zone)
    end
{%- endmacro %}

{#- DuckDB: an offset is honoured, a value without one is UTC whatever the session time zone -#}
{% macro duckdb__crm_loaded_at_from_text(expression) -%}
    case
        when regexp_full_match(trim({{ expression }}), '[0-9]+([.][0-9]+)?')
            then {{ duckdb__crm_loaded_at_from_epoch('trim(' ~ expression ~ ')') }}
        when regexp_matches(trim({{ expression }}), '[T ][0-9:.]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)$')
            then timezone('UTC', try_cast(trim({{ expression }}) as timestamp with time zone))
        else try_cast(nullif(trim({{ expression }}), '') as timestamp)
    end
{%- endmacro %}

{% macro spark__crm_loaded_at_from_text(expression) -%}
    case
        when trim({{ expression }}) rlike '^[0-9]+([.][0-9]+)?$'
            then {{ spark__crm_loaded_at_from_epoch('trim(' ~ expression ~ ')') }}
        else cast(nullif(trim({{ expression }}), '') as timestamp)
    end
{%- endmacro %}
