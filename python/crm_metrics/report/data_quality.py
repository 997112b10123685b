"""Data quality: what the build accepted from each raw table, and what it had to reject.

Tables of models/data_quality (schema `data_quality`). Add a chart by declaring a `Chart` in
`CHARTS` with `schema="data_quality"` (see the package docstring).
"""

from __future__ import annotations

from crm_metrics.report.core import Chart

SECTIONS = (("data_quality", "Data quality: the raw tables read"),)

CHARTS: tuple[Chart, ...] = (
    Chart(
        "raw_tables",
        "data_quality",
        "How much of each raw table did the build use?",
        "dq_table_alerts",
        """
        select
            table_name,
            case when is_required then 'required' else 'optional' end as required,
            rows_read,
            rows_accepted,
            rows_read - rows_accepted as rows_rejected,
            lost_rows,
            100 * lost_share as lost_percent,
            main_reason,
            main_reason_rows,
            example_value,
            hint
        from data_quality.dq_table_alerts
        order by lost_share desc, rows_read - rows_accepted desc, table_name
        """,
        "table",
        {
            "columns": [
                ["raw table", "table_name"],
                ["contract", "required"],
                ["rows read", "rows_read"],
                ["accepted", "rows_accepted"],
                ["rejected", "rows_rejected"],
                ["lost", "lost_rows"],
                ["% lost", "lost_percent", 2],
                ["main reject reason", "main_reason"],
                ["its rows", "main_reason_rows"],
                ["example value", "example_value"],
                ["likely cause", "hint"],
            ],
            "unit": "raw tables",
        },
        (),
        "Rejected rows are kept with their reason in data_quality.dq_<table>_rejects; lost = "
        "rejected rows the marts should hold (not a record deleted in the source, a row read "
        "twice or a deal of another pipeline). The tables losing the most come first.",
        schema="data_quality",
    ),
)
