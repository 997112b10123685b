"""What every area module of the report shares: the `Chart` declaration, the rep label and team
joins, the measure helpers, and reading a chart's rows."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

Rows = list[dict[str, Any]]

FILTERS = ("segment", "team", "period")
REPS_SHOWN = 25  # charts with a bar per rep show the top reps only (readable at scale)


@dataclass(frozen=True)
class Chart:
    """One chart: `sql` reads `mart`; `kind` and `spec` tell the page how to draw the rows.

    `section`: the key of a section its area module declares (`SECTIONS`). `kind`: `xy`,
    `funnel`, `waterfall`, `heatmap` or `table` (report.js draws each). `filters`: the filters
    that apply (the rows then carry a `segment`, `team` or `month` column); `spec` for kind
    `xy`: `x` (column), `series` (column splitting the traces, or None), `measures` (each a
    trace per series value: `sum` of a column, or `num` / `den` lists of columns giving a ratio
    of sums; `type` bar or line; `y2` for the right axis), `colors` (a colour per series value),
    `x_order` / `series_order` (a column to order by), `x_sort` (`-column`: the biggest total
    first), `x_limit` (the first n x values only), `reference` (a dashed horizontal line); for
    kind `table`: `columns` (`[header, column]`, or `[header, column, decimals]`) and `unit`
    (what a row is, for the count above the table). `schema`: where `mart` is built.
    """

    key: str
    section: str
    question: str
    mart: str
    sql: str
    kind: str
    spec: dict[str, Any] = field(default_factory=dict)
    filters: tuple[str, ...] = ()
    note: str = ""
    schema: str = "marts"


# A rep's label and team. The label is the user's name; a name several users share gets the
# team, and where that is shared too, the id (the generator's and real CRMs' names repeat, and
# two reps must never be summed into one bar); the id when the user has no name.
_REP = "coalesce(users.rep_label, {id})"
_USERS = """left join (
    select
        user_id,
        team,
        case
            when count(*) over (partition by full_name) = 1 then full_name
            when count(*) over (partition by full_name, team) = 1
                then full_name || ' (' || team || ')'
            else full_name || ' (' || user_id || ')'
        end as rep_label
    from core.dim_users
) as users on users.user_id = {id}"""


def rep(column: str) -> str:
    """SQL: the label of the user whose id is `column` (needs `users_join(column)`)."""
    return _REP.format(id=column)


def users_join(column: str) -> str:
    """SQL: join the users (as `users`: `team`, `rep_label`) on the user id `column`."""
    return _USERS.format(id=column)


def bar(label: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"label": label, "sum": column, "type": "bar", **extra}


def line(label: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"label": label, "sum": column, "type": "line", **extra}


def ratio(label: str, num: list[str], den: list[str], **extra: Any) -> dict[str, Any]:
    return {"label": label, "num": num, "den": den, "type": "line", "format": ".0%", **extra}


def jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def exists(connection: Any, schema: str, name: str) -> bool:
    (count,) = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return count > 0


def read_chart_rows(connection: Any, chart: Chart) -> Rows | None:
    """The chart's rows (JSON-ready), or None when its mart is not in the database."""
    if not exists(connection, chart.schema, chart.mart):
        return None
    cursor = connection.execute(chart.sql)
    columns = [description[0] for description in cursor.description]
    return [
        {column: jsonable(value) for column, value in zip(columns, row, strict=True)}
        for row in cursor.fetchall()
    ]


def band_order(column: str) -> str:
    """SQL: the lower edge of a band label (`0-5k` 0, `5k-25k` 5000, `1.5k-5k` 1500, `100k+`
    100000), to draw bands in order; a label without one (`unknown`) last."""
    return (
        f"coalesce(try_cast(regexp_extract({column}, '^([0-9.]+)', 1) as double)"
        f" * case when regexp_matches({column}, '^[0-9.]+k') then 1000 else 1 end, 1e18)"
    )
