"""conftest's build-once-across-workers: the first pytest-xdist worker that asks for a shared
dataset builds it, the others read its result without building, and a failed build fails the
waiting workers with its error instead of leaving them waiting (no dbt: fast)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import built_once_across_workers


def test_the_first_caller_builds_and_the_others_reuse_its_result(tmp_path: Path) -> None:
    calls: list[Path] = []

    def build_into(folder: Path) -> tuple[Path, Path]:
        calls.append(folder)
        (folder / "raw").mkdir()
        return folder / "raw", folder / "build.duckdb"

    shared = tmp_path / "generated"
    first = built_once_across_workers(shared, build_into)
    second = built_once_across_workers(shared, build_into)  # as another worker would
    assert calls == [shared]
    assert first == second == (shared / "raw", shared / "build.duckdb")


def test_a_failed_build_fails_the_waiting_callers(tmp_path: Path) -> None:
    def broken(folder: Path) -> tuple[Path, Path]:
        raise RuntimeError("dbt build failed: mart_win_rate")

    def never(folder: Path) -> tuple[Path, Path]:
        raise AssertionError("a waiting caller must not build")

    shared = tmp_path / "generated"
    with pytest.raises(RuntimeError):
        built_once_across_workers(shared, broken)
    with pytest.raises(pytest.fail.Exception, match="dbt build failed: mart_win_rate"):
        built_once_across_workers(shared, never)
