"""Dates and datetimes as CRM exports write them: one detector for every importer.

Each date column of an export is scanned (its distinct values, in Python: a regular expression
per value, no parsing) and gets a format; the conversion itself is SQL run by DuckDB
(`ColumnFormat.sql`), writing the raw contract's ISO text in UTC.

Formats recognised, per value:

- ISO 8601: `2024-03-14`, `2024-03-14 09:30[:00[.123]]`, with `T` instead of the space, and an
  optional offset `Z`, `+02:00`, `+0200` or `+02` (converted to UTC).
- Epoch milliseconds (11 to 13 digits: the HubSpot API writes these).
- Numeric day and month: `03/14/2024`, `3/14/24`, `14.03.2024`, `14-03-2024`, with an optional
  time `9:30`, `09:30:15` or `9:30 PM`.

Rules:

- Month-first or day-first is decided by the values: a first part above 12 can only be a day
  (day-first), a second part above 12 only a day (month-first). One order holds for the whole
  export: a column, or two columns, with evidence of both orders is an error quoting one value
  of each. Where no value decides it, `date_order` decides (MDY by default, Salesforce's US
  default) and the notes say so.
- Two-digit years: 00-68 are 2000-2068, 69-99 are 1969-1999 (the POSIX rule).
- Datetimes without an offset are clock times in `timezone` (default UTC) and are converted to
  UTC; values with an offset are converted from it. A date column (a day, not an instant) is
  never shifted: a datetime written into a date field keeps its written day unless it has an
  offset, which converts it to the UTC day.
- A value that fits no format (or names no real day, such as 02/30/2024) is never guessed: it is
  passed through as written, counted with an example in the notes, and staging rejects the row
  (`unparseable:<column>`) or nulls the optional value with a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_metrics.errors import CrmMetricsError
from crm_metrics.sql import quote_literal

DATE_ORDERS = ("MDY", "DMY")
DEFAULT_DATE_ORDER = "MDY"
DEFAULT_TIMEZONE = "UTC"

_OFFSET = r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
_ISO_TIME = r"[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"
# Python patterns (scan) and the same patterns spelled for DuckDB's RE2 (conversion).
ISO_PATTERN = rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}(?:{_ISO_TIME}\s*{_OFFSET}?)?"
ISO_OFFSET_PATTERN = rf".*{_ISO_TIME}\s*{_OFFSET}"
EPOCH_MS_PATTERN = r"[0-9]{11,13}"
_NUMERIC_TIME = r"(?:[ T,]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\s*([AaPp][Mm])?)?"
NUMERIC_PATTERN = rf"([0-9]{{1,2}})([/.-])([0-9]{{1,2}})\2([0-9]{{4}}|[0-9]{{2}}){_NUMERIC_TIME}"

_ISO = re.compile(ISO_PATTERN)
_EPOCH = re.compile(EPOCH_MS_PATTERN)
_NUMERIC = re.compile(NUMERIC_PATTERN)
_ISO_OFFSET = re.compile(ISO_OFFSET_PATTERN)


@dataclass(frozen=True)
class NumericShape:
    """The written shape of a numeric date: separator, year digits and the time part."""

    separator: str
    year_digits: int
    time: str  # "" (no time), "hm", "hms"
    am_pm: bool

    def pattern(self) -> str:
        """RE2 pattern matching exactly the values of this shape."""
        sep = re.escape(self.separator)
        text = rf"[0-9]{{1,2}}{sep}[0-9]{{1,2}}{sep}[0-9]{{{self.year_digits}}}"
        if self.time:
            text += r"[ T,]+[0-9]{1,2}:[0-9]{2}"
            if self.time == "hms":
                text += r":[0-9]{2}"
            if self.am_pm:
                text += r"\s*[AaPp][Mm]"
        return text

    def strptime_format(self, order: str) -> str:
        sep = self.separator.replace("%", "%%")
        year = "%Y" if self.year_digits == 4 else "%y"
        first, second = ("%m", "%d") if order == "MDY" else ("%d", "%m")
        text = f"{first}{sep}{second}{sep}{year}"
        if self.time:
            hour = "%I" if self.am_pm else "%H"
            text += (
                f" {hour}:%M"
                + (":%S" if self.time == "hms" else "")
                + (" %p" if self.am_pm else "")
            )
        return text

    def describe(self, order: str) -> str:
        parts = ["MM", "DD"] if order == "MDY" else ["DD", "MM"]
        text = self.separator.join([*parts, "YYYY" if self.year_digits == 4 else "YY"])
        if self.time:
            text += (
                " hh:mm" + (":ss" if self.time == "hms" else "") + (" AM/PM" if self.am_pm else "")
            )
        return text


@dataclass
class ColumnScan:
    """What the values of one column say about their format."""

    name: str  # for messages: "Opportunity.csv CloseDate"
    values: int = 0
    iso: int = 0
    iso_with_time: int = 0
    iso_local_time: int = 0  # ISO datetimes without an offset
    epoch_ms: int = 0
    numeric: int = 0
    shapes: set[NumericShape] = field(default_factory=set)
    month_first_example: str | None = None  # a value only month-first can read
    day_first_example: str | None = None
    unfit: int = 0
    unfit_example: str | None = None

    @property
    def has_time(self) -> bool:
        return self.iso_with_time > 0 or self.epoch_ms > 0 or any(s.time for s in self.shapes)


def scan_column(name: str, values: Iterable[str | None]) -> ColumnScan:
    """Classify each distinct non-empty value of a column (no parsing, no guessing)."""
    scan = ColumnScan(name=name)
    for raw in values:
        value = (raw or "").strip()
        if not value:
            continue
        scan.values += 1
        if _ISO.fullmatch(value):
            scan.iso += 1
            scan.iso_with_time += ":" in value
            scan.iso_local_time += ":" in value and not _ISO_OFFSET.fullmatch(value)
            continue
        if _EPOCH.fullmatch(value):
            scan.epoch_ms += 1
            continue
        match = _NUMERIC.fullmatch(value)
        if match is None:
            scan.unfit += 1
            scan.unfit_example = scan.unfit_example or value
            continue
        first, sep, second, year, hour, _minute, seconds, am_pm = match.groups()
        if int(first) > 12 and int(second) > 12:
            scan.unfit += 1
            scan.unfit_example = scan.unfit_example or value
            continue
        scan.numeric += 1
        scan.shapes.add(
            NumericShape(
                separator=sep,
                year_digits=len(year),
                time="" if hour is None else ("hms" if seconds else "hm"),
                am_pm=am_pm is not None,
            )
        )
        if int(second) > 12:
            scan.month_first_example = scan.month_first_example or value
        elif int(first) > 12:
            scan.day_first_example = scan.day_first_example or value
    return scan


@dataclass(frozen=True)
class DateSettings:
    """The user's statements: the order of ambiguous numeric dates and the exports' clock."""

    date_order: str | None = None  # None: not stated (MDY unless the values decide)
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            raise CrmMetricsError(
                f"--date-order {self.date_order!r}: use MDY (month first) or DMY (day first)"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CrmMetricsError(
                f"--timezone {self.timezone!r} is not a time zone name (e.g. UTC, "
                "America/New_York, Europe/Berlin)"
            ) from None


def decide_order(scans: Iterable[ColumnScan], settings: DateSettings) -> tuple[str, str]:
    """The numeric date order for the whole export, and a note saying why.

    Raises when the values prove both orders (quoting a value of each), or prove the order
    opposite to an explicit `--date-order`.
    """
    numeric = [scan for scan in scans if scan.numeric]
    month_first = next((s for s in numeric if s.month_first_example), None)
    day_first = next((s for s in numeric if s.day_first_example), None)
    if month_first and day_first:
        raise CrmMetricsError(
            "dates of both orders in one export: "
            f"{month_first.name} has {month_first.month_first_example!r} (month first) and "
            f"{day_first.name} has {day_first.day_first_example!r} (day first); one order must "
            "hold for the whole export: fix the odd values or export again"
        )
    proven = "MDY" if month_first else "DMY" if day_first else None
    if proven and settings.date_order and settings.date_order != proven:
        scan = month_first or day_first
        example = scan.month_first_example or scan.day_first_example  # type: ignore[union-attr]
        raise CrmMetricsError(
            f"--date-order {settings.date_order} contradicts {scan.name}: {example!r} can only "
            f"be {'month' if proven == 'MDY' else 'day'} first"
        )
    if not numeric:
        return settings.date_order or DEFAULT_DATE_ORDER, ""
    words = {"MDY": "month first (MM/DD/YYYY)", "DMY": "day first (DD/MM/YYYY)"}
    if proven:
        scan = month_first or day_first
        example = scan.month_first_example or scan.day_first_example  # type: ignore[union-attr]
        return proven, (
            f"Numeric dates read {words[proven]}: {scan.name} has {example!r}, which only that "
            "order can read."
        )
    if settings.date_order:
        return settings.date_order, (
            f"Numeric dates read {words[settings.date_order]}, as --date-order says (no value "
            "has a part above 12 to decide it)."
        )
    return DEFAULT_DATE_ORDER, (
        f"Numeric dates read {words[DEFAULT_DATE_ORDER]}: no value has a part above 12 to decide "
        "it, so the default applies (Salesforce's US default; pass --date-order DMY for "
        "day-first exports)."
    )


@dataclass(frozen=True)
class ColumnFormat:
    """The chosen reading of one column; `sql()` converts it to the raw contract's ISO text."""

    scan: ColumnScan
    order: str
    timezone: str
    kind: str  # "timestamp" or "date": the contract field the column feeds

    def describe(self) -> str:
        parts = []
        if self.scan.iso:
            parts.append("ISO 8601" + (" datetimes" if self.scan.iso_with_time else " dates"))
        if self.scan.epoch_ms:
            parts.append("epoch milliseconds")
        parts += sorted(shape.describe(self.order) for shape in self.scan.shapes)
        text = ", ".join(parts) or "no values"
        if self.kind == "timestamp" and self.local_clock and self.timezone != "UTC":
            text += f" (times without an offset are {self.timezone} clock times)"
        if self.scan.unfit:
            text += (
                f"; {self.scan.unfit} distinct value(s) fit no format and are left for the build "
                f"to reject (e.g. {self.scan.unfit_example!r})"
            )
        return text

    @property
    def local_clock(self) -> bool:
        """True when some value is a clock time without an offset."""
        return bool(self.scan.iso_local_time or any(s.time for s in self.scan.shapes))

    def _local_to_utc(self, timestamp: str) -> str:
        if self.timezone == "UTC":
            return timestamp
        return f"timezone('UTC', timezone({quote_literal(self.timezone)}, {timestamp}))"

    def parsed_sql(self, expr: str) -> str:
        """SQL: the value as a timestamp (UTC for instants), null when it fits no format."""
        v = f"trim({expr})"
        branches = []
        if self.scan.iso:
            offset = f"regexp_full_match({v}, {quote_literal(ISO_OFFSET_PATTERN)})"
            if self.kind == "date":
                naive = f"try_cast(left({v}, 10) as timestamp)"
            else:
                naive = self._local_to_utc(f"try_cast(replace({v}, ',', '.') as timestamp)")
            with_offset = f"cast(timezone('UTC', try_cast({v} as timestamptz)) as timestamp)"
            if self.kind == "date":
                with_offset = f"cast(cast({with_offset} as date) as timestamp)"
            branches.append(
                f"when regexp_full_match({v}, {quote_literal(ISO_PATTERN)}) then "
                f"case when {offset} then {with_offset} else {naive} end"
            )
        if self.scan.epoch_ms:
            epoch = f"make_timestamp(cast({v} as bigint) * 1000)"
            if self.kind == "date":
                epoch = f"cast(cast({epoch} as date) as timestamp)"
            branches.append(
                f"when regexp_full_match({v}, {quote_literal(EPOCH_MS_PATTERN)}) then {epoch}"
            )
        for shape in sorted(self.scan.shapes, key=lambda s: s.pattern()):
            parsed = (
                f"try_strptime(regexp_replace({v}, '[ T,]+', ' ', 'g'), "
                f"{quote_literal(shape.strptime_format(self.order))})"
            )
            if shape.time and self.kind == "timestamp":
                parsed = self._local_to_utc(parsed)
            elif shape.time:
                parsed = f"cast(cast({parsed} as date) as timestamp)"
            branches.append(
                f"when regexp_full_match({v}, {quote_literal(shape.pattern())}) then {parsed}"
            )
        if not branches:
            return "cast(null as timestamp)"
        return "case " + " ".join(branches) + " end"

    def sql(self, expr: str) -> str:
        """SQL: the value as contract text (`YYYY-MM-DD HH:MM:SS[.ffffff]` or `YYYY-MM-DD`), or
        the trimmed raw text when it fits no format (for staging to reject)."""
        parsed = self.parsed_sql(expr)
        if self.kind == "date":
            text = f"strftime({parsed}, '%Y-%m-%d')"
        else:
            text = (
                f"case when date_part('microseconds', {parsed}) % 1000000 <> 0 "
                f"then strftime({parsed}, '%Y-%m-%d %H:%M:%S.%f') "
                f"else strftime({parsed}, '%Y-%m-%d %H:%M:%S') end"
            )
        return f"coalesce({text}, nullif(trim({expr}), ''))"
