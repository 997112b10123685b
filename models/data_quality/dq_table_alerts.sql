{#
    One row per required raw table that has rows: how many were read and accepted, the reason
    that lost the most rows (ties: the first reason alphabetically), its count, an example raw
    value and a hint about the likely cause. Read by two tests:
    tests/dq_required_table_not_all_rejected.sql (error: rows read, none accepted) and
    tests/dq_required_table_majority_lost.sql (warning: one reason lost more than half).
    The example is the raw value of the column the reason names (the row key when it names
    none) on the smallest rejected key.
#}
{%- set tables = crm_raw_contract()['tables'] -%}
{%- set reason_column = dbt.split_part('reject_reason', "':'", 2) -%}
{%- set numeric_date = "[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}.*" -%}
{%- set iso_shape = "[0-9]{4}-[0-9]{2}-[0-9]{2}.*" -%}
with

{% for table_name, spec in tables.items() if spec['required'] %}
    {{ table_name }}_reasons as (
        select
            '{{ table_name }}' as table_name,
            reject_reason,
            dq_row_key,
            case {{ reason_column }}
                {%- for col in spec['columns'] %}
                    when '{{ col['name'] }}' then raw_{{ col['name'] }}
                {%- endfor %}
                else dq_row_key
            end as example_value,
            case
                {%- for col in spec['columns'] %}
                    when {{ reason_column }} = '{{ col['name'] }}' then '{{ col['type'] }}'
                {%- endfor %}
            end as column_type
        from {{ ref('int_' ~ table_name ~ '_validated') }}
    ),

{% endfor %}
reasons as (
    {% for table_name, spec in tables.items() if spec['required'] -%}
        select * from {{ table_name }}_reasons
        {% if not loop.last -%} union all {%- endif %}
    {% endfor %}
),

table_counts as (
    select
        table_name,
        count(*) as rows_read,
        count(*) - count(reject_reason) as rows_accepted
    from reasons
    group by 1
),

reason_counts as (
    select
        table_name,
        reject_reason,
        count(*) as reason_rows,
        min(dq_row_key) as example_key,
        min(column_type) as column_type
    from reasons
    where reject_reason is not null
    group by 1, 2
),

main_reasons as (
    select
        *,
        row_number() over (
            partition by table_name order by reason_rows desc, reject_reason asc
        ) as reason_rank
    from reason_counts
),

examples as (
    select
        main_reasons.table_name,
        main_reasons.reject_reason,
        main_reasons.reason_rows,
        main_reasons.column_type,
        min(reasons.example_value) as example_value
    from main_reasons
    inner join reasons
        on
            main_reasons.table_name = reasons.table_name
            and main_reasons.reject_reason = reasons.reject_reason
            and main_reasons.example_key = reasons.dq_row_key
    where main_reasons.reason_rank = 1
    group by 1, 2, 3, 4
),

hinted as (
    select
        *,
        case
            when
                reject_reason like 'unparseable:%'
                and column_type in ('date', 'timestamp')
                and {{ crm_regex_full_match('trim(example_value)', numeric_date) }}
                then
                    'the value looks like a numeric month/day or day/month date; the raw files '
                    || 'take ISO 8601 (YYYY-MM-DD, YYYY-MM-DD HH:MM:SS): run crm-metrics import, '
                    || 'which detects the order, or convert the column'
            when
                reject_reason like 'unparseable:%'
                and column_type in ('date', 'timestamp')
                and {{ crm_regex_full_match('trim(example_value)', "[0-9]{10,13}") }}
                then
                    'the value looks like epoch seconds or milliseconds; the raw files take '
                    || 'ISO 8601 (YYYY-MM-DD HH:MM:SS)'
            when
                reject_reason like 'unparseable:%'
                and column_type in ('date', 'timestamp')
                and {{ crm_regex_full_match('trim(example_value)', iso_shape) }}
                then 'the value is shaped like ISO 8601 but names no real day or time'
            when reject_reason like 'unparseable:%' and column_type in ('date', 'timestamp')
                then 'the value is no ISO 8601 date (YYYY-MM-DD[ HH:MM:SS][offset])'
            when reject_reason like 'unparseable:%'
                then
                    'the value is no plain number (write 1234.5: no thousands separators, '
                    || 'currency symbols or decimal commas)'
            when reject_reason like 'missing_required:%'
                then 'the column is empty in these rows: map the export column that holds it'
            when reject_reason like 'negative_value:%'
                then 'the column must not be negative'
            when reject_reason like 'orphan:%'
                then
                    'no row of the referenced table has this key: check that both files come '
                    || 'from the same export and use the same ids'
            when reject_reason = 'unknown_stage'
                then 'the stage names differ from those of the stages table'
            when reject_reason = 'parent_rejected'
                then 'the rows they depend on were rejected: see that table''s reasons first'
            when reject_reason in ('duplicate_key', 'ambiguous_order')
                then
                    'the key repeats with different values: the export holds the same '
                    || 'record twice'
            when reject_reason = 'exact_duplicate'
                then 'the same row appears more than once: the export was appended twice'
            else 'see the rows in data_quality.dq_' || table_name || '_rejects'
        end as hint
    from examples
),

final as (
    select
        table_counts.table_name,
        table_counts.rows_read,
        table_counts.rows_accepted,
        hinted.reject_reason as main_reason,
        coalesce(hinted.reason_rows, 0) as main_reason_rows,
        hinted.example_value,
        hinted.hint,
        table_counts.rows_accepted = 0 as is_all_rejected,
        coalesce(hinted.reason_rows, 0) * 2 > table_counts.rows_read as is_majority_lost,
        'raw table ' || table_counts.table_name || ': '
        || case
            when table_counts.rows_accepted = 0
                then
                    'all ' || cast(table_counts.rows_read as {{ dbt.type_string() }})
                    || ' rows rejected'
            else
                cast(coalesce(hinted.reason_rows, 0) as {{ dbt.type_string() }}) || ' of '
                || cast(table_counts.rows_read as {{ dbt.type_string() }})
                || ' rows rejected for one reason'
        end
        || coalesce(
            '; main reason ' || hinted.reject_reason || ' ('
            || cast(hinted.reason_rows as {{ dbt.type_string() }}) || ' rows, e.g. '''
            || coalesce(hinted.example_value, '') || '''): ' || hinted.hint,
            ''
        )
        || ' (rows in data_quality.dq_' || table_counts.table_name || '_rejects)' as message
    from table_counts
    left join hinted on table_counts.table_name = hinted.table_name
)

select * from final
