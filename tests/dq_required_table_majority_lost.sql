{#
    Warning: one reject reason lost more than half of a required raw table's rows (and some
    rows were accepted: none accepted is the error of dq_required_table_not_all_rejected). One
    row per such table with its message (dq_table_alerts); `crm-metrics build` prints them.
#}
{{ config(severity='warn') }}

select
    table_name,
    message
from {{ ref('dq_table_alerts') }}
where is_majority_lost and not is_all_rejected
