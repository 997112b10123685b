{#
    Parsing of raw text values. Raw columns arrive as text (or are cast to text first) and are
    parsed here; a value that does not parse gives null, never an error, so that the staging
    models can turn it into a reject or a finding. Dispatched: engines differ in their
    "try cast" and timestamp parsing.
#}

{% macro crm_try_cast(expr, data_type) -%}
    {{ return(adapter.dispatch('crm_try_cast', 'crm_metrics')(expr, data_type)) }}
{%- endmacro %}

{% macro default__crm_try_cast(expr, data_type) -%}
    try_cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{% macro postgres__crm_try_cast(expr, data_type) -%}
    {%- set t = data_type | lower -%}
    {%- if t in ('bigint', 'integer', 'int') -%}
        case when {{ expr }} ~ '^\s*[+-]?[0-9]+(\.0*)?\s*$' then cast(cast({{ expr }} as numeric) as {{ data_type }}) end
    {%- elif t in ('double', 'double precision', 'float') or t.startswith('decimal') or t.startswith('numeric') -%}
        case when {{ expr }} ~ '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$' then cast({{ expr }} as {{ 'double precision' if t == 'double' else data_type }}) end
    {%- elif t == 'date' -%}
        case when {{ expr }} ~ '^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}' then cast(substr(trim({{ expr }}), 1, 10) as date) end
    {%- elif t == 'timestamp' -%}
        case when {{ expr }} ~ '^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?\s*$' then cast({{ expr }} as timestamp) end
    {%- else -%}
        cast({{ expr }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#-
    The raw contract's ISO 8601: `YYYY-MM-DD`, optionally a time `HH:MM[:SS[.fff]]` after a space
    or `T`, optionally an offset `Z`, `+hh:mm`, `+hhmm` or `+hh`. Nothing else is read as a date
    (a `02/03/24` is unparseable, never year 2): the importers convert exports' own formats.
-#}
{% macro crm_iso_pattern(with_offset=false) -%}
    {%- set base = '[0-9]{4}-[0-9]{2}-[0-9]{2}' -%}
    {%- set time = '[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?' -%}
    {%- if with_offset -%}
        {{ base ~ time ~ ' ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)' }}
    {%- else -%}
        {{ base ~ '(' ~ time ~ ')?' }}
    {%- endif -%}
{%- endmacro %}

{#- True when the whole of `expr` matches the regular expression `pattern` (a SQL-safe literal). -#}
{% macro crm_regex_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('crm_regex_full_match', 'crm_metrics')(expr, pattern)) }}
{%- endmacro %}

{% macro default__crm_regex_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__crm_regex_full_match(expr, pattern) -%}
    ({{ expr }} ~ '^({{ pattern }})$')
{%- endmacro %}

{% macro spark__crm_regex_full_match(expr, pattern) -%}
    ({{ expr }} rlike '^({{ pattern }})$')
{%- endmacro %}

{#- A timestamp in UTC: values with an offset (`+02:00`, `+0200`, `Z`) are converted, others taken as UTC. -#}
{% macro crm_parse_timestamp(expr) -%}
    {{ return(adapter.dispatch('crm_parse_timestamp', 'crm_metrics')(expr)) }}
{%- endmacro %}

{% macro default__crm_parse_timestamp(expr) -%}
    {{ crm_metrics.crm_try_cast(expr, 'timestamp') }}
{%- endmacro %}

{% macro duckdb__crm_parse_timestamp(expr) -%}
    case
        when regexp_full_match({{ expr }}, '{{ crm_iso_pattern(with_offset=true) }}')
            then cast(timezone('UTC', try_cast({{ expr }} as timestamptz)) as timestamp)
        when regexp_full_match({{ expr }}, '{{ crm_iso_pattern() }}')
            then try_cast({{ expr }} as timestamp)
    end
{%- endmacro %}

{% macro postgres__crm_parse_timestamp(expr) -%}
    case
        when {{ expr }} ~ '^{{ crm_iso_pattern(with_offset=true) }}$'
            then cast({{ expr }} as timestamptz) at time zone 'UTC'
        when {{ expr }} ~ '^{{ crm_iso_pattern() }}$'
            then cast({{ expr }} as timestamp)
    end
{%- endmacro %}

{#- A date: an ISO date, or the date of an ISO timestamp (in UTC when it has an offset). -#}
{% macro crm_parse_date(expr) -%}
    {{ return(adapter.dispatch('crm_parse_date', 'crm_metrics')(expr)) }}
{%- endmacro %}

{#- The same on every engine: only a full ISO date is cast as a date; an ISO timestamp gives its
    (UTC) date. -#}
{% macro default__crm_parse_date(expr) -%}
    case
        when {{ crm_metrics.crm_regex_full_match(expr, '[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
            then {{ crm_metrics.crm_try_cast(expr, 'date') }}
        else cast({{ crm_metrics.crm_parse_timestamp(expr) }} as date)
    end
{%- endmacro %}

{% macro crm_parse_boolean(expr) -%}
    case
        when lower({{ expr }}) in ('true', 't', '1', 'yes', 'y') then true
        when lower({{ expr }}) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}

{#- Decimal numbers are parsed to double; money is read back as decimal (crm_money.sql). -#}
{% macro crm_parse_number(expr) -%}
    {{ crm_metrics.crm_try_cast(expr, 'double') }}
{%- endmacro %}

{% macro crm_parse_integer(expr) -%}
    {{ crm_metrics.crm_try_cast(expr, 'bigint') }}
{%- endmacro %}
