"""`crm-metrics report`: one self-contained HTML page for a sales leader and a sales-ops analyst.

The page opens with headline tiles for the as-of month (`tiles.read_tiles`), then a section per
area of the metrics. Each chart reads one mart with one query and is titled by the question it
answers. The query's rows go into the page as JSON (`<script type="application/json"
id="data-<chart>">`: `columns`, then one array of values per row) at the grain the chart needs
plus the columns its filters use (`segment`, `team`, `month`), and the page draws every chart
from those rows in the browser with plotly.js (inlined once, about 4.8 MB, at the end of the page
so the tiles paint first; `report.js` draws): the segment, team and period filters re-aggregate
the rows and redraw, rates are recomputed from the filtered counts (a ratio of sums, never an
average of ratios), and a chart whose mart has no such column says the filter does not apply. No
network is needed to view it. A chart whose mart is missing or empty, or whose filtered rows are
empty, shows "no data".

The modules:
- `pipeline`, `activity`, `revenue`: one per area (the folders of models/marts), `product`
  (the marts of models/marts/activity built from product users, usage events and support
  tickets: usage, activation, support load, account health) and `data_quality` (what the build
  rejected, schema data_quality), each declaring its `SECTIONS` (key, heading) and its
  `CHARTS`, every chart's query beside how it is drawn;
- `core`: the `Chart` declaration, the rep-name join and the measure helpers they share;
- `tiles`: the headline tiles; `page`: the HTML around it all (`build_report`); `report.js`: the
  drawing and the filters in the browser; `charts`: the areas in page order.

Adding a mart's chart (every table of schema `marts` must have one: test_report.py fails on a
mart no chart reads): in the area module of the mart's folder, add one `Chart(...)` to `CHARTS`:
a new key, one of the module's section keys, the question it answers, the mart, the query (rep
ids through `rep()` and `users_join()`, months as `strftime(..., '%Y-%m') as month` when the
period filter applies, bands ordered by `band_order()`), a kind (usually `xy`, its measures
from `bar`, `line` and `ratio`: a rate as a ratio of summed counts, so the filters recompute it),
the filters whose columns the rows carry, and a note for what the title leaves open. For
example, a mart with a row per rep and month, a `won_count` and a `lost_count`:

    Chart(
        "win_rate_by_rep",
        "results",
        "Which reps win most of what they close?",
        "mart_x",
        f'''
        select {rep("x.owner_id")} as rep, coalesce(users.team, 'unknown') as team,
            strftime(x.period_month, '%Y-%m') as month, x.won_count, x.lost_count
        from marts.mart_x as x {users_join("x.owner_id")}
        ''',
        "xy",
        {"x": "rep", "x_sort": "-won_count", "x_limit": REPS_SHOWN,
         "measures": [ratio("win rate", ["won_count"], ["won_count", "lost_count"], type="bar")]},
        ("team", "period"),
    ),

Then add the mart to the exposure crm_metrics_report in models/exposures.yml (test_docs checks
it lists `READS`), and to test_report.py an expected-values function for the chart, computed in
plain Python from the mart's rows (`EXPECTED`). A new area is a module with `SECTIONS` and
`CHARTS`, listed in `charts.AREAS`.

Rules where the marts leave a choice (also stated on the page):
- Reps are shown by name (core.dim_users.full_name; the id when a user has no name); a rep's
  team, where the mart has only the rep's id, is the rep's team in core.dim_users.
- Headline changes compare the as-of month to date with the same days of the previous month
  (days 1 to the as-of day, the last day of a shorter month at most), never a partial month with
  a whole one; levels (open pipeline, MRR, ARR) compare the as-of date with the same day of the
  previous month's calendar where the mart is daily, month with month where it is monthly.
- Pipeline coverage on the tiles is open pipeline / (the month's company quota - bookings to
  date), null once the quota is reached. NRR on the tiles is the latest complete month's.
- The email response rate tile is the month to date (emails replied to / emails, same days as
  above). Cost per lead (all marketing spend / leads created), DAU/MAU and the mean health
  score are the latest complete month's (monthly marts: a partial month's MAU is not comparable
  with a whole one's). Activation velocity is over the 4 latest signup weeks whose 48 hours have
  all passed by the end of the as-of date, against the 4 weeks before. The persona tile shows
  the buyer persona (`unknown` left out) with the highest win rate among those with at least 10
  closed deals (any persona with a closed deal when none has 10), all time, without comparison.
"""

from crm_metrics.report.charts import CHARTS, READS, SECTIONS
from crm_metrics.report.core import Chart
from crm_metrics.report.page import build_report
from crm_metrics.report.tiles import WINDOWS_SQL, Tile, read_tiles

__all__ = [
    "CHARTS",
    "READS",
    "SECTIONS",
    "WINDOWS_SQL",
    "Chart",
    "Tile",
    "build_report",
    "read_tiles",
]
