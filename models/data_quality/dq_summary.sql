{#
    One row per raw table × outcome × reason: how many rows were accepted, rejected (by reason),
    superseded (older loads of a key whose latest load is the record: reason `superseded`, a
    row only where there are some) or used with a finding (by finding and column), with an
    example key. For every table, rows read = accepted + rejected + superseded; findings count
    findings on accepted rows. It counts rejects, so it reads the validated tables themselves,
    not the accepted-row models.
#}
with

rows_read as (
    {% for table_name in crm_raw_contract()['tables'] -%}
        select
            '{{ table_name }}' as table_name,
            reject_reason,
            dq_row_key
        from {{ ref('int_' ~ table_name ~ '_validated') }}
        {% if not loop.last -%} union all {%- endif %}
    {% endfor %}
),

tables as (
    {% for table_name in crm_raw_contract()['tables'] -%}
        select '{{ table_name }}' as table_name
        {% if not loop.last -%} union all {%- endif %}
    {% endfor %}
),

accepted as (
    select
        tables.table_name,
        'accepted' as outcome,
        'accepted' as reason,
        count(rows_read.dq_row_key) as row_count,
        min(rows_read.dq_row_key) as example_key
    from tables
    left join rows_read
        on
            tables.table_name = rows_read.table_name
            and rows_read.reject_reason is null
    group by 1, 2, 3
),

rejected as (
    select
        table_name,
        'rejected' as outcome,
        reject_reason as reason,
        count(*) as row_count,
        min(dq_row_key) as example_key
    from rows_read
    where reject_reason is not null and reject_reason <> 'superseded'
    group by 1, 2, 3
),

-- no reject: the validated tables mark an older load of a key `superseded`
superseded as (
    select
        table_name,
        'superseded' as outcome,
        'superseded' as reason,
        count(*) as row_count,
        min(dq_row_key) as example_key
    from rows_read
    where reject_reason = 'superseded'
    group by 1, 2, 3
),

findings as (
    select
        table_name,
        'finding' as outcome,
        finding || ':' || column_name as reason,
        count(*) as row_count,
        min(row_key) as example_key
    from {{ ref('dq_findings') }}
    group by 1, 2, 3
),

final as (
    select * from accepted
    union all
    select * from rejected
    union all
    select * from superseded
    union all
    select * from findings
)

select * from final
