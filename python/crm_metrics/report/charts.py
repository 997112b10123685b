"""The page's areas in order, and what the report reads (assembled from the area modules)."""

from __future__ import annotations

from crm_metrics.report import activity, data_quality, pipeline, product, revenue
from crm_metrics.report.core import Chart

AREAS = (pipeline, activity, revenue, product, data_quality)

SECTIONS: tuple[tuple[str, str], ...] = tuple(
    section for area in AREAS for section in area.SECTIONS
)
CHARTS: tuple[Chart, ...] = tuple(chart for area in AREAS for chart in area.CHARTS)

# Every model the report reads (the charts' marts, the tiles' sources, the names' dimension):
# the exposure crm_metrics_report in models/exposures.yml declares the same list.
READS = frozenset(
    {chart.mart for chart in CHARTS}
    | {"dim_users", "fct_opportunities", "int_as_of_date", "mart_quota_attainment_summary"}
)


def _check() -> None:
    """Fail at import on a chart in an undeclared section or a repeated key (a typo in an area
    module would otherwise drop the chart from the page silently)."""
    sections = {key for key, _ in SECTIONS}
    keys = [chart.key for chart in CHARTS]
    unknown = sorted({chart.section for chart in CHARTS} - sections)
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if unknown or repeated:
        raise RuntimeError(f"report charts: unknown sections {unknown}, repeated keys {repeated}")


_check()
