"""`crm-metrics bench` at a tiny size: every phase and ratio lands in bench.json (no timings
are asserted: the machine is shared), the builds' checks are recorded, and the raw files are
restored after the run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from crm_metrics.bench import (
    MIN_DATA_TESTS,
    PRESALES_CUSTOMER_MARTS,
    TARGETS,
    _summarised,
    format_table,
)
from crm_metrics.cli import main

PHASES = [
    "generate",
    "floor",
    "dbt_startup",
    "full_build",
    "presales_customer_marts",
    "repeat_parse",
    "publish",
    "incremental_build",
    "full_refresh_build",
]
RATIOS = {
    "build_minus_startup_over_floor",
    "build_over_floor_plus_startup",
    "build_over_floor",
    "incremental_over_floor",
    "incremental_over_full",
    "presales_customer_marts_over_full",
    "publish_over_full",
    "peak_rss_gib",
    "repeat_parse_s",
}


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.parquet"))
    }


@pytest.mark.slow
def test_bench_writes_every_phase_and_ratio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "bench"
    assert main(["bench", "--deals", "120", "--seed", "5", "--work", str(work), "--no-wait"]) == 0
    out = capsys.readouterr().out
    result = json.loads((work / "bench.json").read_text(encoding="utf-8"))

    assert [phase["name"] for phase in result["phases"]] == PHASES
    for phase in result["phases"]:
        assert phase["wall_s"] > 0, phase
    by_name = {phase["name"]: phase for phase in result["phases"]}
    assert by_name["full_build"]["peak_rss_mb"] > 0
    # the presales and customer marts: their 10 models and at least one data test each, from
    # the full build
    assert by_name["presales_customer_marts"]["nodes"] > 2 * len(PRESALES_CUSTOMER_MARTS)
    assert set(result["ratios"]) == RATIOS
    # a --deals run is small: no peak-memory target (scale 30 and more)
    assert set(result["targets_met"]) == {*TARGETS, "builds_complete", "identical"}
    assert "peak_rss_gib" not in result["targets"]
    assert result["deals"] == 120 and result["raw_rows"] > 120

    # both builds' checks: the data tests that ran, against main's count
    for name in ("full_build", "incremental_build", "full_refresh_build"):
        check = result["builds"][name]
        assert check["tests_required"] >= MIN_DATA_TESTS
        assert check["tests_run"] >= MIN_DATA_TESTS
        assert check["skipped_nodes"] == 0
        # a user's build: no unit test ran
        assert "unit_test" not in result["profile"][name]["seconds_by_node_type"]
    # "identical" checked in the run: every public and data-quality table of the incremental
    # build equals the --full-refresh build's
    identical = result["identical"]
    assert identical["compared"] and identical["tables"] > 50
    assert identical["differences"] == [] and result["targets_met"]["identical"] is True
    load = result["load_average"]
    assert load["attempts"] == 1 and load["waited"] is False
    assert len(load["before"]) == 3 and load["max_start_1min"] == 2.0
    assert load["quiet_start"] == (load["attempt_starts_1min"][0] <= 2.0)

    # the append: every case of generate.changes happened
    append = result["append"]
    assert append["rows_added"]["opportunity_history"] > 0
    assert append["rows_added"]["activities"] >= 5
    assert append["rows_added"]["accounts"] == 1
    assert append["corrected"]["count"] == 1 and append["deleted"] and append["duplicate"]
    new_deals = append["new_deals"]
    assert new_deals["count"] >= 1 and len(new_deals["first"]) == min(new_deals["count"], 3)

    # the table on stdout names every phase; the raw files are the generated ones again
    for name in PHASES:
        assert name in out
    raw = work / "raw-deals-120-seed-5"
    assert not (raw / ".pristine").exists()
    generated = tmp_path / "again"
    assert (
        main(
            [
                "generate",
                "--out",
                str(generated),
                "--opportunities",
                "120",
                "--seed",
                "5",
                "--format",
                "parquet",
            ]
        )
        == 0
    )
    assert _digests(raw) == _digests(generated)
    assert format_table(result).splitlines()[0].startswith("phase")


def test_bench_spark_target_without_starting_spark(tmp_path: Path) -> None:
    """The cheap check of `bench --target spark` (Spark's own run is measured by hand: it takes
    tens of minutes): the floor's code compiles, the option parses, an unknown target fails
    before anything is generated."""
    from crm_metrics.bench import _SPARK_FLOOR_CODE, TARGET_CHOICES, run_bench
    from crm_metrics.cli import build_parser
    from crm_metrics.errors import CrmMetricsError

    compile(_SPARK_FLOOR_CODE, "spark_floor", "exec")
    args = build_parser().parse_args(["bench", "--target", "spark", "--deals", "50"])
    assert (args.target, args.deals) == ("spark", 50)
    assert TARGET_CHOICES == ("duckdb", "spark")
    with pytest.raises(CrmMetricsError, match="--target must be one of"):
        run_bench(1.0, tmp_path / "work", target="postgres")
    assert not (tmp_path / "work").exists()


def test_bench_append_summary_keeps_id_lists_short() -> None:
    # scale 10 adds 10,000 new deals: bench.json keeps their count and first ids, not the list;
    # a short list has the same shape, and a single id stays as it is
    new_deals = [f"opp_new_{index}" for index in range(10_000)]
    summary = _summarised({"new_deals": new_deals, "corrected": ["opp_1"], "deleted": "opp_2"})
    assert summary == {
        "new_deals": {"count": 10_000, "first": ["opp_new_0", "opp_new_1", "opp_new_2"]},
        "corrected": {"count": 1, "first": ["opp_1"]},
        "deleted": "opp_2",
    }


def test_bench_targets_by_scale() -> None:
    from crm_metrics.bench import LARGE_SCALE, _targets

    assert TARGETS == {
        "build_minus_startup_over_floor": 14.0,
        "incremental_over_floor": 3.0,
        "incremental_over_full": 0.2,
        "repeat_parse_s": 3.0,
    }
    assert _targets(10.0) == TARGETS and _targets(None) == TARGETS
    assert _targets(LARGE_SCALE) == {**TARGETS, "peak_rss_gib": 12.0}


def test_digest_differences_name_every_table_that_differs(tmp_path: Path) -> None:
    """The bench's "identical" check: a changed value, a missing table and an extra row are
    each listed; equal tables are not, whatever their row order."""
    import duckdb

    from crm_metrics.digest import differences, digests

    rows = {
        "left": ["(1, 'a', 2.5)", "(2, 'b', null)"],
        "right": ["(2, 'b', null)", "(1, 'a', 2.5)"],
    }
    for name, values in rows.items():
        connection = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        connection.execute("create schema marts; create schema data_quality; create schema core")
        connection.execute("create table marts.same (id integer, label varchar, share double)")
        connection.execute(f"insert into marts.same values {', '.join(values)}")
        changed = "10.00" if name == "left" else "10.01"
        connection.execute(
            f"create table core.changed as select cast({changed} as decimal(18,2)) x"
        )
        count = 1 if name == "left" else 2
        connection.execute(
            f"create table data_quality.grown as select range as id from range({count})"
        )
        if name == "left":
            connection.execute("create table marts.only_left as select 1 as id")
        connection.close()
    left, right = (digests(tmp_path / f"{name}.duckdb") for name in ("left", "right"))
    found = differences(left, right)
    assert [item["table"] for item in found] == [
        "core.changed",
        "data_quality.grown",
        "marts.only_left",
    ]
    assert found[1]["left"]["rows"] == 1 and found[1]["right"]["rows"] == 2
    assert found[2]["right"] is None
    assert differences(left, left) == []
