{#
    A build never ends green on nothing: a required raw table with rows and none accepted fails
    the build, with a message naming the table, the main reject reason, its count, an example
    raw value and a hint (dq_table_alerts). The messages of all such tables (causes first, tables
    rejected only as parent_rejected after them) are raised as the test's error, so every way of
    running the models (crm-metrics build, dbt build, dbt test) shows them. The raise sits in the
    filter behind a case, so it runs only when some table fails and is never pruned.
#}
{{ config(severity='error') }}

with

failing as (
    select
        table_name,
        message,
        main_reason = 'parent_rejected' as is_cascade
    from {{ ref('dq_table_alerts') }}
    where is_all_rejected and is_required
),

combined as (
    select
        count(*) as failing_tables,
        {{ dbt.listagg('message', "' | '", 'order by is_cascade, table_name') }} as message
    from failing
    having count(*) > 0
)

select
    failing_tables,
    message
from combined
where (case when failing_tables > 0 then {{ crm_raise_error('message') }} end) is null
