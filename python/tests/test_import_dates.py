"""The date detector every importer uses (crm_metrics.importers.dates).

Each case is a small column of values as exports write them and the contract text each value
must become, worked out by hand (offsets and time zones by hand: 09:30+02:00 is 07:30 UTC;
New York is UTC-5 in January and UTC-4 from the second Sunday of March).
"""

from __future__ import annotations

import duckdb
import pytest

from crm_metrics.errors import CrmMetricsError
from crm_metrics.importers.dates import ColumnFormat, DateSettings, decide_order, scan_column


def convert(
    values: list[str],
    kind: str = "timestamp",
    settings: DateSettings | None = None,
    others: list[list[str]] = (),
) -> list[str | None]:
    """Each value converted by the SQL the detector writes, as DuckDB runs it."""
    settings = settings or DateSettings()
    scan = scan_column("file col", values)
    order, _ = decide_order([scan, *(scan_column("other", v) for v in others)], settings)
    fmt = ColumnFormat(scan, order, settings.timezone, kind)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create table t (i integer, v varchar)")
        con.executemany("insert into t values (?, ?)", list(enumerate(values)))
        return [
            row[0] for row in con.execute(f"select {fmt.sql('v')} from t order by i").fetchall()
        ]


def test_iso_dates_datetimes_fractions_and_offsets_to_utc() -> None:
    assert convert(
        [
            "2024-03-14",
            "2024-03-14 09:30:00",
            "2024-03-14T09:30:00",
            "2024-03-14T09:30:00.000+0000",
            "2024-03-14T09:30:00.250Z",
            "2024-03-14T09:30:00+02:00",
            "2024-03-14T23:30:00-05:00",
            "2024-03-14 09:30",
        ]
    ) == [
        "2024-03-14 00:00:00",
        "2024-03-14 09:30:00",
        "2024-03-14 09:30:00",
        "2024-03-14 09:30:00",
        "2024-03-14 09:30:00.250000",
        "2024-03-14 07:30:00",
        "2024-03-15 04:30:00",
        "2024-03-14 09:30:00",
    ]


def test_a_datetime_in_a_date_field_keeps_its_day_unless_it_has_an_offset() -> None:
    assert convert(
        ["2024-03-14T23:30:00", "2024-03-14T23:30:00-05:00", "2024-03-14"], kind="date"
    ) == ["2024-03-14", "2024-03-15", "2024-03-14"]


def test_month_first_decided_by_a_value() -> None:
    # 02/23/26: 23 can only be the day, so the column (and the export) is month first
    values = ["02/03/24", "02/23/26 08:55 PM", "3/4/2024", "12/31/1999 11:05 AM"]
    scan = scan_column("Opportunity.csv CloseDate", values)
    order, note = decide_order([scan], DateSettings())
    assert order == "MDY" and "'02/23/26 08:55 PM'" in note
    assert convert(values) == [
        "2024-02-03 00:00:00",
        "2026-02-23 20:55:00",
        "2024-03-04 00:00:00",
        "1999-12-31 11:05:00",
    ]


def test_day_first_decided_by_a_value() -> None:
    values = ["14/03/2024", "01/02/2024", "14.03.2024", "05-04-2024 17:45"]
    assert convert(values, kind="timestamp") == [
        "2024-03-14 00:00:00",
        "2024-02-01 00:00:00",
        "2024-03-14 00:00:00",
        "2024-04-05 17:45:00",
    ]


def test_another_column_decides_the_whole_export() -> None:
    # 01/02/2024 alone is ambiguous; the export's other column has 25/12/2023: day first
    assert convert(["01/02/2024"], others=[["25/12/2023"]]) == ["2024-02-01 00:00:00"]


def test_ambiguous_values_follow_date_order_default_mdy() -> None:
    scan = scan_column("c", ["01/02/2024", "03/04/24"])
    order, note = decide_order([scan], DateSettings())
    assert order == "MDY" and "default" in note and "--date-order DMY" in note
    assert convert(["01/02/2024"]) == ["2024-01-02 00:00:00"]
    dmy = DateSettings(date_order="DMY")
    assert decide_order([scan], dmy)[0] == "DMY"
    assert convert(["01/02/2024"], settings=dmy) == ["2024-02-01 00:00:00"]
    assert convert(["01/02/2024"], settings=DateSettings(date_order="MDY")) == [
        "2024-01-02 00:00:00"
    ]


def test_conflicting_evidence_quotes_one_value_of_each_order() -> None:
    with pytest.raises(CrmMetricsError, match=r"'02/23/2024'.*'23/02/2024'"):
        decide_order([scan_column("a.csv X", ["02/23/2024", "23/02/2024"])], DateSettings())
    with pytest.raises(CrmMetricsError, match=r"a\.csv X has '02/23/2024'.*b\.csv Y has '23/02/"):
        decide_order(
            [scan_column("a.csv X", ["02/23/2024"]), scan_column("b.csv Y", ["23/02/2024"])],
            DateSettings(),
        )
    with pytest.raises(CrmMetricsError, match="contradicts"):
        decide_order([scan_column("a.csv X", ["02/23/2024"])], DateSettings(date_order="DMY"))


def test_two_digit_years_pivot_at_69() -> None:
    assert convert(["01/01/00", "12/31/68", "01/01/69", "06/15/99"], kind="date") == [
        "2000-01-01",
        "2068-12-31",
        "1969-01-01",
        "1999-06-15",
    ]


def test_timezone_converts_clock_times_without_offset_only() -> None:
    new_york = DateSettings(timezone="America/New_York")
    assert convert(
        [
            "01/15/2024 09:00 AM",  # EST, UTC-5
            "07/15/2024 09:00 AM",  # EDT, UTC-4
            "2024-01-15 09:00:00",
            "2024-01-15T09:00:00Z",  # has an offset: already UTC
        ],
        settings=new_york,
    ) == [
        "2024-01-15 14:00:00",
        "2024-07-15 13:00:00",
        "2024-01-15 14:00:00",
        "2024-01-15 09:00:00",
    ]
    # a day is not an instant: date columns are never shifted
    assert convert(["01/15/2024"], kind="date", settings=new_york) == ["2024-01-15"]
    with pytest.raises(CrmMetricsError, match="not a time zone"):
        DateSettings(timezone="Mars/Olympus")


def test_epoch_milliseconds() -> None:
    assert convert(["1705924800000"]) == ["2024-01-22 12:00:00"]


def test_unparseable_values_are_counted_and_passed_through() -> None:
    values = ["03/14/2024", "02/30/2024", "next week", "2024-13-45", "31/31/2024", ""]
    scan = scan_column("c", values)
    # fits no format: "next week", "31/31/2024" (no order reads it); 2024-13-45 has the ISO
    # shape and 02/30/2024 a numeric one, but name no day: they fail the conversion instead
    assert scan.unfit == 2 and scan.unfit_example == "next week"
    assert convert(values) == [
        "2024-03-14 00:00:00",
        "02/30/2024",
        "next week",
        "2024-13-45",
        "31/31/2024",
        None,
    ]
    fmt = ColumnFormat(scan, "MDY", "UTC", "timestamp")
    assert "fit no format" in fmt.describe() and "'next week'" in fmt.describe()


def test_describe_names_the_format() -> None:
    scan = scan_column("c", ["3/4/24 9:30 PM", "12/31/24 10:00 AM"])
    assert (
        ColumnFormat(scan, "MDY", "UTC", "timestamp").describe().startswith("MM/DD/YY hh:mm AM/PM")
    )
    assert ColumnFormat(scan_column("c", ["14.03.2024"]), "DMY", "UTC", "date").describe() == (
        "DD.MM.YYYY"
    )
