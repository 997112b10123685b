"""The one error type the CLI turns into `error: <message>` and exit code 1."""

from __future__ import annotations

import re
from pathlib import Path

_LOCK_PATTERN = re.compile(r"Could not set lock on file|Conflicting lock is held", re.IGNORECASE)
_PID_PATTERN = re.compile(r"\(PID (\d+)\)")


class CrmMetricsError(Exception):
    """A failure the user can act on: the message says what went wrong and what to do."""


class DbtNodesFailedError(CrmMetricsError):
    """dbt ran, and some nodes failed; `results` holds every node's result (for a summary)."""

    def __init__(self, message: str, results: list | None = None) -> None:
        super().__init__(message)
        self.results = results or []


class DatabaseLockedError(CrmMetricsError):
    """Another process holds the DuckDB file open."""


def is_lock_error(exc: BaseException | str) -> bool:
    return bool(_LOCK_PATTERN.search(str(exc)))


def lock_error(database: Path, exc: BaseException | str) -> DatabaseLockedError:
    """A one-line message for DuckDB's "Could not set lock on file" error."""
    pid = _PID_PATTERN.search(str(exc))
    holder = f"process {pid.group(1)}" if pid else "another process"
    return DatabaseLockedError(
        f"the database {database} is locked by {holder}; close the other client "
        "(duckdb CLI, notebook, BI tool, another build) and retry"
    )


def database_error(database: Path, exc: BaseException) -> CrmMetricsError:
    """Map a duckdb exception raised while opening or reading `database` to a user error."""
    if is_lock_error(exc):
        return lock_error(database, exc)
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return CrmMetricsError(f"cannot read the database {database}: {first_line}")
