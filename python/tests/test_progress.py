"""`crm-metrics build` output: a progress bar on a terminal, plain periodic lines elsewhere, a
summary with failures first and in full, skips counted and never listed.

The display is first driven with hand-made node results (exact lines, a fake clock), then the
real CLI runs in a subprocess: a small passing build under a pseudo-terminal and through a pipe,
and a failing build (header-only raw files: the stages check fails, everything after it skips).
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from crm_metrics.contract import load_contract
from crm_metrics.progress import BuildProgress, Finished, choose_mode
from crm_metrics.runner import PROJECT_DIR, NodeResult, _list_nodes

CLI = [sys.executable, "-m", "crm_metrics.cli"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def node(name: str, status: str = "success", kind: str = "model", seconds: float = 0.1) -> Finished:
    message = {"success": "OK", "pass": "PASS", "skipped": ""}.get(status, f"{name} broke\nline 2")
    return Finished(kind, name, status, message, seconds, f"models/{name}.sql")


def as_result(item: Finished) -> NodeResult:
    return NodeResult(item.name, item.status, item.message, item.resource_type)


# --- the display on hand-made results ---------------------------------------------------------


def test_plain_lines_at_each_tenth_and_failures_at_once() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = BuildProgress(stream, mode="plain", interval=1000, clock=clock)
    progress.start(20, {"model": 15, "test": 5})
    for index in range(20):
        clock.now += 1
        status = "error" if index == 3 else "skipped" if index > 15 else "success"
        progress.node_finished(node(f"m{index}", status))
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "building 20 nodes: 15 models, 5 tests"
    assert lines[1] == "build [2/20]  10% 2s: 2 ok, 0 failed, 0 skipped"
    assert lines[2] == "ERROR model m3: m3 broke line 2 (in full in the summary)"
    assert lines[-1] == "build [20/20] 100% 20s: 15 ok, 1 failed, 4 skipped"
    assert len(lines) == 1 + 10 + 1  # the header, a line per tenth, the failure
    assert "\r" not in stream.getvalue()


def test_plain_lines_also_every_interval() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = BuildProgress(stream, mode="plain", interval=30, clock=clock)
    progress.start(1000)
    for index in range(50):  # 5% of the nodes in 100 s: no tenth crossed, three intervals
        clock.now += 2
        progress.node_finished(node(f"m{index}"))
    assert [line.split(":")[0] for line in stream.getvalue().splitlines()] == [
        "build [15/1000]   1% 30s",
        "build [30/1000]   3% 60s",
        "build [45/1000]   4% 90s",
    ]


def test_verbose_keeps_a_line_per_node() -> None:
    stream = io.StringIO()
    progress = BuildProgress(stream, mode="verbose", clock=FakeClock())
    progress.start(3)
    progress.node_finished(node("a", seconds=0.25))
    progress.node_finished(node("t", "fail", kind="test"))
    progress.node_finished(node("b", "skipped"))
    assert stream.getvalue().splitlines() == [
        "[1/3] OK model a (0.2s)",
        "[2/3] FAIL test t (0.1s)",
        "[3/3] SKIP model b (0.1s)",
    ]


def test_the_projects_notices_reach_the_console_others_do_not() -> None:
    """dbt's print() events: the raw-folder loader's notice is shown (--log-level none would
    hide it), any other print is left to dbt's log."""
    stream = io.StringIO()
    progress = BuildProgress(stream, mode="plain", clock=FakeClock())

    def printed(message: str) -> SimpleNamespace:
        return SimpleNamespace(
            info=SimpleNamespace(name="PrintEvent"), data=SimpleNamespace(msg=message)
        )

    notice = "crm_load_raw_dir: raw table deals: 1 part(s) removed (a.csv) in /raw/deals/ ..."
    progress(printed(notice))
    progress(printed("some other macro's print"))
    assert stream.getvalue().splitlines() == [notice]


def test_summary_failures_first_in_full_skips_counted_not_listed() -> None:
    clock = FakeClock()
    progress = BuildProgress(io.StringIO(), mode="plain", clock=clock)
    progress.start(9)
    items = [
        node("stg_a", seconds=0.5),
        node("int_slow", seconds=4.0),
        node("int_broken", "error", seconds=0.3),
        node("not_null_x", "fail", kind="test", seconds=0.2),
        node("unique_y", "pass", kind="test", seconds=0.1),
        *(node(f"mart_{index}", "skipped", seconds=0.0) for index in range(4)),
    ]
    for item in items:
        clock.now += 1
        progress.node_finished(item)
    text = progress.summary(
        [as_result(item) for item in items],
        data_quality="data quality: 2 rejected rows",
        written="built x.duckdb",
    )
    lines = text.splitlines()
    assert lines[:7] == [
        "2 failed:",
        "  ERROR model int_broken (models/int_broken.sql)",
        "    int_broken broke",
        "    line 2",
        "  FAIL test not_null_x (models/not_null_x.sql)",
        "    not_null_x broke",
        "    line 2",
    ]
    assert lines[7] == (
        "models: 2 built, 1 failed, 4 skipped; seeds: 0 loaded, 0 failed; "
        "tests: 1 passed, 1 failed, 0 warnings, 0 skipped"
    )
    assert lines[8] == "data quality: 2 rejected rows"
    assert lines[9].startswith("slowest: int_slow 4.0s, stg_a 0.5s, int_broken 0.3s, not_null_x")
    assert lines[9].endswith("; 9 nodes in 9s")
    assert lines[10] == "built x.duckdb"
    assert "mart_0" not in text and "SKIP" not in text


def test_bar_total_known_from_the_start() -> None:
    stream = io.StringIO()
    progress = BuildProgress(stream, mode="bar")
    progress.start(4)
    first = stream.getvalue()
    assert "0/4" in first
    for index in range(4):
        progress.node_finished(node(f"m{index}"))
    progress.close()
    assert "4/4" in stream.getvalue() and "100%" in stream.getvalue()


def test_mode_follows_the_stream() -> None:
    assert choose_mode(io.StringIO()) == "plain"
    assert choose_mode(io.StringIO(), verbose=True) == "verbose"
    primary, secondary = pty.openpty()
    try:
        with os.fdopen(os.dup(secondary), "w") as terminal:
            assert choose_mode(terminal) == "bar"
    finally:
        os.close(primary)
        os.close(secondary)


# --- the real CLI -----------------------------------------------------------------------------


def listed_by_dbt(database: Path, *selection: str) -> list[dict]:
    """The nodes of a selection as `dbt ls` lists them (unique_id, resource_type, config)."""
    rows = _list_nodes(
        list(selection), database=database, target="duckdb", vars={}, project_dir=PROJECT_DIR
    )
    assert rows is not None
    return rows


def run_in_pty(argv: list[str], cwd: Path, timeout: float = 300) -> tuple[int, str]:
    """Run `argv` with stdout and stderr on a pseudo-terminal; return the exit code and bytes."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        cwd=cwd,
        env={key: value for key, value in os.environ.items() if key != "COLUMNS"},
    )
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


SMALL = ["--select", "stg_crm__users", "stg_crm__stages"]  # two views, no tests of their own
# one demo seed per contract table, all loaded before any model
DEMO_SEEDS = len(load_contract().tables)


@pytest.mark.slow
def test_passing_build_under_a_terminal_shows_one_bar(tmp_path: Path) -> None:
    database = tmp_path / "bar.duckdb"
    code, screen = run_in_pty([*CLI, "build", "--database", str(database), *SMALL], tmp_path)
    assert code == 0, screen
    header = re.search(rf"building (\d+) nodes: {DEMO_SEEDS} seeds, 2 models", screen)
    assert header, screen
    total = int(header[1])
    # tqdm redraws one line with carriage returns: frames "build: ... n/total", never a newline
    frames = re.findall(rf"build: +\d+%\|[^|]*\| (\d+)/{total} ", screen)
    assert frames and frames[-1] == str(total), screen
    assert "\r" in screen
    assert "[1/" not in screen and "SKIP" not in screen  # no per-node lines
    tail = screen[screen.rindex(f"{total}/{total}") :]
    assert f"models: 2 built, 0 failed, 0 skipped; seeds: {DEMO_SEEDS} loaded" in tail
    assert "slowest: " in tail and f"; {total} nodes in " in tail
    assert f"built {database}" in tail


@pytest.mark.slow
def test_passing_build_through_a_pipe_prints_plain_lines(tmp_path: Path) -> None:
    database = tmp_path / "plain.duckdb"
    run = subprocess.run(
        # --full-refresh: a build option that `dbt ls` lacks must not lose the count
        [*CLI, "build", "--database", str(database), *SMALL, "--full-refresh"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    header = re.fullmatch(rf"building (\d+) nodes: {DEMO_SEEDS} seeds, 2 models", lines[0])
    assert header, lines[0]
    total = int(header[1])
    assert total == DEMO_SEEDS + 2
    progress = [line for line in lines if line.startswith("build [")]
    assert progress[-1].startswith(f"build [{total}/{total}] 100% ")
    assert 1 <= len(progress) <= 10 + 2
    assert "\r" not in run.stdout and run.stderr == ""
    assert lines[-2] == f"built {database}"
    # a --select build publishes no serving snapshot, and the last line says so
    assert lines[-1].startswith("not published (a partial build; only a whole-project build")
    assert lines[-5].startswith(
        f"models: 2 built, 0 failed, 0 skipped; seeds: {DEMO_SEEDS} loaded, 0 failed;"
    )
    # then the freshness line: the demo seeds carry no load marker
    assert lines[-4] == (
        "freshness: no raw table carries a load marker (_loaded_at); nothing to measure"
    )


@pytest.mark.slow
def test_failing_build_shows_the_failure_first_and_counts_the_skips(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    for table in load_contract().tables.values():  # header rows only: stages is empty
        if table.required:
            (raw_dir / f"{table.name}.csv").write_text(",".join(table.column_names) + "\n")
    database = tmp_path / "failing.duckdb"
    run = subprocess.run(
        [*CLI, "build", "--raw-dir", str(raw_dir), "--database", str(database)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 1
    out, err = run.stdout, run.stderr
    assert "SKIP" not in out + err and "Traceback" not in out + err
    # on stdout, the plan, then the failure the moment it happens, then the plain lines
    assert re.match(r"building \d+ nodes: \d+ models, \d+ tests", out)
    notice = out.splitlines()[1]
    assert notice.startswith("ERROR model int_stages_validated: ")
    assert "Invalid stages table: it is empty" in notice
    # on stderr, the failure in full first, then the counts, then the error line
    err_lines = err.splitlines()
    assert err_lines[0] == "1 failed:"
    assert err_lines[1].startswith("  ERROR model int_stages_validated (")
    assert any("Invalid stages table: it is empty" in line for line in err_lines[2:6])
    counts = next(line for line in err_lines if line.startswith("models: "))
    downstream = {
        row["unique_id"]
        for row in listed_by_dbt(
            database, "--select", "int_stages_validated+", "--resource-type", "model"
        )
    }
    built, failed, skipped = map(
        int, re.match(r"models: (\d+) built, (\d+) failed, (\d+) skipped", counts).groups()
    )
    assert failed == 1
    assert skipped == len(downstream) - 1
    assert built + failed + skipped == int(re.search(r"(\d+) models", out.splitlines()[0])[1])
    assert err_lines.index(counts) < next(
        i for i, line in enumerate(err_lines) if line.startswith("error: ")
    )
