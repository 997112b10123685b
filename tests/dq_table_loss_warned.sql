{#
    Warning: a raw table (required or optional) lost rows to rejects other than
    deleted_in_source, exact_duplicate and other_pipeline, and they reach var dq_loss_warn_share
    (default 0.10) of its rows read. One row per such table with its message (dq_table_alerts:
    the main reason that lost rows, its count and an example row); `crm-metrics build` prints
    them as WARNING lines at the top of its summary. A required table that lost every row is
    the error of dq_required_table_not_all_rejected instead.
#}
{{ config(severity='warn') }}

select
    table_name,
    message
from {{ ref('dq_table_alerts') }}
where is_loss_warned and not (is_all_rejected and is_required)
