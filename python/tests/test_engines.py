"""Static checks that keep the models portable to PostgreSQL and Spark (the engine builds:
test_engines_postgres.py, test_engines_spark.py)."""

from __future__ import annotations

import re

import yaml

from crm_metrics.runner import PROJECT_DIR

# Type names that one of the engines rejects: PostgreSQL has no `double`, Spark's `varchar`
# needs a length and Spark has no `text`; `float` is 4 bytes on DuckDB and Spark but 8 on
# PostgreSQL. Text columns say `string`, which dbt's contracts translate per engine (TEXT on
# PostgreSQL and DuckDB, string on Spark: contract alias_types);
# doubles say "{{ var('crm_double_type')[target.type] }}" (dbt_project.yml spells it per engine).
NON_PORTABLE_TYPES = {"double", "varchar", "text", "float"}


def test_contract_data_types_are_portable() -> None:
    too_narrow = []
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models") or []:
            for column in model.get("columns") or []:
                data_type = str(column.get("data_type", "")).strip().lower()
                if data_type in NON_PORTABLE_TYPES:
                    too_narrow.append(f"{path.name}: {model['name']}.{column['name']} {data_type}")
    assert not too_narrow, (
        "data_type names PostgreSQL or Spark reject; write string for text or "
        "\"{{ var('crm_double_type')[target.type] }}\" for double:\n" + "\n".join(too_narrow)
    )


def test_unit_test_names_fit_postgres_identifiers() -> None:
    """dbt names a unit test's relation after the test: PostgreSQL cuts names at 63 bytes."""
    too_long = []
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for unit_test in document.get("unit_tests") or []:
            if len(unit_test["name"].encode()) > 63:
                too_long.append(f"{path.relative_to(PROJECT_DIR)}: {unit_test['name']}")
    assert not too_long, "unit test names longer than 63 bytes:\n" + "\n".join(too_long)


# A cast in a SQL unit-test fixture that one engine rejects (PostgreSQL: double, string;
# Spark: varchar without a length, text). Empty inputs are `rows: []`: dbt then types the
# nulls from the input relation itself, on every engine.
NON_PORTABLE_CAST = re.compile(r"\bas\s+(varchar|text|string|double|float)\b(?!\s*precision)", re.I)


def test_unit_test_fixtures_are_portable() -> None:
    """Every unit test runs on DuckDB, PostgreSQL and Spark: no SQL fixture casts to a type
    name one of them rejects."""
    found = []
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for unit_test in document.get("unit_tests") or []:
            fixtures = [*unit_test.get("given", []), unit_test.get("expect", {})]
            for fixture in fixtures:
                rows = fixture.get("rows")
                if fixture.get("format") == "sql" and isinstance(rows, str):
                    for match in NON_PORTABLE_CAST.finditer(rows):
                        found.append(f"{path.name}: {unit_test['name']}: {match.group(0)}")
    assert not found, "SQL fixtures with a non-portable cast:\n" + "\n".join(found)
