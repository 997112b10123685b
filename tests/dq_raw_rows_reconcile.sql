{#
    Reconciliation: for every raw table, rows read = rows accepted + rows quarantined + rows
    superseded (older loads of a key, by the load markers; none in a table without them).

    Raw rows are counted straight from the raw relation (crm_raw_relation: the contract's table
    or a source adapter's model; not through staging), accepted and superseded rows
    from int_<table>_validated, quarantined rows from dq_<table>_rejects, and the summary's
    accepted + rejected + superseded from dq_summary. An absent optional table counts 0 raw
    rows. Returns one row per table where the counts disagree.
#}
{%- set tables = crm_raw_contract()['tables'] -%}
{%- set raw_selects = [] -%}
{%- for table_name in tables -%}
    {%- set src = crm_raw_relation(table_name) -%}
    {%- set relation = none if src is none else adapter.get_relation(
        database=src.database, schema=src.schema, identifier=src.identifier
    ) if execute else src -%}
    {%- if relation is not none -%}
        {%- do raw_selects.append(
            "select '" ~ table_name ~ "' as table_name, count(*) as raw_rows from " ~ src
        ) -%}
    {%- else -%}
        {%- do raw_selects.append("select '" ~ table_name ~ "' as table_name, 0 as raw_rows") -%}
    {%- endif -%}
{%- endfor %}
with

raw_counts as (
    {{ raw_selects | join('\n    union all\n    ') }}
),

accepted_counts as (
    {% for table_name in tables -%}
        select
            '{{ table_name }}' as table_name,
            count(case when reject_reason is null then 1 end) as accepted_rows,
            count(case when reject_reason = 'superseded' then 1 end) as superseded_rows
        from {{ ref('int_' ~ table_name ~ '_validated') }}
        {% if not loop.last -%} union all {%- endif %}
    {% endfor %}
),

rejected_counts as (
    {% for table_name in tables -%}
        select
            '{{ table_name }}' as table_name,
            count(*) as rejected_rows
        from {{ ref('dq_' ~ table_name ~ '_rejects') }}
        {% if not loop.last -%} union all {%- endif %}
    {% endfor %}
),

summary_counts as (
    select
        table_name,
        sum(row_count) as summary_rows
    from {{ ref('dq_summary') }}
    where outcome in ('accepted', 'rejected', 'superseded')
    group by 1
),

compared as (
    select
        raw_counts.table_name,
        raw_counts.raw_rows,
        accepted_counts.accepted_rows,
        rejected_counts.rejected_rows,
        accepted_counts.superseded_rows,
        summary_counts.summary_rows
    from raw_counts
    inner join accepted_counts
        on raw_counts.table_name = accepted_counts.table_name
    inner join rejected_counts
        on raw_counts.table_name = rejected_counts.table_name
    left join summary_counts
        on raw_counts.table_name = summary_counts.table_name
),

final as (
    select *
    from compared
    where
        raw_rows <> accepted_rows + rejected_rows + superseded_rows
        or summary_rows is null
        or summary_rows <> raw_rows
)

select * from final
