{#
    One row per raw table (required or optional) that has rows: how many were read, accepted and
    lost, the reason that rejected the most rows (ties: the first reason alphabetically) and the
    one that lost the most, each with its count, an example and a hint about the likely cause.
    Lost rows are rejects other than deleted_in_source, exact_duplicate and other_pipeline (a
    record the source deleted, a row read twice, a deal of another pipeline: nothing the marts
    should hold is missing). Rows read are the records, accepted + rejected: a superseded
    version (an older load of a key, outcome superseded in dq_summary) is neither read nor lost
    here, so a table loaded many times keeps the loss share of its records. Read by two tests: tests/dq_required_table_not_all_rejected.sql
    (error: a required table has rows and none is accepted) and tests/dq_table_loss_warned.sql
    (warning: the lost rows reach var dq_loss_warn_share of the rows read); `crm-metrics build`
    prints a WARNING line for each. Counts come from dq_summary; the example is the raw value of
    the column the reason names (the row key when it names none) on the reason's smallest
    rejected key, looked up in the validated table for those keys only.
#}
{%- set tables = crm_raw_contract()['tables'] -%}
{%- set reason_column = dbt.split_part('validated.reject_reason', "':'", 2) -%}
{%- set numeric_date = "[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}.*" -%}
{%- set iso_shape = "[0-9]{4}-[0-9]{2}-[0-9]{2}.*" -%}
{%- set not_lost = "('deleted_in_source', 'exact_duplicate', 'other_pipeline')" -%}
{%- set string_type = dbt.type_string() -%}
with

summary as (
    select table_name, outcome, reason, row_count, example_key
    from {{ ref('dq_summary') }}
    where outcome in ('accepted', 'rejected')
),

contract_tables as (
    {% for table_name, spec in tables.items() -%}
        select
            '{{ table_name }}' as table_name,
            {{ 'true' if spec['required'] else 'false' }} as is_required
        {% if not loop.last -%} union all {%- endif %}
    {% endfor %}
),

table_counts as (
    select
        contract_tables.table_name,
        contract_tables.is_required,
        cast(sum(summary.row_count) as bigint) as rows_read,
        cast(sum(
            case when summary.outcome = 'accepted' then summary.row_count else 0 end
        ) as bigint) as rows_accepted,
        cast(sum(
            case
                when summary.outcome = 'rejected' and summary.reason not in {{ not_lost }}
                    then summary.row_count
                else 0
            end
        ) as bigint) as lost_rows
    from contract_tables
    inner join summary on contract_tables.table_name = summary.table_name
    group by 1, 2
    having sum(summary.row_count) > 0
),

-- every reason ranked among all reasons (main_reason) and among those of its kind, lost or
-- not (main_loss_reason: the first lost one); ties go to the first reason alphabetically
reason_ranks as (
    select
        table_name,
        reason as reject_reason,
        row_count as reason_rows,
        example_key,
        reason not in {{ not_lost }} as is_loss,
        row_number() over (
            partition by table_name order by row_count desc, reason asc
        ) as reason_rank,
        row_number() over (
            partition by table_name, reason not in {{ not_lost }}
            order by row_count desc, reason asc
        ) as kind_rank
    from summary
    where outcome = 'rejected'
),

main_reasons as (
    select
        table_name,
        reject_reason,
        reason_rows,
        example_key,
        reason_rank = 1 as is_main,
        is_loss and kind_rank = 1 as is_main_loss
    from reason_ranks
    where reason_rank = 1 or (is_loss and kind_rank = 1)
),

{% for table_name, spec in tables.items() %}
    {{ table_name }}_examples as (
        select
            main_reasons.table_name,
            main_reasons.reject_reason,
            min(
                case {{ reason_column }}
                    {%- for col in spec['columns'] %}
                        when '{{ col['name'] }}' then validated.raw_{{ col['name'] }}
                    {%- endfor %}
                    else validated.dq_row_key
                end
            ) as example_value,
            min(
                case {{ reason_column }}
                    {%- for col in spec['columns'] %}
                        when '{{ col['name'] }}' then '{{ col['type'] }}'
                    {%- endfor %}
                end
            ) as column_type,
            min(
                case {{ reason_column }}
                    {%- for col in spec['columns'] %}
                        when '{{ col['name'] }}' then '{{ col['name'] }}'
                    {%- endfor %}
                end
            ) as column_name
        from main_reasons
        inner join {{ ref('int_' ~ table_name ~ '_validated') }} as validated
            on
                main_reasons.example_key = validated.dq_row_key
                and main_reasons.reject_reason = validated.reject_reason
        where main_reasons.table_name = '{{ table_name }}'
        group by 1, 2
    ),

{% endfor %}
examples as (
    {% for table_name in tables -%}
        select * from {{ table_name }}_examples
        {% if not loop.last -%} union all {%- endif %}
    {% endfor %}
),

described as (
    select
        main_reasons.*,
        examples.example_value,
        examples.column_type,
        examples.column_name
    from main_reasons
    left join examples
        on
            main_reasons.table_name = examples.table_name
            and main_reasons.reject_reason = examples.reject_reason
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
            when reject_reason = 'deleted_in_source'
                then 'the source deleted these records'
            when reject_reason = 'other_pipeline'
                then 'deals of another pipeline than var hubspot_pipeline_id'
            else
                'the rows break a rule of the raw contract for this table (reject_rules in '
                || 'contract/raw_schema.yml)'
        end as hint
    from described
),

main_reason as (
    select * from hinted
    where is_main
),

main_loss as (
    select * from hinted
    where is_main_loss
),

flagged as (
    select
        *,
        rows_accepted = 0 as is_all_rejected,
        lost_rows > 0
        and lost_rows >= {{ var('dq_loss_warn_share') }} * rows_read as is_loss_warned
    from table_counts
),

final as (
    select
        flagged.table_name,
        flagged.rows_read,
        flagged.rows_accepted,
        main_reason.reject_reason as main_reason,
        coalesce(main_reason.reason_rows, 0) as main_reason_rows,
        main_reason.example_value,
        main_reason.hint,
        flagged.is_all_rejected,
        coalesce(main_reason.reason_rows, 0) * 2 > flagged.rows_read as is_majority_lost,
        'raw table ' || flagged.table_name || ': '
        || case
            when flagged.is_all_rejected and flagged.is_required
                then
                    'all ' || cast(flagged.rows_read as {{ string_type }}) || ' rows rejected'
                    || coalesce(
                        '; main reason ' || main_reason.reject_reason || ' ('
                        || cast(main_reason.reason_rows as {{ string_type }})
                        || ' rows, e.g. ''' || coalesce(main_reason.example_value, '')
                        || '''): ' || main_reason.hint,
                        ''
                    )
            when flagged.is_loss_warned
                then
                    cast(flagged.lost_rows as {{ string_type }}) || ' of '
                    || cast(flagged.rows_read as {{ string_type }}) || ' rows lost ('
                    || cast(
                        cast(
                            round(100.0 * flagged.lost_rows / flagged.rows_read, 1)
                            as decimal(5, 1)
                        ) as {{ string_type }}
                    )
                    || '%); main reason ' || main_loss.reject_reason || ' ('
                    || cast(main_loss.reason_rows as {{ string_type }}) || ' rows, e.g. row '
                    || main_loss.example_key
                    || coalesce(
                        ' with ' || main_loss.column_name || ' '''
                        || coalesce(main_loss.example_value, '') || '''',
                        ''
                    )
                    || '): ' || main_loss.hint
            else
                cast(coalesce(main_reason.reason_rows, 0) as {{ string_type }}) || ' of '
                || cast(flagged.rows_read as {{ string_type }})
                || ' rows rejected for one reason'
                || coalesce(
                    '; main reason ' || main_reason.reject_reason || ' ('
                    || cast(main_reason.reason_rows as {{ string_type }}) || ' rows, e.g. '''
                    || coalesce(main_reason.example_value, '') || '''): ' || main_reason.hint,
                    ''
                )
        end
        || ' (rows in data_quality.dq_' || flagged.table_name || '_rejects)' as message,
        flagged.is_required,
        flagged.lost_rows,
        cast(flagged.lost_rows as {{ crm_double_type() }}) / flagged.rows_read as lost_share,
        main_loss.reject_reason as main_loss_reason,
        coalesce(main_loss.reason_rows, 0) as main_loss_reason_rows,
        main_loss.example_key as loss_example_key,
        flagged.is_loss_warned
    from flagged
    left join main_reason on flagged.table_name = main_reason.table_name
    left join main_loss on flagged.table_name = main_loss.table_name
)

select * from final
