"""What `crm-metrics build` prints: one live progress bar, then a short summary.

The number of nodes is known before anything runs (`runner.planned_nodes`, one `dbt ls` of the
same selection), so the bar has a true total from its first frame. Three ways to show progress:

- `bar` (a terminal): one tqdm bar across the seeds and the build; a failure is printed above
  the bar as one line the moment it happens.
- `plain` (anything else: CI logs, a pipe): a line at every tenth of the nodes and at least every
  `interval` seconds, the same one-line notice per failure; never a carriage return.
- `verbose` (`--verbose`): one line per node as before (`[12/497] OK model stg_crm__users (0.1s)`).

The summary (`BuildProgress.summary`) puts the failures first, each with dbt's whole message,
then the counts per resource type (skips are counted, never listed), the rejected rows and
findings of the data-quality checks, the slowest nodes and the file written.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from crm_metrics.runner import FAILED_STATUSES, STATUS_LABELS, NodeResult, one_line, summarize

SLOWEST = 5


# Notices of the project's macros that reach the console during a build.
PROJECT_NOTICE_PREFIXES = ("crm_load_raw_dir:",)


@dataclass(frozen=True)
class Finished:
    """One finished node as the progress display saw it."""

    resource_type: str
    name: str
    status: str
    message: str
    seconds: float
    path: str

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.upper())


def choose_mode(stream: TextIO, verbose: bool = False) -> str:
    """`verbose` when asked, `bar` on a terminal, else `plain`."""
    if verbose:
        return "verbose"
    isatty = getattr(stream, "isatty", None)
    return "bar" if isatty is not None and isatty() else "plain"


class BuildProgress:
    """A dbtRunner callback that shows the build's progress; call `start` before the first node.

    dbt calls it from its worker threads: every change of state happens under one lock.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        mode: str | None = None,
        interval: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stdout
        self.mode = mode or choose_mode(self.stream)
        if self.mode not in ("bar", "plain", "verbose"):
            raise ValueError(f"unknown progress mode {self.mode!r}")
        self.interval = interval
        self.clock = clock
        self.lock = threading.Lock()
        self.total: int | None = None
        self.finished: list[Finished] = []
        self.started = clock()
        self._last_line = self.started
        self._last_tenth = 0
        self._bar: Any = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, total: int | None, planned: dict[str, int] | None = None) -> None:
        """Announce the nodes to run (`planned`: count per resource type) and open the bar."""
        self.total = total
        self.started = self._last_line = self.clock()
        if planned:
            parts = ", ".join(f"{count} {_plural(kind, count)}" for kind, count in planned.items())
            self._write(f"building {total} nodes: {parts}")
        if self.mode == "bar":
            from tqdm import tqdm

            # A terminal that reports no width (a bare pseudo-terminal) would get an empty bar.
            width = _terminal_width(self.stream)
            self._bar = tqdm(
                total=total,
                file=self.stream,
                unit="node",
                dynamic_ncols=width is not None,
                ncols=width or 100,
                mininterval=0.2,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]{postfix}",
                desc="build",
            )

    def close(self) -> None:
        with self.lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            elif self.mode == "plain" and self.finished and self._last_tenth < 10:
                self._write(self._plain_line())

    # --- dbt's events -----------------------------------------------------------------------

    def __call__(self, event: Any) -> None:
        if event.info.name == "PrintEvent":
            # the project's own notices (macro print(), which --log-level none silences), such
            # as the raw-folder loader's "part(s) changed ... every part is read again"
            message = str(event.data.msg)
            if message.startswith(PROJECT_NOTICE_PREFIXES):
                with self.lock:
                    self._write(message)
            return
        if event.info.name != "NodeFinished":
            return
        node = event.data.node_info
        result = event.data.run_result
        self.node_finished(
            Finished(
                resource_type=node.resource_type,
                name=node.node_name,
                status=result.status,
                message=result.message or "",
                seconds=float(result.execution_time),
                path=node.node_path,
            )
        )

    def node_finished(self, node: Finished) -> None:
        with self.lock:
            self.finished.append(node)
            done = len(self.finished)
            if self.mode == "verbose":
                total = max(self.total or 0, done)
                self._write(
                    f"[{done}/{total}] {node.label} {node.resource_type} {node.name} "
                    f"({node.seconds:.1f}s)"
                )
                return
            if node.failed:
                self._write(
                    f"{node.label} {node.resource_type} {node.name}: "
                    f"{_shorten(one_line(node.message))} (in full in the summary)"
                )
            if self.mode == "bar":
                failed = sum(item.failed for item in self.finished)
                self._bar.set_postfix_str(
                    f"{failed} failed, {node.name}" if failed else node.name, refresh=False
                )
                self._bar.update(1)
                return
            tenth = done * 10 // self.total if self.total else 0
            now = self.clock()
            if tenth > self._last_tenth or now - self._last_line >= self.interval:
                self._last_tenth = max(self._last_tenth, tenth)
                self._last_line = now
                self._write(self._plain_line())

    # --- output -----------------------------------------------------------------------------

    def _write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=self.stream)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def _plain_line(self) -> str:
        done = len(self.finished)
        statuses = Counter(
            "failed" if item.failed else "skipped" if item.status == "skipped" else "ok"
            for item in self.finished
        )
        total = self.total if self.total is not None else "?"
        share = f"{done * 100 // self.total:3d}%" if self.total else "   ?"
        return (
            f"build [{done}/{total}] {share} {self.clock() - self.started:.0f}s: "
            f"{statuses['ok']} ok, {statuses['failed']} failed, {statuses['skipped']} skipped"
        )

    def summary(
        self,
        results: list[NodeResult],
        *,
        data_quality: str = "",
        written: str | None = None,
    ) -> str:
        """The data-quality WARNING lines first (rows lost: runner.dq_report), then failures in
        full, counts, the rest of data quality, slowest nodes, the file written."""
        quality = data_quality.splitlines()
        lines: list[str] = [line for line in quality if line.startswith("WARNING: ")]
        data_quality = "\n".join(line for line in quality if not line.startswith("WARNING: "))
        failures = [item for item in self.finished if item.failed]
        if failures:
            lines.append(f"{len(failures)} failed:")
            for item in failures:
                lines.append(f"  {item.label} {item.resource_type} {item.name} ({item.path})")
                lines.extend(
                    f"    {line.rstrip()}" for line in item.message.splitlines() if line.strip()
                )
        lines.append(summarize(results))
        if data_quality:
            lines.append(data_quality)
        ran = [item for item in self.finished if item.status != "skipped"]
        if ran:
            slowest = sorted(ran, key=lambda item: -item.seconds)[:SLOWEST]
            lines.append(
                "slowest: "
                + ", ".join(f"{item.name} {item.seconds:.1f}s" for item in slowest)
                + f"; {len(self.finished)} nodes in {self.clock() - self.started:.0f}s"
            )
        if written:
            lines.append(written)
        return "\n".join(lines)


def _terminal_width(stream: TextIO) -> int | None:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None
    return columns or None


def _shorten(text: str, width: int = 200) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _plural(kind: str, count: int) -> str:
    word = kind.replace("_", " ")
    return word if count == 1 else f"{word}s"
