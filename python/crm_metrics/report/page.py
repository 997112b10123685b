"""Rendering: the page around the tiles and the charts, each chart's rows embedded as JSON, and
plotly.js and report.js (which draws) inlined."""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

from crm_metrics.errors import CrmMetricsError, database_error
from crm_metrics.report.charts import CHARTS, SECTIONS
from crm_metrics.report.core import FILTERS, Chart, Rows, read_chart_rows
from crm_metrics.report.tiles import read_tiles, tiles_html
from crm_metrics.serving import as_of_text


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="report", unit="chart", file=sys.stderr, disable=not enabled)


def _script_json(element_id: str, payload: Any) -> str:
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    # `</` inside a <script> would end it early: escape the slash (still valid JSON).
    text = text.replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _json_block(chart_key: str, payload: dict[str, Any]) -> str:
    return _script_json(f"data-{chart_key}", payload)


def _filter_note(chart: Chart) -> str:
    missing = [name for name in FILTERS if name not in chart.filters]
    if not missing:
        return ""
    return (
        f"The {' and '.join(missing)} filter{'s do' if len(missing) > 1 else ' does'} not apply "
        f"here: {chart.schema}.{chart.mart} has no such column."
    )


def _section_html(chart: Chart, rows: Rows | None) -> str:
    note = f'<p class="note">{html.escape(chart.note)}</p>' if chart.note else ""
    not_applied = _filter_note(chart)
    applies = (
        f'<p class="filters-note" id="filters-note-{chart.key}">{html.escape(not_applied)}</p>'
        if not_applied
        else ""
    )
    wide = " wide" if chart.kind == "table" else ""  # a table takes the whole width
    body = (
        f'<div class="table-wrap" id="chart-{chart.key}"></div>'
        if chart.kind == "table"
        else f'<div class="plot" id="chart-{chart.key}"></div>'
    )
    # Column names once, then one array of values per row: half the size of repeated keys.
    columns = list(rows[0]) if rows else []
    payload = {
        "chart": chart.key,
        "mart": chart.mart,
        "built": rows is not None,
        "columns": columns,
        "rows": [[row[column] for column in columns] for row in rows or []],
    }
    return (
        f'<section class="chart{wide}" id="section-{chart.key}">'
        f"<h3>{html.escape(chart.question)}</h3>"
        f'<p class="source">Source: {chart.schema}.{chart.mart}</p>{note}{applies}{body}'
        f"{_json_block(chart.key, payload)}</section>"
    )


def _chart_specs() -> list[dict[str, Any]]:
    return [
        {
            "key": chart.key,
            "kind": chart.kind,
            "spec": chart.spec,
            "filters": list(chart.filters),
            "mart": chart.mart,
            "question": chart.question,
        }
        for chart in CHARTS
    ]


def build_report(database: Path, out: Path, *, progress: bool = True) -> Path:
    """Write the report for `database` to `out`; return the path written."""
    import duckdb
    import plotly
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

    by_section: dict[str, list[str]] = {key: [] for key, _ in SECTIONS}
    with _progress(len(CHARTS) + 2, progress) as bar:
        try:
            as_of = as_of_text(connection)
            tiles, windows = read_tiles(connection)
            bar.update(1)
            for chart in CHARTS:
                bar.set_postfix_str(chart.key)
                by_section[chart.section].append(
                    _section_html(chart, read_chart_rows(connection, chart))
                )
                bar.update(1)
        except duckdb.Error as exc:
            raise database_error(database, exc) from None
        finally:
            connection.close()

        bar.set_postfix_str("writing")
        sections = "\n".join(
            f'<h2 class="area" id="area-{key}">{html.escape(name)}</h2>'
            f'<div class="charts">{"".join(by_section[key])}</div>'
            for key, name in SECTIONS
        )
        tiles_payload = {
            "windows": windows,
            "tiles": [
                {
                    "key": tile.key,
                    "label": tile.label,
                    "value": tile.value,
                    "previous": tile.previous,
                    "change": tile.change,
                    "format": tile.format,
                    "basis": tile.basis,
                }
                for tile in tiles
            ],
        }
        page = _PAGE.format(
            plotly_version=html.escape(plotly.__version__),
            plotly_js=get_plotlyjs(),
            as_of=html.escape(as_of or "unknown"),
            database=html.escape(database.name),
            tiles=tiles_html(tiles),
            sections=sections,
            tiles_json=_script_json("report-tiles", tiles_payload),
            charts_json=_script_json("report-charts", _chart_specs()),
            script=_SCRIPT_PATH.read_text(encoding="utf-8"),
        )
        out = out.expanduser()
        if out.parent != Path():
            out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
        bar.update(1)
    return out.resolve()


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRM metrics report, as of {as_of}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1280px; padding: 0 1rem 2rem;
       color: #222; }}
h1 {{ margin: 0.8rem 0 0.2rem; }}
.meta, .source, .note, .filters-note {{ color: #555; font-size: 0.85rem; margin: 0.15rem 0; }}
.filters-note {{ color: #8a5a00; }}
.filters {{ position: sticky; top: 0; z-index: 10; background: #fff; border-bottom: 1px solid #ddd;
           padding: 0.5rem 0; display: flex; gap: 1.2rem; flex-wrap: wrap; align-items: center; }}
.filters label {{ font-size: 0.9rem; }}
.filters select {{ font-size: 0.9rem; margin-left: 0.3rem; }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 0.7rem;
         margin: 0.8rem 0; }}
.tile {{ border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem 0.8rem; background: #fafafa; }}
.tile-label {{ font-size: 0.85rem; color: #555; }}
.tile-value {{ font-size: 1.6rem; font-weight: 600; margin: 0.2rem 0; }}
.tile-change {{ font-size: 0.85rem; }}
.tile-change.up {{ color: #1a7f37; }} .tile-change.down {{ color: #c62828; }}
.tile-basis {{ font-size: 0.75rem; color: #777; margin-top: 0.2rem; }}
h2.area {{ margin: 1.4rem 0 0.5rem; border-bottom: 2px solid #333; padding-bottom: 0.2rem; }}
.charts {{ display: grid; gap: 1rem;
          grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); }}
.chart {{ border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 0.8rem; min-width: 0; }}
.chart h3 {{ font-size: 1.05rem; margin: 0.2rem 0; }}
.plot {{ height: 380px; }}
.chart.wide {{ grid-column: 1 / -1; }}
.table-wrap {{ max-height: 420px; overflow: auto; }}
table.deals {{ border-collapse: collapse; font-size: 0.8rem; width: 100%; }}
table.deals th {{ position: sticky; top: 0; background: #f0f0f0; cursor: pointer; text-align: left;
                 padding: 0.25rem 0.4rem; white-space: nowrap; }}
table.deals td {{ border-top: 1px solid #eee; padding: 0.2rem 0.4rem; }}
table.deals td.num {{ text-align: right; }}
.no-data {{ color: #888; font-size: 1.2rem; text-align: center; padding: 3rem 0; }}
</style>
</head>
<body>
<h1>CRM metrics report</h1>
<p class="meta">As of {as_of} &middot; database {database} &middot; plotly {plotly_version}.
Reps, teams and segments are shown by name. The data behind each chart is embedded as JSON
(script elements with id data-&lt;chart&gt;).</p>
<div class="filters" id="filters">
<label>Segment <select id="filter-segment"><option value="">all</option></select></label>
<label>Team <select id="filter-team"><option value="">all</option></select></label>
<label>From <select id="filter-from"></select></label>
<label>To <select id="filter-to"></select></label>
<span class="meta">Rates are recomputed from the filtered counts. The tiles are for the whole
company.</span>
</div>
<h2 class="area" id="area-headlines">Headlines for the as-of month</h2>
<div class="tiles" id="tiles">{tiles}</div>
<p class="note">Each change compares the month to date with the same days of the previous month
(hover a tile for the days compared).</p>
{sections}
{tiles_json}
{charts_json}
<script type="text/javascript">{plotly_js}</script>
<script type="text/javascript">{script}</script>
</body>
</html>
"""

# Draws every chart from its embedded rows and redraws on a filter change (report.js, beside
# this file, inlined into the page).
_SCRIPT_PATH = Path(__file__).with_name("report.js")
