"""The raw input contract (contract/raw_schema.yml): its tables and columns, parsed and checked.

The YAML file is the one place a raw table or column is declared. The dbt-side files derived
from it are rendered by crm_metrics.contract_render (layout, render, check) from the YAML of
crm_metrics.contract_yaml and the SQL of crm_metrics.contract_sql; those modules import this
one, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from crm_metrics.paths import PROJECT_DIR

CONTRACT_PATH = PROJECT_DIR / "contract" / "raw_schema.yml"

COLUMN_TYPES = ("text", "integer", "decimal", "boolean", "date", "timestamp")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    default: str | None = None
    non_negative: bool = False
    upper: bool = False
    month_start: bool = False
    references: str | None = None
    on_orphan: str | None = None
    pii: bool = False
    description: str | None = None
    range: tuple[float, float] | None = None

    @property
    def orphan_outcome(self) -> str | None:
        """`reject` or `null`: what a value missing from the referenced table does."""
        if self.references is None:
            return None
        return self.on_orphan or ("reject" if self.required else "null")

    @property
    def enum_fallback(self) -> str | None:
        """Value an out-of-enum raw value is normalised to."""
        if self.enum is None:
            return None
        for value in self.enum:
            if value.lower() == "other":
                return value
        return "unknown"


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)
    reject_rules: tuple[dict, ...] = field(default_factory=tuple)
    finding_rules: tuple[dict, ...] = field(default_factory=tuple)
    accepted_raw: tuple[str, ...] = ()
    order_column: str | None = None
    keep_smallest: str | None = None

    @property
    def nulling_rules(self) -> list[dict]:
        """The finding rules that also null their column (`nulls: true`)."""
        return [rule for rule in self.finding_rules if rule.get("nulls")]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def instant_key(self) -> tuple[str, ...]:
        """The key without its order column: what the rows one order column orders share."""
        return tuple(k for k in self.key if k != self.order_column)

    @property
    def order_rank(self) -> str | None:
        """The column the staging model adds for an order column: the row's rank in its
        instant (crm_metrics.contract_sql)."""
        return f"{self.order_column}_rank" if self.order_column else None

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name}.{name}")


@dataclass(frozen=True)
class Contract:
    tables: dict[str, Table]

    @property
    def table_names(self) -> list[str]:
        return list(self.tables)

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]


def _parse(raw: dict) -> Contract:
    tables: dict[str, Table] = {}
    for name, spec in raw["tables"].items():
        columns = []
        for col in spec["columns"]:
            if col["type"] not in COLUMN_TYPES:
                raise ValueError(f"contract: {name}.{col['name']} has unknown type {col['type']}")
            columns.append(
                Column(
                    name=col["name"],
                    type=col["type"],
                    required=bool(col.get("required", False)),
                    enum=tuple(col["enum"]) if "enum" in col else None,
                    default=col.get("default"),
                    non_negative=bool(col.get("non_negative", False)),
                    upper=bool(col.get("upper", False)),
                    month_start=bool(col.get("month_start", False)),
                    references=col.get("references"),
                    on_orphan=col.get("on_orphan"),
                    pii=bool(col.get("pii", False)),
                    description=col.get("description"),
                    range=tuple(col["range"]) if "range" in col else None,
                )
            )
        table = Table(
            name=name,
            required=bool(spec["required"]),
            description=spec["description"],
            key=tuple(spec["key"]),
            columns=tuple(columns),
            reject_rules=tuple(spec.get("reject_rules", ())),
            finding_rules=tuple(spec.get("finding_rules", ())),
            accepted_raw=tuple(spec.get("accepted_raw", ())),
            order_column=spec.get("order_column"),
            keep_smallest=spec.get("keep_smallest"),
        )
        for col in columns:
            if col.range and (col.type not in ("integer", "decimal") or col.required):
                raise ValueError(f"contract: {name}.{col.name} range needs an optional number")
        for attribute in ("key", "accepted_raw"):
            unknown = set(getattr(table, attribute)) - set(table.column_names)
            if unknown:
                raise ValueError(
                    f"contract: {name} {attribute} names unknown columns {sorted(unknown)}"
                )
        if table.order_column is not None:
            order = table.column(table.order_column)
            if table.key[-1] != order.name or order.type != "text" or order.required:
                raise ValueError(
                    f"contract: {name} order_column must be the last key column, optional text"
                )
        if table.keep_smallest is not None and (
            table.keep_smallest in table.key or table.keep_smallest not in table.column_names
        ):
            raise ValueError(f"contract: {name} keep_smallest must be a column outside the key")
        tables[name] = table
    return Contract(tables=tables)


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    with open(path, encoding="utf-8") as handle:
        return _parse(yaml.safe_load(handle))
