{#
    Staging of one raw table of the contract (macros/generated/crm_raw_contract.sql).

    One row per raw row, nothing dropped. Columns:
      - every contract column, parsed to its type, trimmed and normalised (enums to their listed
        spelling, out-of-enum values to `other`/`unknown`, negative amounts to null, defaults for
        empty values);
      - dq_row_key: the key columns joined with '|', for messages and findings;
      - reject_reason: why the row cannot be used, from checks within this table only (missing
        or unparseable required value, negative required amount, a rule of the contract,
        duplicate key, exact duplicate, ambiguous history order); null when the row is usable.
        Rows sharing a key are the same row (`exact_duplicate`, the first kept) when every
        column has the same parsed value (crm_compare_value: the same instant written `Z` or
        `+00:00`, an amount written `1000` or `1000.00`), else they conflict.
        Checks that need another table (orphans, unknown stages) happen in intermediate;
      - raw_<column>: the raw value as text, untouched, for the reject tables and findings.

    Missing raw table: required → build failure; optional → an empty stand-in.
    The raw relation comes from crm_raw_relation (the contract's tables or a source adapter's
    models); an adapter's rows carry `source_reject_reason`, which comes before every check.
    Missing raw column: required → build failure naming table and column; optional → null.
#}
{% macro crm_stage(table_name) %}
{%- set spec = crm_raw_contract()['tables'][table_name] -%}
{%- set src = crm_raw_relation(table_name) -%}
{%- set present = crm_present_columns(src, table_name, spec) -%}
{#- a source adapter's own reason (deleted_in_source, ...), checked before every other one #}
{%- set has_source_reason = crm_source_system() != 'contract' and table_name in crm_source_systems()[crm_source_system()] -%}
{%- set key_cols = spec['key'] -%}
{%- set duplicate_reason = 'ambiguous_order' if table_name == 'opportunity_history' else 'duplicate_key' -%}
{%- if crm_uses_demo_seeds() %}
-- depends_on: {{ ref(table_name) }}
{%- endif %}
with

source_rows as (
    select
    {%- for col in spec['columns'] %}
        {%- if present is not none and present[col['name']] is not none %}
        cast({{ adapter.quote(present[col['name']]) }} as {{ dbt.type_string() }}) as raw_{{ col['name'] }}
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as raw_{{ col['name'] }}
        {%- endif %},
    {%- endfor %}
        {{ 'source_reject_reason' if has_source_reason and present is not none else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as source_reject_reason
    {%- if present is not none %}
    from {{ src }}
    {%- else %}
    {#- optional table absent: an empty stand-in with the contract's columns #}
    where 1 = 0
    {%- endif %}
),

trimmed as (
    select
        *,
    {%- for col in spec['columns'] %}
        nullif(trim(raw_{{ col['name'] }}), '') as text_{{ col['name'] }}{{ "," if not loop.last }}
    {%- endfor %}
    from source_rows
),

parsed as (
    select
        *,
    {%- for col in spec['columns'] %}
        {{ crm_parse_column(col, 'text_' ~ col['name']) }} as {{ col['name'] }}{{ "," if not loop.last }}
    {%- endfor %}
    from trimmed
),

row_checked as (
    select
        *,
        coalesce(
            source_reject_reason,
        {%- for col in spec['columns'] if col['required'] %}
            case
                when text_{{ col['name'] }} is null then 'missing_required:{{ col['name'] }}'
                when {{ col['name'] }} is null and {{ crm_parse_column(col, 'text_' ~ col['name'], keep_negative=true) }} is not null
                    then 'negative_value:{{ col['name'] }}'
                when {{ col['name'] }} is null then 'unparseable:{{ col['name'] }}'
            end,
        {%- endfor %}
        {%- for rule in spec['reject_rules'] %}
            case when {{ rule['when'] }} then '{{ rule['reason'] }}' end,
        {%- endfor %}
            cast(null as {{ dbt.type_string() }})
        ) as row_reject_reason,
        {{ crm_key_string(key_cols) }} as dq_row_key
    from parsed
),

{#-
    Duplicate-key checks. Speed: the window (min/max row hash and a row number per key) runs
    only over the rows whose key occurs more than once, found by a narrow group by; a window
    over every (wide) row was the costliest step of a build. Same results as a window over all
    rows (null key parts compare equal, as in a window partition).
-#}
key_counts as (
    select
        {{ key_cols | join(', ') }},
        count(*) as key_row_count
    from parsed
    group by {% for col in key_cols %}{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}
),

counted as (
    select
        row_checked.*,
        key_counts.key_row_count
    from row_checked
    inner join key_counts
        on
        {%- for col in key_cols %}
            {{ "and " if not loop.first }}row_checked.{{ col }} is not distinct from key_counts.{{ col }}
        {%- endfor %}
),

repeated_keys as (
    select
        *,
        {%- set compared = [] -%}
        {%- for col in spec['columns'] -%}{%- do compared.append(crm_compare_value(col)) -%}{%- endfor %}
        {{ crm_row_hash(compared) }} as row_hash
    from counted
    where key_row_count > 1
),

key_checked as (
    select
        *,
        cast(null as {{ dbt.type_string() }}) as key_min_hash,
        cast(null as {{ dbt.type_string() }}) as key_max_hash,
        1 as key_row_number
    from counted
    where key_row_count = 1
    union all
    select
        {%- for col in spec['columns'] %}
        raw_{{ col['name'] }},
        {%- endfor %}
        source_reject_reason,
        {%- for col in spec['columns'] %}
        text_{{ col['name'] }},
        {%- endfor %}
        {%- for col in spec['columns'] %}
        {{ col['name'] }},
        {%- endfor %}
        row_reject_reason,
        dq_row_key,
        key_row_count,
        min(row_hash) over (partition by {{ key_cols | join(', ') }}) as key_min_hash,
        max(row_hash) over (partition by {{ key_cols | join(', ') }}) as key_max_hash,
        row_number() over (
            partition by {{ key_cols | join(', ') }} order by row_hash
        ) as key_row_number
    from repeated_keys
),

final as (
    select
    {%- for col in spec['columns'] %}
        {{ col['name'] }},
    {%- endfor %}
        dq_row_key,
        coalesce(
            row_reject_reason,
            case
                when key_min_hash <> key_max_hash then '{{ duplicate_reason }}'
                when key_row_number > 1 then 'exact_duplicate'
            end
        ) as reject_reason,
    {%- for col in spec['columns'] %}
        raw_{{ col['name'] }}{{ "," if not loop.last }}
    {%- endfor %}
    from key_checked
)

select * from final
{% endmacro %}


{#-
    True when the raw tables are the bundled demo seeds: the contract path with neither raw_dir
    nor raw_schema set, and var crm_demo_seeds not false (see dbt_project.yml).
-#}
{% macro crm_uses_demo_seeds() -%}
    {{ return(var('raw_dir', none) is none and var('raw_schema', none) is none
        and var('source_system', 'contract') in (none, 'contract')
        and var('crm_demo_seeds', true) is not false) }}
{%- endmacro %}


{#- The key columns as one text value ('|'-joined, empty for null). -#}
{% macro crm_key_string(key_cols, prefix='') -%}
    {%- if key_cols | length == 1 -%}
        cast({{ prefix }}{{ key_cols[0] }} as {{ dbt.type_string() }})
    {%- else -%}
        {%- for col in key_cols -%}
            coalesce(cast({{ prefix }}{{ col }} as {{ dbt.type_string() }}), ''){{ " || '|' || " if not loop.last }}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#-
    Parse one contract column from a trimmed text expression. keep_negative=true skips the
    non-negative rule (used to tell a negative value from an unparseable one).
-#}
{% macro crm_parse_column(col, expr, keep_negative=false) -%}
    {%- set t = col['type'] -%}
    {%- if t == 'text' and col['enum'] -%}
        case
            when {{ expr }} is null then {{ "'" ~ col['default'] ~ "'" if col['default'] else 'null' }}
        {%- for value in col['enum'] %}
            when lower({{ expr }}) = '{{ value | lower }}' then '{{ value }}'
        {%- endfor %}
            else '{{ col['enum_fallback'] }}'
        end
    {%- elif t == 'text' -%}
        {%- set value = 'upper(' ~ expr ~ ')' if col['upper'] else expr -%}
        {%- if col['default'] -%} coalesce({{ value }}, '{{ col['default'] }}') {%- else -%} {{ value }} {%- endif -%}
    {%- elif t == 'boolean' -%}
        {{ crm_parse_boolean(expr) }}
    {%- elif t == 'date' and col['month_start'] -%}
        cast({{ dbt.date_trunc('month', crm_parse_date(expr)) }} as date)
    {%- elif t == 'date' -%}
        {{ crm_parse_date(expr) }}
    {%- elif t == 'timestamp' -%}
        {{ crm_parse_timestamp(expr) }}
    {%- else -%}
        {%- set number = crm_parse_integer(expr) if t == 'integer' else crm_parse_number(expr) -%}
        {%- if col['non_negative'] and not keep_negative -%}
            case when {{ number }} >= 0 then {{ number }} end
        {%- else -%}
            {{ number }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#-
    Which contract columns the raw relation has: a dict contract name → actual column name
    (matched case-insensitively), or none for an absent optional table (or `src` none: a source
    adapter without the table). At parse time every
    column is taken as present. Raises for an absent required table or required column.
-#}
{% macro crm_present_columns(src, table_name, spec) %}
    {%- set names = {} -%}
    {%- if src is none -%}{{ return(none) }}{%- endif -%}
    {%- if not execute -%}
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


{#-
    The value two rows are compared on for exact duplicates: the parsed value where the raw
    text parses, else the trimmed raw text (marked, so it never equals a parsed value). Enum
    values compare by their listed spelling when they are listed, else by their text (two
    different unknown values both normalised to `other` are not the same).
-#}
{% macro crm_compare_value(col) -%}
    {%- set text = 'text_' ~ col['name'] -%}
    {%- if col['type'] == 'text' and col['enum'] -%}
        case
            when {{ text }} is null then null
            when lower({{ text }}) = lower({{ col['name'] }}) then {{ col['name'] }}
            else 'raw:' || {{ text }}
        end
    {%- elif col['type'] == 'text' -%}
        {{ 'upper(' ~ text ~ ')' if col['upper'] else text }}
    {%- else -%}
        coalesce(cast({{ col['name'] }} as {{ dbt.type_string() }}), 'raw:' || {{ text }})
    {%- endif -%}
{%- endmacro %}
