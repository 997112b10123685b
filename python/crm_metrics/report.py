"""`crm-metrics report`: one self-contained HTML page of the charts a sales leader reads.

Each chart reads one mart of the built DuckDB file with one query (`CHARTS`), plots it with
plotly and puts the query's rows into the page as JSON (`<script type="application/json"
id="data-<chart>">`), so a test or a curious reader can check every chart against its mart.
plotly.js is inlined once (about 4.8 MB): the page needs no network to be viewed. A chart whose
mart is missing or empty shows "no data" instead of failing the whole report.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_metrics.errors import CrmMetricsError, database_error

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    mart: str
    sql: str
    plot: Callable[[Rows], Any]
    note: str = ""


# --- the queries: one per chart, each reading one mart ---------------------------------------

FUNNEL_SQL = """
select
    stage_name,
    stage_order,
    sum(reached_count) as reached_count,
    sum(advanced_count) as advanced_count,
    sum(won_count) as won_count
from marts.mart_funnel_conversion
group by 1, 2
order by stage_order, stage_name
"""

STAGE_DURATION_SQL = """
select stage_name, stage_order, outcome, deal_count, avg_days, median_days
from marts.mart_stage_duration
order by stage_order, stage_name, outcome
"""

PIPELINE_FLOW_SQL = """
select
    period_start,
    created_amount,
    reopened_amount,
    won_amount,
    lost_amount,
    amount_change,
    open_amount_end
from marts.mart_pipeline_flow
where grain = 'month'
order by period_start
"""

PIPELINE_TREND_SQL = """
select snapshot_date, stage_name, stage_order, open_count, open_amount
from marts.mart_pipeline_trend
order by snapshot_date, stage_order, stage_name
"""

WIN_RATE_SQL = """
select
    period_month,
    sum(won_count) as won_count,
    sum(lost_count) as lost_count,
    sum(won_count) / nullif(sum(won_count) + sum(lost_count), 0) as win_rate
from marts.mart_win_rate
group by 1
order by 1
"""

# Bookings vs quota by rep over the calendar year of the latest month in the mart (year to
# date); attainment is the year's bookings / the year's quota (null without a quota).
BOOKINGS_VS_QUOTA_SQL = """
with

latest as (
    select max(period_month) as last_month
    from marts.mart_quota_attainment
)

select
    attainment.owner_id,
    extract(year from latest.last_month) as year,
    sum(attainment.bookings_amount) as bookings_amount,
    sum(attainment.quota) as quota,
    sum(attainment.bookings_amount) / nullif(sum(attainment.quota), 0) as attainment
from marts.mart_quota_attainment as attainment
cross join latest
where extract(year from attainment.period_month) = extract(year from latest.last_month)
group by 1, 2
order by 1
"""

# The trailing twelve months up to the latest month of the mart.
MRR_MOVEMENTS_SQL = """
with

latest as (
    select max(period_month) as last_month
    from marts.mart_mrr_movements
)

select
    movements.period_month,
    movements.starting_mrr,
    movements.new_mrr,
    movements.expansion_mrr,
    movements.reactivation_mrr,
    movements.contraction_mrr,
    movements.churned_mrr,
    movements.ending_mrr
from marts.mart_mrr_movements as movements
cross join latest
where movements.period_month > latest.last_month - interval 12 month
order by 1
"""

COHORT_SQL = """
select
    cohort_month,
    months_since_start,
    cohort_customers,
    active_customers,
    logo_retention,
    revenue_retention
from marts.mart_cohort_mrr
order by 1, 2
"""

CHURN_SQL = """
select period_month, logo_churn_rate, net_revenue_retention, gross_revenue_retention
from marts.mart_churn
order by 1
"""


# --- the figures ---------------------------------------------------------------------------


def _layout(fig: Any, title: str, **extra: Any) -> Any:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        height=420,
        margin={"l": 60, "r": 30, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.15},
        **extra,
    )
    return fig


def _no_data(title: str, reason: str = "no data") -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_annotation(
        text=reason,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font={"size": 20, "color": "#888"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title)


def _funnel(rows: Rows) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Funnel(
            y=[row["stage_name"] for row in rows],
            x=[row["reached_count"] for row in rows],
            textinfo="value+percent initial",
            name="closed deals that reached the stage",
        )
    )
    return _layout(fig, "Funnel: closed deals that reached each stage")


def _stage_duration(rows: Rows) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for outcome, color in (("won", "#2ca02c"), ("lost", "#d62728")):
        subset = [row for row in rows if row["outcome"] == outcome]
        fig.add_bar(
            name=f"{outcome} (avg days)",
            x=[row["stage_name"] for row in subset],
            y=[row["avg_days"] for row in subset],
            marker_color=color,
            customdata=[[row["median_days"], row["deal_count"]] for row in subset],
            hovertemplate="%{x}: avg %{y:.1f} d, median %{customdata[0]:.1f} d, "
            "%{customdata[1]} deals<extra></extra>",
        )
    return _layout(fig, "Days in stage: won vs lost deals", barmode="group", yaxis_title="days")


def _pipeline_flow(rows: Rows) -> Any:
    import plotly.graph_objects as go

    months = [row["period_start"] for row in rows]
    fig = go.Figure()
    fig.add_bar(name="created", x=months, y=[row["created_amount"] for row in rows])
    fig.add_bar(name="reopened", x=months, y=[row["reopened_amount"] for row in rows])
    fig.add_bar(name="won", x=months, y=[-row["won_amount"] for row in rows])
    fig.add_bar(name="lost", x=months, y=[-row["lost_amount"] for row in rows])
    fig.add_bar(name="amount edits", x=months, y=[row["amount_change"] for row in rows])
    fig.add_scatter(
        name="open pipeline (month end)",
        x=months,
        y=[row["open_amount_end"] for row in rows],
        mode="lines+markers",
        line={"color": "black", "width": 2},
    )
    return _layout(
        fig, "Pipeline inflow and outflow by month", barmode="relative", yaxis_title="amount"
    )


def _pipeline_trend(rows: Rows) -> Any:
    import plotly.graph_objects as go

    stages: dict[str, int] = {}
    for row in rows:
        stages.setdefault(row["stage_name"], row["stage_order"])
    fig = go.Figure()
    for stage in sorted(stages, key=lambda name: (stages[name], name)):
        subset = [row for row in rows if row["stage_name"] == stage]
        fig.add_scatter(
            name=stage,
            x=[row["snapshot_date"] for row in subset],
            y=[row["open_amount"] for row in subset],
            mode="lines",
            stackgroup="open",
        )
    return _layout(fig, "Open pipeline by stage (end of day)", yaxis_title="open amount")


def _win_rate(rows: Rows) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_scatter(
        name="win rate",
        x=[row["period_month"] for row in rows],
        y=[row["win_rate"] for row in rows],
        mode="lines+markers",
        customdata=[[row["won_count"], row["lost_count"]] for row in rows],
        hovertemplate="%{x}: %{y:.0%} (%{customdata[0]} won, %{customdata[1]} lost)<extra></extra>",
    )
    return _layout(
        fig,
        "Win rate by closing month (won / closed)",
        yaxis={"tickformat": ".0%", "rangemode": "tozero"},
    )


def _bookings_vs_quota(rows: Rows) -> Any:
    import plotly.graph_objects as go

    reps = [row["owner_id"] for row in rows]
    year = rows[0]["year"]
    fig = go.Figure()
    fig.add_bar(name="bookings", x=reps, y=[row["bookings_amount"] for row in rows])
    fig.add_bar(
        name="quota",
        x=reps,
        y=[row["quota"] for row in rows],
        customdata=[row["attainment"] for row in rows],
        hovertemplate="%{x}: quota %{y:,.0f}, attainment %{customdata:.0%}<extra></extra>",
    )
    return _layout(fig, f"Bookings vs quota by rep, {year} to date", barmode="group")


def _mrr_waterfall(rows: Rows) -> Any:
    import plotly.graph_objects as go

    steps = [
        ("new", "new_mrr"),
        ("expansion", "expansion_mrr"),
        ("reactivation", "reactivation_mrr"),
        ("contraction", "contraction_mrr"),
        ("churn", "churned_mrr"),
    ]
    labels = [f"start {rows[0]['period_month']}"]
    values = [rows[0]["starting_mrr"]]
    for label, column in steps:
        labels.append(label)
        values.append(sum(row[column] for row in rows))
    labels.append(f"end {rows[-1]['period_month']}")
    values.append(rows[-1]["ending_mrr"])
    fig = go.Figure(
        go.Waterfall(
            x=labels,
            y=values,
            measure=["absolute"] + ["relative"] * len(steps) + ["total"],
            name="MRR",
        )
    )
    return _layout(fig, "MRR movements, trailing 12 months", yaxis_title="MRR")


def _cohorts(rows: Rows) -> Any:
    import plotly.graph_objects as go

    cohorts = sorted({row["cohort_month"] for row in rows})
    ages = sorted({row["months_since_start"] for row in rows})
    cell = {(row["cohort_month"], row["months_since_start"]): row for row in rows}
    z = [
        [cell[(cohort, age)]["logo_retention"] if (cohort, age) in cell else None for age in ages]
        for cohort in cohorts
    ]
    fig = go.Figure(
        go.Heatmap(
            x=ages,
            y=cohorts,
            z=z,
            colorscale="Blues",
            zmin=0,
            zmax=1,
            hovertemplate="cohort %{y}, month %{x}: %{z:.0%}<extra></extra>",
        )
    )
    return _layout(
        fig,
        "Cohort logo retention (active / cohort customers)",
        xaxis_title="months since start",
        yaxis={"type": "category", "autorange": "reversed"},
    )


def _churn(rows: Rows) -> Any:
    import plotly.graph_objects as go

    months = [row["period_month"] for row in rows]
    fig = go.Figure()
    fig.add_scatter(
        name="net revenue retention",
        x=months,
        y=[row["net_revenue_retention"] for row in rows],
        mode="lines+markers",
    )
    fig.add_scatter(
        name="logo churn rate",
        x=months,
        y=[row["logo_churn_rate"] for row in rows],
        mode="lines+markers",
        yaxis="y2",
    )
    return _layout(
        fig,
        "Net revenue retention and logo churn by month",
        yaxis={"title": "NRR", "tickformat": ".0%"},
        yaxis2={"title": "logo churn", "tickformat": ".1%", "overlaying": "y", "side": "right"},
    )


CHARTS: tuple[Chart, ...] = (
    Chart("funnel", "Funnel by stage", "mart_funnel_conversion", FUNNEL_SQL, _funnel),
    Chart(
        "stage_duration",
        "Stage duration, won vs lost",
        "mart_stage_duration",
        STAGE_DURATION_SQL,
        _stage_duration,
    ),
    Chart(
        "pipeline_flow",
        "Pipeline inflow / outflow",
        "mart_pipeline_flow",
        PIPELINE_FLOW_SQL,
        _pipeline_flow,
        "Won and lost amounts are drawn below zero; the line is the open pipeline at month end.",
    ),
    Chart(
        "pipeline_trend",
        "Pipeline trend by stage",
        "mart_pipeline_trend",
        PIPELINE_TREND_SQL,
        _pipeline_trend,
    ),
    Chart("win_rate", "Win rate over time", "mart_win_rate", WIN_RATE_SQL, _win_rate),
    Chart(
        "bookings_vs_quota",
        "Bookings vs quota by rep",
        "mart_quota_attainment",
        BOOKINGS_VS_QUOTA_SQL,
        _bookings_vs_quota,
    ),
    Chart(
        "mrr_movements",
        "MRR movements",
        "mart_mrr_movements",
        MRR_MOVEMENTS_SQL,
        _mrr_waterfall,
        "Starting MRR of the first month, the movements summed over the twelve months, "
        "ending MRR of the last month.",
    ),
    Chart("cohort_retention", "Cohort retention", "mart_cohort_mrr", COHORT_SQL, _cohorts),
    Chart("churn_nrr", "Churn and NRR", "mart_churn", CHURN_SQL, _churn),
)


# --- reading and writing ----------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _table_exists(connection: Any, name: str) -> bool:
    (count,) = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'marts' and table_name = ?",
        [name],
    ).fetchone()
    return count > 0


def read_chart_rows(connection: Any, chart: Chart) -> Rows | None:
    """The chart's rows (JSON-ready), or None when its mart is not in the database."""
    if not _table_exists(connection, chart.mart):
        return None
    cursor = connection.execute(chart.sql)
    columns = [description[0] for description in cursor.description]
    return [
        {column: _jsonable(value) for column, value in zip(columns, row, strict=True)}
        for row in cursor.fetchall()
    ]


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="report", unit="chart", file=sys.stderr, disable=not enabled)


def _json_block(chart_key: str, payload: dict[str, Any]) -> str:
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    # `</` inside a <script> would end it early: escape the slash (still valid JSON).
    text = text.replace("</", "<\\/")
    return f'<script type="application/json" id="data-{chart_key}">{text}</script>'


def build_report(database: Path, out: Path, *, progress: bool = True) -> Path:
    """Write the report for `database` to `out`; return the path written."""
    import duckdb
    import plotly
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    database = database.expanduser().resolve()
    if not database.is_file():
        raise CrmMetricsError(
            f"the database {database} does not exist; run `crm-metrics build` first"
        )
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise database_error(database, exc) from None

    sections = []
    with _progress(len(CHARTS) + 1, progress) as bar:
        try:
            as_of = _as_of_date(connection)
            for chart in CHARTS:
                bar.set_postfix_str(chart.key)
                rows = read_chart_rows(connection, chart)
                if rows is None:
                    figure = _no_data(chart.title, f"no data ({chart.mart} is not built)")
                elif not rows:
                    figure = _no_data(chart.title)
                else:
                    figure = chart.plot(rows)
                div = pio.to_html(
                    figure,
                    full_html=False,
                    include_plotlyjs=False,
                    div_id=f"chart-{chart.key}",
                    config={"displaylogo": False, "responsive": True},
                )
                payload = {"chart": chart.key, "mart": chart.mart, "rows": rows or []}
                note = f'<p class="note">{html.escape(chart.note)}</p>' if chart.note else ""
                sections.append(
                    f'<section class="chart" id="section-{chart.key}">'
                    f"<h2>{html.escape(chart.title)}</h2>"
                    f'<p class="source">Source: marts.{chart.mart}</p>{note}{div}'
                    f"{_json_block(chart.key, payload)}</section>"
                )
                bar.update(1)
        except duckdb.Error as exc:
            raise database_error(database, exc) from None
        finally:
            connection.close()

        bar.set_postfix_str("writing")
        page = _PAGE.format(
            plotly_version=html.escape(plotly.__version__),
            plotly_js=get_plotlyjs(),
            as_of=html.escape(as_of or "unknown"),
            database=html.escape(database.name),
            sections="\n".join(sections),
        )
        out = out.expanduser()
        if out.parent != Path():
            out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
        bar.update(1)
    return out.resolve()


def _as_of_date(connection: Any) -> str | None:
    from crm_metrics.serving import as_of_date

    value = as_of_date(connection)  # a serving snapshot's meta.snapshot, or int_as_of_date
    return _jsonable(value) if value is not None else None


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRM metrics report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem; }}
h1 {{ margin-bottom: 0.2rem; }}
.meta, .source, .note {{ color: #555; font-size: 0.9rem; margin: 0.2rem 0; }}
.charts {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr));
          gap: 1rem; }}
.chart {{ border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 0.8rem; }}
.chart h2 {{ font-size: 1.1rem; margin: 0.2rem 0; }}
</style>
<script type="text/javascript">{plotly_js}</script>
</head>
<body>
<h1>CRM metrics report</h1>
<p class="meta">As of {as_of} &middot; database {database} &middot; plotly {plotly_version}.
The data behind each chart is embedded as JSON (script elements with id data-&lt;chart&gt;).</p>
<div class="charts">
{sections}
</div>
<script>
// Each chart is drawn while the page is still being read, before the grid has all its cells:
// redraw at the final sizes once the page is loaded.
window.addEventListener("load", function () {{
  document.querySelectorAll(".js-plotly-plot").forEach(function (plot) {{
    Plotly.Plots.resize(plot);
  }});
}});
</script>
</body>
</html>
"""
